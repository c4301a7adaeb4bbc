package org.forward4j.core.model;

import org.forward4j.core.backend.Nd4jArrays;
import org.forward4j.core.backend.Nd4jSetup;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.noise.NoiseStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Multi-layer perceptrons: construction, seeded initialisation and clean evaluation (loss, accuracy). */
public final class Mlp {

    /** Noise stream step reserved for parameter initialisation (training steps count up from 0). */
    static final int INIT_STEP = -1;

    private Mlp() {
    }

    /**
     * The architecture {@code inputs - hidden... - classes}.
     *
     * @param inputs input width
     * @param hidden hidden widths (may be empty: a linear softmax classifier)
     * @param classes number of classes
     * @param activation hidden activation
     * @return the network
     */
    public static DenseNetwork network(int inputs, int[] hidden, int classes, Activation activation) {
        int[] sizes = new int[hidden.length + 2];
        sizes[0] = inputs;
        System.arraycopy(hidden, 0, sizes, 1, hidden.length);
        sizes[sizes.length - 1] = classes;
        return new DenseNetwork(sizes, activation);
    }

    /**
     * Seeded initial parameters: weights normal with standard deviation {@code sqrt(2/in)} for ReLU (He) or
     * {@code sqrt(1/in)} otherwise (Xavier/LeCun), biases zero. Drawn from the Philox stream
     * {@code (seed, step -1, draw 0, tensor l)}, so they are reproducible everywhere.
     *
     * @param network the architecture
     * @param seed the run's seed
     * @return a flat parameter vector in the network's layout
     */
    public static float[] initialParameters(DenseNetwork network, long seed) {
        float[] theta = new float[network.dimension()];
        for (int l = 0; l < network.layers(); l++) {
            int in = network.in(l);
            int n = in * network.out(l);
            new NoiseStream(seed, INIT_STEP, 0, l).fill(NoiseStream.Distribution.GAUSSIAN, theta,
                    network.weightOffset(l), n, 0);
            float std = (float) Math.sqrt((network.activation() == Activation.RELU ? 2.0 : 1.0) / in);
            for (int k = network.weightOffset(l); k < network.weightOffset(l) + n; k++) {
                theta[k] *= std;
            }
        }
        return theta;
    }

    /**
     * Clean loss and accuracy of parameters on a data set, in batched ND4J products.
     *
     * @param network the architecture
     * @param theta the parameters
     * @param data the evaluation data
     * @return mean loss and accuracy
     */
    public static Metrics evaluate(DenseNetwork network, float[] theta, NetworkObjective data) {
        Nd4jSetup.init();
        int n = data.size();
        int in = network.in(0);
        int classes = network.classes();
        INDArray p = Nd4jArrays.fromFloats(theta, theta.length);
        int chunk = 2048;
        double lossSum = 0;
        long correct = 0;
        float[] features = data.features();
        int[] labels = data.labels();
        for (int from = 0; from < n; from += chunk) {
            int to = Math.min(n, from + chunk);
            INDArray x = Nd4jArrays.fromRange(features, from * in, (to - from) * in, to - from, in);
            for (int l = 0; l < network.layers(); l++) {
                int wo = network.weightOffset(l);
                int bo = network.biasOffset(l);
                INDArray w = p.get(NDArrayIndex.interval(wo, bo)).reshape('c', network.out(l), network.in(l));
                INDArray b = p.get(NDArrayIndex.interval(bo, bo + network.out(l))).reshape(1, network.out(l));
                x = x.mmul(w.transpose()).addiRowVector(b);
                if (l < network.layers() - 1) {
                    x = switch (network.activation()) {
                        case RELU -> Transforms.relu(x, false);
                        case TANH -> Transforms.tanh(x, false);
                        case IDENTITY -> x;
                    };
                }
            }
            float[] logits = Nd4jArrays.toFloats(x);
            for (int r = 0; r < to - from; r++) {
                int label = labels[from + r];
                lossSum += Networks.softmaxCrossEntropy(logits, r * classes, classes, label);
                int best = 0;
                for (int c = 1; c < classes; c++) {
                    if (logits[r * classes + c] > logits[r * classes + best]) {
                        best = c;
                    }
                }
                correct += best == label ? 1 : 0;
            }
        }
        return new Metrics(lossSum / n, (double) correct / n, n);
    }

    /**
     * Clean evaluation results.
     *
     * @param loss mean softmax cross-entropy
     * @param accuracy fraction of rows whose largest logit is the label
     * @param rows rows evaluated (each is one evaluation query, counted apart from training queries)
     */
    public record Metrics(double loss, double accuracy, int rows) {
    }
}
