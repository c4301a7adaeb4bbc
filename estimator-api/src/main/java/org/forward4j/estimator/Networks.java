package org.forward4j.estimator;

import org.forward4j.plugin.InvalidDataException;

/**
 * Plain-Java forward evaluation of a {@link DenseNetwork}: the reference the batched backends are tested
 * against, and the {@link NetworkObjective} factory.
 */
public final class Networks {

    private Networks() {
    }

    /**
     * A network objective over labelled data, evaluated in plain Java when called directly (backends evaluate its
     * plans in batched matrix products instead).
     *
     * @param network the architecture
     * @param features row-major {@code [n, network.in(0)]}; not copied
     * @param labels n labels in {@code [0, network.classes())}; not copied
     * @return the objective
     * @throws InvalidDataException if the shapes or a label do not fit the network
     */
    public static NetworkObjective objective(DenseNetwork network, float[] features, int[] labels) {
        int in = network.in(0);
        if (labels.length == 0 || (long) labels.length * in != features.length) {
            throw new InvalidDataException("Features have " + features.length + " values for " + labels.length
                    + " labels, but the network's input width is " + in + " (need labels x " + in + ")");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= network.classes()) {
                throw new InvalidDataException("Label " + labels[i] + " of row " + i + " is outside [0, "
                        + network.classes() + ") for " + network);
            }
        }
        return new NetworkObjective() {
            @Override
            public DenseNetwork network() {
                return network;
            }

            @Override
            public float[] features() {
                return features;
            }

            @Override
            public int[] labels() {
                return labels;
            }

            @Override
            public void losses(float[] params, int[] rows, double[] out) {
                for (int k = 0; k < rows.length; k++) {
                    out[k] = loss(network, params, features, rows[k], labels[rows[k]], null, null);
                }
            }

            @Override
            public String toString() {
                return network + " on " + labels.length + " rows";
            }
        };
    }

    /**
     * The loss of one row, optionally with activation noise, optionally recording each layer's input.
     *
     * @param network the architecture
     * @param theta flat parameters
     * @param features row-major features
     * @param row the data row
     * @param label its label
     * @param noise per-layer additive noise on the pre-activations ({@code noise[l]} has {@code out_l} values), or
     *     null
     * @param inputs if not null, receives a copy of each layer's input ({@code inputs[l]})
     * @return the softmax cross-entropy of the row
     */
    public static double loss(DenseNetwork network, float[] theta, float[] features, int row, int label,
                              float[][] noise, float[][] inputs) {
        float[] logits = logits(network, theta, features, row, noise, inputs);
        return softmaxCrossEntropy(logits, 0, logits.length, label);
    }

    /**
     * Clean mean loss and accuracy over every row of a network objective, row by row in plain Java (the reference
     * the batched backends' {@link QueryEvaluator#evaluateClean} is tested against).
     *
     * @param data the objective
     * @param theta the parameters
     * @return mean loss, accuracy and rows
     */
    public static EvaluationMetrics metrics(NetworkObjective data, float[] theta) {
        DenseNetwork network = data.network();
        int n = data.size();
        double lossSum = 0;
        long correct = 0;
        for (int row = 0; row < n; row++) {
            float[] logits = logits(network, theta, data.features(), row, null, null);
            int label = data.labels()[row];
            lossSum += softmaxCrossEntropy(logits, 0, logits.length, label);
            correct += argmax(logits, 0, logits.length) == label ? 1 : 0;
        }
        return new EvaluationMetrics(lossSum / n, (double) correct / n, n);
    }

    /**
     * Clean mean loss and accuracy over every row of a layer-graph objective, row by row in plain Java.
     *
     * @param data the objective
     * @param theta its trainable parameters
     * @return mean loss, accuracy and rows
     */
    public static EvaluationMetrics metrics(org.forward4j.estimator.graph.GraphObjective data, float[] theta) {
        float[] full = data.expand(theta);
        int n = data.size();
        double lossSum = 0;
        long correct = 0;
        for (int row = 0; row < n; row++) {
            float[] logits = org.forward4j.estimator.graph.GraphForward.logits(data, full, row, null, null);
            int label = data.labels()[row];
            lossSum += softmaxCrossEntropy(logits, 0, logits.length, label);
            correct += argmax(logits, 0, logits.length) == label ? 1 : 0;
        }
        return new EvaluationMetrics(lossSum / n, (double) correct / n, n);
    }

    /**
     * The index of the largest of {@code n} logits (the first one on ties): the predicted class.
     *
     * @param v logits
     * @param off first logit
     * @param n number of classes
     * @return the class, {@code 0 .. n-1}
     */
    public static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int c = 1; c < n; c++) {
            if (v[off + c] > v[off + best]) {
                best = c;
            }
        }
        return best;
    }

    /**
     * The last layer's outputs (logits) of one row, optionally with activation noise, optionally recording each
     * layer's input.
     *
     * @param network the architecture
     * @param theta flat parameters
     * @param features row-major features
     * @param row the data row
     * @param noise per-layer additive noise on the pre-activations, or null
     * @param inputs if not null, receives a copy of each layer's input ({@code inputs[l]})
     * @return the logits
     */
    public static float[] logits(DenseNetwork network, float[] theta, float[] features, int row, float[][] noise,
                                 float[][] inputs) {
        int in0 = network.in(0);
        float[] x = new float[in0];
        System.arraycopy(features, row * in0, x, 0, in0);
        int layers = network.layers();
        for (int l = 0; l < layers; l++) {
            if (inputs != null) {
                inputs[l] = x.clone();
            }
            int in = network.in(l);
            int out = network.out(l);
            int w = network.weightOffset(l);
            int b = network.biasOffset(l);
            float[] v = new float[out];
            for (int o = 0; o < out; o++) {
                double s = theta[b + o];
                int base = w + o * in;
                for (int i = 0; i < in; i++) {
                    s += (double) theta[base + i] * x[i];
                }
                if (noise != null) {
                    s += noise[l][o];
                }
                v[o] = (float) s;
            }
            if (l < layers - 1) {
                for (int o = 0; o < out; o++) {
                    v[o] = network.activation().apply(v[o]);
                }
            }
            x = v;
        }
        return x;
    }

    /**
     * Numerically stable softmax cross-entropy {@code logsumexp(v) - v[label]}.
     *
     * @param v logits
     * @param off first logit
     * @param n number of classes
     * @param label the true class
     * @return the loss
     */
    public static double softmaxCrossEntropy(float[] v, int off, int n, int label) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, v[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(v[off + i] - max);
        }
        return max + Math.log(sum) - v[off + label];
    }
}
