package org.forward4j.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The opt-in float kernels of the layer graphs ({@link GraphKernels#floatMath()}): GELU, layer norm and the
 * attention's softmax in float lanes. The default kernels ({@link VectorKernels}) reproduce the scalar reference's
 * double arithmetic bit for bit, which costs half the lanes and, in GELU, a division and a blend chain per element;
 * on the {@code vit} these three were 38% of the plain forward's time. Here each is written for float: GELU as
 * {@code v / (1 + exp(-2u))} (the tanh form's {@code 0.5 (1 + tanh u)} is the logistic function of {@code 2u},
 * which in float avoids the cancellation of {@code 1 + tanh u} near -1), layer norm with lane sums per token, the
 * softmax with one vector exponential per lane-wide run of keys. Results differ from the default in the last bits
 * (a few float ulps per value); they are still the same for any thread count.
 *
 * <p>Only loaded when the mode is on, which needs the Vector API module (see {@link FastNoise#vectorized()}).
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
     * One query's softmax over its {@code t} scores: {@code s[j] *= scale}, then
     * {@code p[j] = exp(s[j] - max) / sum}, in whole vectors and a scalar tail.
     *
     * @param s the raw scores, scaled in place
     * @param t the number of keys
     * @param scale 1 / sqrt(head width)
     * @param p receives the probabilities
     */
    static void softmax(float[] s, int t, double scale, float[] p) {
        float sc = (float) scale;
        int lanes = FLOATS.length();
        int whole = t - t % lanes;
        // whole vectors, then the scalar tail: masked lanes ran the Vector API's slow paths on this JDK
        float max = Float.NEGATIVE_INFINITY;
        if (whole > 0) {
            FloatVector m = FloatVector.fromArray(FLOATS, s, 0).mul(sc);
            m.intoArray(s, 0);
            for (int j = lanes; j < whole; j += lanes) {
                FloatVector v = FloatVector.fromArray(FLOATS, s, j).mul(sc);
                v.intoArray(s, j);
                m = m.max(v);
            }
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (int j = whole; j < t; j++) {
            s[j] *= sc;
            max = Math.max(max, s[j]);
        }
        float sum = 0f;
        if (whole > 0) {
            FloatVector acc = FloatVector.zero(FLOATS);
            for (int j = 0; j < whole; j += lanes) {
                FloatVector e = FloatVector.fromArray(FLOATS, s, j).sub(max).lanewise(VectorOperators.EXP);
                e.intoArray(p, j);
                acc = acc.add(e);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (int j = whole; j < t; j++) {
            p[j] = (float) Math.exp(s[j] - max);
            sum += p[j];
        }
        float inv = 1f / sum;
        int j = 0;
        for (; j < whole; j += lanes) {
            FloatVector.fromArray(FLOATS, p, j).mul(inv).intoArray(p, j);
        }
        for (; j < t; j++) {
            p[j] *= inv;
        }
    }
}
