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
    /**
     * The float species with as many lanes as {@link #DOUBLES}, for widening casts; null if there is none. A static
     * final, so that the JIT sees a constant species: through a method call it did not, and every cast ran the
     * Vector API's Java fallback, 10 times slower.
     */
    private static final VectorSpecies<Float> HALF = FloatVector.SPECIES_256.length() == DOUBLES.length()
            ? FloatVector.SPECIES_256 : FloatVector.SPECIES_128.length() == DOUBLES.length() ? FloatVector.SPECIES_128
            : null;

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
     * {@code y[i] = x[i] > 0 ? x[i] : 0}, exactly the scalar loop (NaN and -0 give 0, unlike a lane maximum), which
     * the JIT does not vectorise: it was a third of the small CNN's forward.
     */
    static void relu(float[] x, float[] y) {
        int bound = FLOATS.loopBound(x.length);
        int i = 0;
        for (; i < bound; i += FLOATS.length()) {
            FloatVector v = FloatVector.fromArray(FLOATS, x, i);
            v.blend(0f, v.compare(VectorOperators.GT, 0f).not()).intoArray(y, i);
        }
        for (; i < x.length; i++) {
            y[i] = x[i] > 0 ? x[i] : 0f;
        }
    }

    /** {@code v[r, o] += bias[o]}, row-major {@code rows x out}: the same float add per element as a scalar loop. */
    static void addBias(float[] v, int rows, int out, float[] bias) {
        int bound = FLOATS.loopBound(out);
        for (int r = 0, i = 0; r < rows; r++, i += out) {
            int o = 0;
            for (; o < bound; o += FLOATS.length()) {
                FloatVector.fromArray(FLOATS, v, i + o).add(FloatVector.fromArray(FLOATS, bias, o))
                        .intoArray(v, i + o);
            }
            for (; o < out; o++) {
                v[i + o] += bias[o];
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
        VectorSpecies<Float> floats = HALF;
        int bound = floats == null ? 0 : x.length - x.length % lanes;
        int i = 0;
        for (; i < bound; i += lanes) {
            // widened in a register, not through a double array (which cost as much as the arithmetic)
            DoubleVector v = (DoubleVector) FloatVector.fromArray(floats, x, i).castShape(DOUBLES, 0);
            DoubleVector u = v.add(v.mul(0.044715).mul(v).mul(v)).mul(c);
            DoubleVector a = u.abs();
            DoubleVector e = a.mul(2.0).lanewise(VectorOperators.EXP);
            DoubleVector t = DoubleVector.broadcast(DOUBLES, 1.0).sub(DoubleVector.broadcast(DOUBLES, 2.0).div(e.add(1.0)));
            VectorMask<Double> small = a.compare(VectorOperators.LT, 1e-4);
            // |u| < 1e-4: the series (its sign restored below with every other lane's); |u| > 20: 1
            t = t.blend(u.sub(u.mul(u).mul(u).div(3.0)).abs(), small);
            t = t.blend(1.0, a.compare(VectorOperators.GT, 20.0));
            t = t.blend(t.neg(), u.compare(VectorOperators.LT, 0.0));
            ((FloatVector) v.mul(0.5).mul(t.add(1.0)).castShape(floats, 0)).intoArray(y, i);
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
        VectorSpecies<Float> floats = HALF;
        int vectors = x.length / d;
        int groups = floats == null ? 0 : vectors / lanes;
        int[] index = new int[lanes];
        for (int l = 0; l < lanes; l++) {
            index[l] = l * d;
        }
        double[] means = new double[lanes];
        double[] invs = new double[lanes];
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
            mean.intoArray(means, 0);
            inv.intoArray(invs, 0);
            // the normalisation is element-wise within a token: contiguous lanes per token, no scatter stores
            for (int l = 0; l < lanes; l++) {
                normalise(x, base + l * d, d, means[l], invs[l], scale, shift, xhat, y);
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

    /**
     * One token's {@code xhat = (float) ((x - mean) * inv)} and {@code y = (float) ((double) xhat * scale + shift)},
     * in double lanes over its D values: the scalar loop's operations per element, so the same bits.
     */
    private static void normalise(float[] x, int o, int d, double mean, double inv, float[] scale, float[] shift,
                                  float[] xhat, float[] y) {
        VectorSpecies<Float> floats = HALF;
        int lanes = DOUBLES.length();
        int i = 0;
        for (; i + lanes <= d; i += lanes) {
            FloatVector hv = (FloatVector) ((DoubleVector) FloatVector.fromArray(floats, x, o + i)
                    .castShape(DOUBLES, 0)).sub(mean).mul(inv).castShape(floats, 0);
            hv.intoArray(xhat, o + i);
            DoubleVector sc = (DoubleVector) FloatVector.fromArray(floats, scale, i).castShape(DOUBLES, 0);
            DoubleVector sh = (DoubleVector) FloatVector.fromArray(floats, shift, i).castShape(DOUBLES, 0);
            ((FloatVector) ((DoubleVector) hv.castShape(DOUBLES, 0)).mul(sc).add(sh).castShape(floats, 0))
                    .intoArray(y, o + i);
        }
        for (; i < d; i++) {
            float hv = (float) ((x[o + i] - mean) * inv);
            xhat[o + i] = hv;
            y[o + i] = (float) ((double) hv * scale[i] + shift[i]);
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
        VectorSpecies<Float> floats = HALF;
        int j = 0;
        for (; floats != null && j + lanes <= t; j += lanes) {
            ((DoubleVector) FloatVector.fromArray(floats, s, j).castShape(DOUBLES, 0)).sub(max)
                    .lanewise(VectorOperators.EXP).intoArray(e, j);
        }
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

    /**
     * {@link GraphKernels#attention} in float lanes, the same bits: the scores of one query against a lane-wide run
     * of keys (keys transposed per head, rows padded with zeros to whole vectors) accumulate over the head's width
     * in the scalar loop's order, and the mixture accumulates each lane-wide run of a head's width over the keys in
     * its order; the softmax in between is the scalar loop's. The scalar version's loops over 17 tokens and 16
     * values were a quarter of the ViT's forward time.
     *
     * @param q queries, rows of {@code [tq, D]}
     * @param k keys, rows of {@code [T, D]}
     * @param v values, same layout as the keys
     * @param rows the number of rows
     * @param tq query tokens per row, at most {@code t}
     * @param t tokens per row
     * @param d the token width D
     * @param heads the number of heads
     * @return the mixed values, rows of {@code [tq, D]}
     */
    static float[] attention(float[] q, float[] k, float[] v, int rows, int tq, int t, int d, int heads) {
        return attention(q, k, v, rows, tq, t, d, heads, false);
    }

    /**
     * {@link #attention(float[], float[], float[], int, int, int, int, int)}, with the softmax from
     * {@link FloatMath#softmax} when {@code floatSoftmax} (the opt-in float mode; other bits).
     */
    static float[] attention(float[] q, float[] k, float[] v, int rows, int tq, int t, int d, int heads,
                             boolean floatSoftmax) {
        int dh = d / heads;
        double scale = 1.0 / Math.sqrt(dh);
        int lanes = FLOATS.length();
        int tp = (t + lanes - 1) / lanes * lanes;
        int cBound = FLOATS.loopBound(dh);
        float[] out = new float[rows * tq * d];
        float[] kt = new float[dh * tp];
        float[] s = new float[tp];
        double[] e = new double[t];
        float[] p = new float[tp];
        for (int n = 0; n < rows; n++) {
            for (int h = 0; h < heads; h++) {
                int base = n * t * d + h * dh;
                GraphKernels.transposeKeys(k, base, t, d, dh, kt, tp);
                for (int i = 0; i < tq; i++) {
                    int qi = n * tq * d + h * dh + i * d;
                    for (int j0 = 0; j0 < tp; j0 += lanes) {
                        FloatVector acc = FloatVector.zero(FLOATS);
                        for (int c = 0; c < dh; c++) {
                            acc = acc.add(FloatVector.fromArray(FLOATS, kt, c * tp + j0).mul(q[qi + c]));
                        }
                        acc.intoArray(s, j0);
                    }
                    if (floatSoftmax) {
                        FloatMath.softmax(s, t, scale, p);
                    } else {
                        double max = scaleAndMax(s, t, scale);
                        expShifted(s, t, max, e);
                        double sum = 0;
                        for (int j = 0; j < t; j++) {
                            sum += e[j];
                        }
                        divide(e, t, sum, p);
                    }
                    int c = 0;
                    for (; c < cBound; c += lanes) {
                        FloatVector acc = FloatVector.zero(FLOATS);
                        for (int j = 0, vj = base + c; j < t; j++, vj += d) {
                            acc = acc.add(FloatVector.fromArray(FLOATS, v, vj).mul(p[j]));
                        }
                        acc.intoArray(out, qi + c);
                    }
                    for (; c < dh; c++) {
                        float acc = 0f;
                        for (int j = 0, vj = base + c; j < t; j++, vj += d) {
                            acc += p[j] * v[vj];
                        }
                        out[qi + c] = acc;
                    }
                }
            }
        }
        return out;
    }

    /**
     * {@code s[j] = (float) (s[j] * scale)} for {@code j < t} and the largest of them: the scalar loop's product and
     * rounding per element, in double lanes. A maximum does not depend on the order it is taken in (Math.max's NaN
     * and signed-zero rules included), so the lanes' reduction gives the scalar loop's value.
     */
    private static double scaleAndMax(float[] s, int t, double scale) {
        VectorSpecies<Float> floats = HALF;
        int lanes = DOUBLES.length();
        double max = Double.NEGATIVE_INFINITY;
        int j = 0;
        if (floats != null && lanes <= t) {
            // lane-wise maxima, one reduction at the end (a reduction per vector cost more than the products)
            FloatVector m = FloatVector.broadcast(floats, Float.NEGATIVE_INFINITY);
            for (; j + lanes <= t; j += lanes) {
                FloatVector f = (FloatVector) ((DoubleVector) FloatVector.fromArray(floats, s, j)
                        .castShape(DOUBLES, 0)).mul(scale).castShape(floats, 0);
                f.intoArray(s, j);
                m = m.max(f);
            }
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; j < t; j++) {
            s[j] = (float) (s[j] * scale);
            max = Math.max(max, s[j]);
        }
        return max;
    }

    /** {@code p[j] = (float) (e[j] / sum)} for {@code j < t}: an IEEE division and a rounding per lane. */
    private static void divide(double[] e, int t, double sum, float[] p) {
        VectorSpecies<Float> floats = HALF;
        int lanes = DOUBLES.length();
        int j = 0;
        for (; floats != null && j + lanes <= t; j += lanes) {
            ((FloatVector) DoubleVector.fromArray(DOUBLES, e, j).div(sum).castShape(floats, 0)).intoArray(p, j);
        }
        for (; j < t; j++) {
            p[j] = (float) (e[j] / sum);
        }
    }

    /**
     * {@link GraphKernels#conv2d} in lanes of output columns, the same bits: each lane runs the scalar loop's
     * operations for its output value, in its order (bias, then one fused multiply-add per input channel, kernel
     * row and kernel column). The padded buffer's rows are a vector wider than the image, so every load is in range;
     * a vector's lanes past the output row are computed and dropped. The im2col route it replaces copied nine to
     * seventy-two floats per output value into native memory and back, and was most of the small CNN's forward.
     *
     * @param x rows of {@code [C, H, W]} images
     * @param rows the number of rows
     * @param c input channels
     * @param h height
     * @param w width
     * @param weight the kernels {@code [out, C, k, k]}
     * @param bias {@code [out]}
     * @param out output channels
     * @param k kernel size
     * @param pad zero padding
     * @return rows of {@code [out, H + 2 pad - k + 1, W + 2 pad - k + 1]}
     */
    static float[] conv2d(float[] x, int rows, int c, int h, int w, float[] weight, float[] bias, int out, int k,
                          int pad) {
        int lanes = FLOATS.length();
        int oh = h + 2 * pad - k + 1;
        int ow = w + 2 * pad - k + 1;
        int ph = h + 2 * pad;
        int vectors = (ow + lanes - 1) / lanes;
        int pw = vectors * lanes + k - 1;
        int taps = c * k * k;
        float[] padded = new float[c * ph * pw];
        float[] line = new float[vectors * lanes];
        float[] y = new float[rows * out * oh * ow];
        // the padded offset of every tap relative to the output position: ch, ky, kx in the scalar loop's order
        int[] offset = new int[taps];
        for (int ch = 0, t = 0; ch < c; ch++) {
            for (int ky = 0; ky < k; ky++) {
                for (int kx = 0; kx < k; kx++, t++) {
                    offset[t] = (ch * ph + ky) * pw + kx;
                }
            }
        }
        for (int n = 0; n < rows; n++) {
            GraphKernels.padImage(x, n, c, h, w, pad, padded, ph, pw);
            for (int o = 0; o < out; o++) {
                int wb = o * taps;
                for (int oy = 0; oy < oh; oy++) {
                    for (int x0 = 0; x0 < vectors * lanes; x0 += lanes) {
                        int at = oy * pw + x0;
                        FloatVector acc = FloatVector.broadcast(FLOATS, bias[o]);
                        for (int t = 0; t < taps; t++) {
                            acc = FloatVector.fromArray(FLOATS, padded, at + offset[t])
                                    .fma(FloatVector.broadcast(FLOATS, weight[wb + t]), acc);
                        }
                        acc.intoArray(line, x0);
                    }
                    System.arraycopy(line, 0, y, ((n * out + o) * oh + oy) * ow, ow);
                }
            }
        }
        return y;
    }
}
