package org.forward4j.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float kernels of the layer graphs, on by default ({@link GraphKernels#floatMath()}): GELU, layer norm and the
 * attention's softmax in float lanes. The double kernels ({@link VectorKernels}, with
 * {@code -Dforward4j.cpu.float-math=false}) reproduce the scalar reference's double arithmetic bit for bit, which
 * costs half the lanes and, in GELU, an exponential, a division and a blend chain per element in double: 2.3 against
 * 0.5 microseconds per row of the {@code vit}'s 17 x 64 GELU. Here each is written for float: GELU as
 * {@code v / (1 + exp(-2u))} (the tanh form's {@code 0.5 (1 + tanh u)} is the logistic function of {@code 2u},
 * which in float avoids the cancellation of {@code 1 + tanh u} near -1), layer norm with lane sums per token, the
 * softmax one row per lane in key order. Results differ from the double kernels in the last bits (within 1e-5);
 * they are still the same for any thread count.
 *
 * <p>Only loaded where the Vector API module is resolved (see {@link FastNoise#vectorized()}).
 */
final class FloatMath {

    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;

    private FloatMath() {
    }

    /**
     * GELU (tanh form) of every element: {@code y = v / (1 + exp(-2 c (v + 0.044715 v^3)))}.
     *
     * @param x the inputs
     * @param y the outputs (may be {@code x})
     * @param c the GELU constant sqrt(2 / pi)
     */
    static void gelu(float[] x, float[] y, double c) {
        float k = (float) (-2 * c);
        int lanes = FLOATS.length();
        int bound = x.length - x.length % lanes;
        int i = 0;
        for (; i < bound; i += lanes) {
            FloatVector v = FloatVector.fromArray(FLOATS, x, i);
            FloatVector u = v.mul(v).mul(v).mul(0.044715f).add(v).mul(k);
            v.div(u.lanewise(VectorOperators.EXP).add(1f)).intoArray(y, i);
        }
        for (; i < x.length; i++) {
            float v = x[i];
            y[i] = v / (1f + (float) Math.exp(k * (v + v * v * v * 0.044715f)));
        }
    }

    /**
     * Layer norm of every D-value token in float: mean and variance as lane sums over the token, then
     * {@code xhat = (x - mean) / sqrt(var + eps)} and {@code y = xhat * scale + shift}.
     *
     * @param x tokens, D values each
     * @param d D
     * @param scale per value
     * @param shift per value
     * @param eps added to the variance
     * @param xhat receives the normalised values
     * @param y receives the output
     */
    static void layerNorm(float[] x, int d, float[] scale, float[] shift, float eps, float[] xhat, float[] y) {
        int lanes = FLOATS.length();
        int tokens = x.length / d;
        int whole = d - d % lanes;
        for (int t = 0; t < tokens; t++) {
            int o = t * d;
            FloatVector acc = FloatVector.zero(FLOATS);
            for (int i = 0; i < whole; i += lanes) {
                acc = acc.add(FloatVector.fromArray(FLOATS, x, o + i));
            }
            float sum = acc.reduceLanes(VectorOperators.ADD);
            for (int i = whole; i < d; i++) {
                sum += x[o + i];
            }
            float mean = sum / d;
            acc = FloatVector.zero(FLOATS);
            for (int i = 0; i < whole; i += lanes) {
                FloatVector c = FloatVector.fromArray(FLOATS, x, o + i).sub(mean);
                acc = c.fma(c, acc);
            }
            float var = acc.reduceLanes(VectorOperators.ADD);
            for (int i = whole; i < d; i++) {
                float c = x[o + i] - mean;
                var += c * c;
            }
            float inv = (float) (1.0 / Math.sqrt(var / d + eps));
            for (int i = 0; i < whole; i += lanes) {
                FloatVector h = FloatVector.fromArray(FLOATS, x, o + i).sub(mean).mul(inv);
                h.intoArray(xhat, o + i);
                h.fma(FloatVector.fromArray(FLOATS, scale, i), FloatVector.fromArray(FLOATS, shift, i))
                        .intoArray(y, o + i);
            }
            for (int i = whole; i < d; i++) {
                float h = (x[o + i] - mean) * inv;
                xhat[o + i] = h;
                y[o + i] = Math.fma(h, scale[i], shift[i]);
            }
        }
    }

    /**
     * The softmax of one query's {@code t} scores for every lane (one row per lane, {@code s[j * lanes]}, as
     * {@link VectorKernels#attention} lays them out): {@code s[j] *= scale}, then
     * {@code p[j] = exp(s[j] - max) / sum}, in float, the sum in key order.
     *
     * @param s the raw scores, scaled in place
     * @param t the number of keys
     * @param scale 1 / sqrt(head width)
     * @param p receives the probabilities
     */
    static void laneSoftmax(float[] s, int t, float scale, float[] p) {
        int lanes = FLOATS.length();
        FloatVector max = FloatVector.broadcast(FLOATS, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < t; j++) {
            FloatVector f = FloatVector.fromArray(FLOATS, s, j * lanes).mul(scale);
            f.intoArray(s, j * lanes);
            max = max.max(f);
        }
        FloatVector sum = FloatVector.zero(FLOATS);
        for (int j = 0; j < t; j++) {
            FloatVector e = FloatVector.fromArray(FLOATS, s, j * lanes).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(p, j * lanes);
            sum = sum.add(e);
        }
        FloatVector inv = FloatVector.broadcast(FLOATS, 1f).div(sum);
        for (int j = 0; j < t; j++) {
            FloatVector.fromArray(FLOATS, p, j * lanes).mul(inv).intoArray(p, j * lanes);
        }
    }
}
