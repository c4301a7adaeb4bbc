package org.forward4j.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
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
    private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;

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

    /**
     * GELU (tanh form) of every element, {@code y[i] = 0.5 v (1 + tanh(c (v + 0.044715 v^3)))}, in double lanes with
     * the operations of {@link CpuGraphEvaluator#tanh} in the same order: the scalar loop cost a scalar
     * {@code Math.exp} and a division per element and was the largest Java cost of the ViT forward. Only the
     * exponential is another routine (the JDK's vector {@code EXP} instead of {@code Math.exp}, both within an ulp
     * of the exact value), so an element can differ from the scalar loop's in the last bit of its float.
     *
     * @param x the inputs
     * @param y the outputs (may be {@code x})
     * @param c the GELU constant sqrt(2 / pi)
     */
    static void gelu(float[] x, float[] y, double c) {
        int lanes = DOUBLES.length();
        double[] in = new double[lanes];
        double[] out = new double[lanes];
        int bound = x.length - x.length % lanes;
        int i = 0;
        for (; i < bound; i += lanes) {
            for (int l = 0; l < lanes; l++) {
                in[l] = x[i + l];
            }
            DoubleVector v = DoubleVector.fromArray(DOUBLES, in, 0);
            DoubleVector u = v.add(v.mul(0.044715).mul(v).mul(v)).mul(c);
            DoubleVector a = u.abs();
            DoubleVector e = a.mul(2.0).lanewise(VectorOperators.EXP);
            DoubleVector t = DoubleVector.broadcast(DOUBLES, 1.0).sub(DoubleVector.broadcast(DOUBLES, 2.0).div(e.add(1.0)));
            VectorMask<Double> small = a.compare(VectorOperators.LT, 1e-4);
            // |u| < 1e-4: the series (its sign restored below with every other lane's); |u| > 20: 1
            t = t.blend(u.sub(u.mul(u).mul(u).div(3.0)).abs(), small);
            t = t.blend(1.0, a.compare(VectorOperators.GT, 20.0));
            t = t.blend(t.neg(), u.compare(VectorOperators.LT, 0.0));
            v.mul(0.5).mul(t.add(1.0)).intoArray(out, 0);
            for (int l = 0; l < lanes; l++) {
                y[i + l] = (float) out[l];
            }
        }
        for (; i < x.length; i++) {
            double v = x[i];
            y[i] = (float) (0.5 * v * (1 + CpuGraphEvaluator.tanh(c * (v + 0.044715 * v * v * v))));
        }
    }

    /**
     * {@link GraphKernels#layerNorm} with one token per lane: each lane runs the scalar loop's operations, in its
     * order and in double, on its own token, so the results are the same bits; the scalar version's dependent
     * double additions (mean and variance over D values) were its cost. Tokens left over after the last full group
     * of lanes run the scalar loop.
     */
    static void layerNorm(float[] x, int d, float[] scale, float[] shift, float eps, float[] xhat, float[] y) {
        int lanes = DOUBLES.length();
        VectorSpecies<Float> floats = FloatVector.SPECIES_256.length() == lanes ? FloatVector.SPECIES_256
                : FloatVector.SPECIES_128.length() == lanes ? FloatVector.SPECIES_128 : null;
        int vectors = x.length / d;
        int groups = floats == null ? 0 : vectors / lanes;
        int[] index = new int[lanes];
        for (int l = 0; l < lanes; l++) {
            index[l] = l * d;
        }
        for (int g = 0; g < groups; g++) {
            int base = g * lanes * d;
            DoubleVector mean = DoubleVector.zero(DOUBLES);
            for (int i = 0; i < d; i++) {
                mean = mean.add(load(floats, x, base + i, index));
            }
            mean = mean.div(d);
            DoubleVector var = DoubleVector.zero(DOUBLES);
            for (int i = 0; i < d; i++) {
                DoubleVector c = load(floats, x, base + i, index).sub(mean);
                var = var.add(c.mul(c));
            }
            var = var.div(d);
            DoubleVector inv = DoubleVector.broadcast(DOUBLES, 1.0).div(var.add(eps).sqrt());
            for (int i = 0; i < d; i++) {
                FloatVector hv = (FloatVector) load(floats, x, base + i, index).sub(mean).mul(inv)
                        .castShape(floats, 0);
                hv.intoArray(xhat, base + i, index, 0);
                DoubleVector h = (DoubleVector) hv.castShape(DOUBLES, 0);
                ((FloatVector) h.mul(scale[i]).add(shift[i]).castShape(floats, 0)).intoArray(y, base + i, index, 0);
            }
        }
        int done = groups * lanes * d;
        if (done < x.length) {
            float[] restX = java.util.Arrays.copyOfRange(x, done, x.length);
            float[] restHat = new float[restX.length];
            float[] restY = new float[restX.length];
            GraphKernels.layerNorm(restX, d, scale, shift, eps, restHat, restY);
            System.arraycopy(restHat, 0, xhat, done, restHat.length);
            System.arraycopy(restY, 0, y, done, restY.length);
        }
    }

    /** The D-th values of {@code lanes} consecutive tokens (a gather at stride D), widened to double. */
    private static DoubleVector load(VectorSpecies<Float> floats, float[] x, int offset, int[] index) {
        return (DoubleVector) FloatVector.fromArray(floats, x, offset, index, 0).castShape(DOUBLES, 0);
    }

    /**
     * {@code e[j] = exp(s[j] - max)} for {@code j < t}, the exponentials of a softmax, in double lanes: the same
     * subtraction per element, the JDK's vector {@code EXP} instead of {@code Math.exp} (both within an ulp).
     */
    static void expShifted(float[] s, int t, double max, double[] e) {
        int lanes = DOUBLES.length();
        int j = 0;
        for (; j + lanes <= t; j += lanes) {
            for (int l = 0; l < lanes; l++) {
                e[j + l] = s[j + l];
            }
            DoubleVector.fromArray(DOUBLES, e, j).sub(max).lanewise(VectorOperators.EXP).intoArray(e, j);
        }
        for (; j < t; j++) {
            e[j] = Math.exp(s[j] - max);
        }
    }
}
