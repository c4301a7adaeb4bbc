package org.forward4j.backend.cpu;

import org.forward4j.estimator.Activation;

/**
 * The element-wise work between two GEMMs of the cpu backend (bias, activation noise, activation): through
 * {@link VectorKernels} when the Vector API is there ({@link FastNoise#vectorized()}), in scalar loops otherwise.
 * Both compute each element with the same float operations in the same order, so they give the same bits.
 */
final class Epilogue {

    private static final boolean VECTOR = FastNoise.vectorized();

    static {
        if (VECTOR) {
            warmUp();
        }
    }

    private Epilogue() {
    }

    /**
     * Calls the vector kernels on small blocks until the JIT has compiled them with C2 (at most 1 s), for the reason
     * {@code FastNoise.warmUp} gives: before that, Vector API code is hundreds of times slower.
     */
    private static void warmUp() {
        float[] v = new float[64];
        float[] bias = new float[64];
        float[] noise = new float[64];
        long deadline = System.nanoTime() + 1_000_000_000L;
        int fast = 0;
        for (int i = 0; i < 20_000 && fast < 500 && System.nanoTime() < deadline; i++) {
            long t = System.nanoTime();
            VectorKernels.biasRelu(v, 1, 64, bias);
            VectorKernels.noisyRow(v, 0, bias, bias, 0.5f, noise, 0, v, 0, 64, (i & 1) == 0);
            VectorKernels.noisyRow(v, 0, null, bias, 0.5f, noise, 0, v, 0, 64, true);
            fast = System.nanoTime() - t < 2_000 ? fast + 1 : 0;
        }
    }

    /**
     * {@code v[r, o] = act(v[r, o] + bias[o])} for a row-major {@code rows x out} block; with {@code hidden} false no
     * activation (the logits).
     *
     * @param v values, updated in place
     * @param rows rows
     * @param out values per row
     * @param bias per column
     * @param activation the hidden layers' activation
     * @param hidden whether to apply it
     */
    static void biasAndActivate(float[] v, int rows, int out, float[] bias, Activation activation, boolean hidden) {
        if (hidden && activation == Activation.RELU) {
            if (VECTOR) {
                VectorKernels.biasRelu(v, rows, out, bias);
                return;
            }
            for (int r = 0, i = 0; r < rows; r++, i += out) {
                for (int o = 0; o < out; o++) {
                    v[i + o] = Math.max(v[i + o] + bias[o], 0f);
                }
            }
            return;
        }
        for (int r = 0, i = 0; r < rows; r++, i += out) {
            for (int o = 0; o < out; o++) {
                float x = v[i + o] + bias[o];
                v[i + o] = hidden ? activate(x, activation) : x;
            }
        }
    }

    /**
     * One query row of a layer with activation noise: {@code noise[o] = scale * eps[o]} and
     * {@code out[o] = act((pre[o] (+ bias[o])) + noise[o])}, where the bias is added first when given (null: the
     * pre-activation includes it already) and the activation applies when {@code hidden}.
     *
     * @param pre the layer's product for this row
     * @param preOff its first value
     * @param bias the bias, or null
     * @param eps the row's standard normal noise
     * @param scale {@code sigma * sign}
     * @param noise receives {@code scale * eps}
     * @param noiseOff first value written
     * @param out receives the activated values
     * @param outOff first value written
     * @param n values in the row
     * @param activation the hidden layers' activation
     * @param hidden whether to apply it
     */
    static void noisyRow(float[] pre, int preOff, float[] bias, float[] eps, float scale, float[] noise, int noiseOff,
            float[] out, int outOff, int n, Activation activation, boolean hidden) {
        boolean relu = activation == Activation.RELU;
        if (VECTOR && (relu || !hidden)) {
            VectorKernels.noisyRow(pre, preOff, bias, eps, scale, noise, noiseOff, out, outOff, n, hidden);
            return;
        }
        for (int o = 0; o < n; o++) {
            float nz = scale * eps[o];
            noise[noiseOff + o] = nz;
            float v = (bias != null ? pre[preOff + o] + bias[o] : pre[preOff + o]) + nz;
            out[outOff + o] = hidden ? activate(v, activation) : v;
        }
    }

    /** The hidden activation of {@code v}. */
    static float activate(float v, Activation activation) {
        return switch (activation) {
            case RELU -> Math.max(v, 0f);
            case TANH -> (float) Math.tanh(v);
            case IDENTITY -> v;
        };
    }
}
