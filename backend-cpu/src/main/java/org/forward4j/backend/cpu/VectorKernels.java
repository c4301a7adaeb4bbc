package org.forward4j.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise passes between two GEMMs in the JDK's Vector API: the JIT does not vectorise the scalar loops
 * (a float select per element), and on the 784-256-10 MLP they were the largest cost after the GEMMs. Each lane does
 * exactly what {@link Epilogue}'s scalar loop does for its element (a float add, a multiply, a max with 0), so the
 * results are the same bits.
 *
 * <p>Only loaded when {@link FastNoise#vectorized()} is true (the module is resolved); vectors stay local to each
 * method (see {@link VectorGaussians}).
 */
final class VectorKernels {

    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;

    private VectorKernels() {
    }

    /** {@code v[r, o] = max(v[r, o] + bias[o], 0)}, row-major {@code rows x out}. */
    static void biasRelu(float[] v, int rows, int out, float[] bias) {
        int bound = FLOATS.loopBound(out);
        for (int r = 0, i = 0; r < rows; r++, i += out) {
            int o = 0;
            for (; o < bound; o += FLOATS.length()) {
                FloatVector x = FloatVector.fromArray(FLOATS, v, i + o).add(FloatVector.fromArray(FLOATS, bias, o));
                x.max(0f).intoArray(v, i + o);
            }
            for (; o < out; o++) {
                v[i + o] = Math.max(v[i + o] + bias[o], 0f);
            }
        }
    }

    /**
     * One row of a noisy layer: {@code noise[o] = scale * eps[o]}, {@code v = pre[o] + noise[o]} (plus
     * {@code bias[o]} first when given), {@code out[o] = relu ? max(v, 0) : v}.
     */
    static void noisyRow(float[] pre, int preOff, float[] bias, float[] eps, float scale, float[] noise, int noiseOff,
            float[] out, int outOff, int n, boolean relu) {
        int bound = FLOATS.loopBound(n);
        int o = 0;
        for (; o < bound; o += FLOATS.length()) {
            FloatVector nz = FloatVector.fromArray(FLOATS, eps, o).mul(scale);
            nz.intoArray(noise, noiseOff + o);
            FloatVector v = FloatVector.fromArray(FLOATS, pre, preOff + o);
            if (bias != null) {
                v = v.add(FloatVector.fromArray(FLOATS, bias, o));
            }
            v = v.add(nz);
            (relu ? v.max(0f) : v).intoArray(out, outOff + o);
        }
        for (; o < n; o++) {
            float nz = scale * eps[o];
            noise[noiseOff + o] = nz;
            float v = (bias != null ? pre[preOff + o] + bias[o] : pre[preOff + o]) + nz;
            out[outOff + o] = relu ? Math.max(v, 0f) : v;
        }
    }
}
