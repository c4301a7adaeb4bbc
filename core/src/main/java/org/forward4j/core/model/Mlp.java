package org.forward4j.core.model;

import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.noise.NoiseStream;

/**
 * Multi-layer perceptrons: construction and seeded initialisation. Clean evaluation (loss, accuracy) runs on the
 * selected backend ({@link org.forward4j.estimator.QueryEvaluator#evaluateClean}).
 */
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
}
