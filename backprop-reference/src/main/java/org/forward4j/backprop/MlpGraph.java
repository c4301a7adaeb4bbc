package org.forward4j.backprop;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Map;
import org.forward4j.backend.cpu.Nd4jArrays;
import org.forward4j.estimator.DenseNetwork;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The SameDiff graph of a {@link DenseNetwork}: the same function {@link org.forward4j.estimator.Networks} and
 * {@link org.forward4j.core.model.Mlp} compute, {@code v = W x + b} per layer with the hidden activation after every
 * layer but the last, and the batch-mean softmax cross-entropy on the logits. Variables are named
 * {@code W<l>} (shape {@code [out_l, in_l]}, exactly the row-major block of the flat layout) and {@code b<l>}
 * (shape {@code [out_l]}), so converting from and to the flat parameter vector is a copy per tensor, no transpose.
 */
final class MlpGraph {

    /** Placeholder of the features, {@code [batch, in_0]}. */
    static final String FEATURES = "features";
    /** Placeholder of the one-hot labels, {@code [batch, classes]}. */
    static final String LABELS = "labels";
    /** The batch-mean loss, a scalar. */
    static final String LOSS = "loss";

    private MlpGraph() {
    }

    static String weight(int l) {
        return "W" + l;
    }

    static String bias(int l) {
        return "b" + l;
    }

    /**
     * Builds the graph with its variables set from a flat parameter vector.
     *
     * @param network the architecture
     * @param theta flat parameters in the network's layout
     * @param type FLOAT for training; DOUBLE lets tests check gradients against finite differences precisely
     * @return the graph, its loss variable marked
     */
    static SameDiff build(DenseNetwork network, float[] theta, DataType type) {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder(FEATURES, type, -1, network.in(0));
        SDVariable y = sd.placeHolder(LABELS, type, -1, network.classes());
        SDVariable h = x;
        for (int l = 0; l < network.layers(); l++) {
            int in = network.in(l);
            int out = network.out(l);
            SDVariable w = sd.var(weight(l), slice(theta, network.weightOffset(l), type, out, in));
            SDVariable b = sd.var(bias(l), slice(theta, network.biasOffset(l), type, out));
            // h [batch, in] times W^T [in, out]: W keeps the flat layout's [out, in] shape
            SDVariable z = sd.mmul(h, w, false, true, false).add(b);
            if (l < network.layers() - 1) {
                z = switch (network.activation()) {
                    case RELU -> sd.nn.relu(z, 0);
                    case TANH -> sd.math.tanh(z);
                    case IDENTITY -> z;
                };
            }
            h = z;
        }
        // weights null: every row weighs 1, so MEAN_BY_NONZERO_WEIGHT_COUNT is the mean over the batch
        sd.loss.softmaxCrossEntropy(LOSS, y, h, null, LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT, 0.0);
        sd.setLossVariables(LOSS);
        createGradientFunctionQuietly(sd);
        return sd;
    }

    /**
     * The current variables as a flat parameter vector in the network's layout.
     *
     * @param sd a graph from {@link #build}
     * @param network its architecture
     * @return a new vector of {@code network.dimension()} values
     */
    static float[] parameters(SameDiff sd, DenseNetwork network) {
        float[] theta = new float[network.dimension()];
        for (int l = 0; l < network.layers(); l++) {
            copyOut(sd.getArrForVarName(weight(l)), theta, network.weightOffset(l));
            copyOut(sd.getArrForVarName(bias(l)), theta, network.biasOffset(l));
        }
        return theta;
    }

    /**
     * The batch-mean loss of some rows.
     *
     * @param sd the graph
     * @param batch features and labels of the rows
     * @return the loss
     */
    static double loss(SameDiff sd, Map<String, INDArray> batch) {
        return sd.output(batch, LOSS).get(LOSS).getDouble(0);
    }

    /**
     * The gradient of the batch-mean loss in the flat layout.
     *
     * @param sd the graph
     * @param network its architecture
     * @param batch features and labels of the rows
     * @return d loss / d theta, {@code network.dimension()} values (double, whatever the graph's type)
     */
    static double[] gradient(SameDiff sd, DenseNetwork network, Map<String, INDArray> batch) {
        String[] names = new String[2 * network.layers()];
        for (int l = 0; l < network.layers(); l++) {
            names[2 * l] = weight(l);
            names[2 * l + 1] = bias(l);
        }
        Map<String, INDArray> grads = sd.calculateGradients(batch, names);
        double[] g = new double[network.dimension()];
        for (int l = 0; l < network.layers(); l++) {
            double[] w = grads.get(weight(l)).dup('c').castTo(DataType.DOUBLE).data().asDouble();
            double[] b = grads.get(bias(l)).dup('c').castTo(DataType.DOUBLE).data().asDouble();
            System.arraycopy(w, 0, g, network.weightOffset(l), w.length);
            System.arraycopy(b, 0, g, network.biasOffset(l), b.length);
        }
        return g;
    }

    /**
     * Placeholder values for some rows of a data set.
     *
     * @param features row-major features, {@code in} values per row
     * @param labels class labels
     * @param rows the rows, in batch order
     * @param in input width
     * @param classes number of classes
     * @param type the graph's data type
     * @return {@code {FEATURES: [rows, in], LABELS: one-hot [rows, classes]}}
     */
    static Map<String, INDArray> batch(float[] features, int[] labels, int[] rows, int in, int classes,
                                       DataType type) {
        float[] x = new float[rows.length * in];
        float[] y = new float[rows.length * classes];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(features, rows[i] * in, x, i * in, in);
            y[i * classes + labels[rows[i]]] = 1f;
        }
        return Map.of(FEATURES, array(x, type, rows.length, in), LABELS, array(y, type, rows.length, classes));
    }

    private static INDArray slice(float[] theta, int offset, DataType type, long... shape) {
        int n = 1;
        for (long s : shape) {
            n *= (int) s;
        }
        float[] v = new float[n];
        System.arraycopy(theta, offset, v, 0, n);
        return array(v, type, shape);
    }

    private static INDArray array(float[] v, DataType type, long... shape) {
        // one native copy (Nd4j.create(float[]) copies value by value; see Nd4jArrays)
        INDArray a = Nd4jArrays.fromFloats(v, shape);
        return type == DataType.FLOAT ? a : a.castTo(type);
    }

    private static void copyOut(INDArray a, float[] theta, int offset) {
        float[] v = Nd4jArrays.toFloats(a);
        System.arraycopy(v, 0, theta, offset, v.length);
    }

    /**
     * Builds the backward graph now. SameDiff 1.0.0-M2.1 prints one "Added differentiated op" line per op to
     * standard output while doing so (a leftover debug print, not a logger that could be configured), which would
     * clutter the CLI's report; standard output is silenced for that call only, and this runs before any training
     * output exists.
     */
    static synchronized void createGradientFunctionQuietly(SameDiff sd) {
        PrintStream original = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            sd.createGradFunction();
        } finally {
            System.setOut(original);
        }
    }
}
