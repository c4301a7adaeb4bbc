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
 * results are the same bits. The layer graphs' kernels live here too: GELU and layer norm in double lanes, the
 * attention core one image per lane, direct stride-1 convolutions, and the narrow linear maps ({@link #affine}),
 * each documented with what it reproduces.
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

    /**
     * The widest input for which {@link #affine} gives OpenBLAS's bits: its single-precision kernels keep one
     * accumulator per output, start it at zero and add the inputs' products in order with fused multiply-adds, as
     * this kernel does, as long as they do not split the input dimension into blocks (measured on this project's
     * AVX-512 machine: equal bits up to 400, different from 512).
     */
    static final int AFFINE_MAX_IN = 256;

    /**
     * {@code y = x W^T + b} for {@code m} rows of width {@code k}, with {@code W} given transposed ({@code wt[k, n]},
     * row-major) and at least one vector of outputs ({@code n >= FLOATS.length()}). Every output starts at 0 and
     * takes one fused multiply-add per input in input order, then the bias: exactly {@code Math.fma} in that order,
     * so the bits do not depend on the machine. Four rows by two vectors of outputs at a time: eight independent
     * sums that share each weight load. For the ViT's narrow maps (width 32 to 64) it ran at 1.3x OpenBLAS's rate
     * and needs no copies into native memory and back, which cost as much again.
     *
     * @param x the rows {@code [m, k]}
     * @param m the number of rows
     * @param k the input width, at most {@link #AFFINE_MAX_IN} for OpenBLAS's bits
     * @param wt the weights transposed, {@code [k, n]}
     * @param n the output width
     * @param bias {@code [n]}
     * @return {@code [m, n]}
     */
    static float[] affine(float[] x, int m, int k, float[] wt, int n, float[] bias) {
        return affine(x, m, k, wt, n, bias, new float[m * n]);
    }

    /** {@link #affine(float[], int, int, float[], int, float[])} into {@code y}, every value of which it writes. */
    static float[] affine(float[] x, int m, int k, float[] wt, int n, float[] bias, float[] y) {
        int lanes = FLOATS.length();
        int pairs = n - n % (2 * lanes);
        int vectors = n - n % lanes;
        int r = 0;
        for (; r + 4 <= m; r += 4) {
            for (int c = 0; c < pairs; c += 2 * lanes) {
                affine4x2(x, r, k, wt, n, c, bias, y);
            }
            for (int c = pairs; c < vectors; c += lanes) {
                affine1(x, r, 4, k, wt, n, c, bias, y);
            }
        }
        for (int c = 0; r < m && c < vectors; c += lanes) {
            affine1(x, r, m - r, k, wt, n, c, bias, y);
        }
        for (int row = 0; row < m && vectors < n; row++) {
            for (int c = vectors; c < n; c++) {
                float acc = 0f;
                for (int i = 0, xi = row * k, w = c; i < k; i++, xi++, w += n) {
                    acc = Math.fma(x[xi], wt[w], acc);
                }
                y[row * n + c] = acc + bias[c];
            }
        }
        return y;
    }

    /** Rows {@code r..r+3}, outputs {@code c..c+2*lanes-1} of {@link #affine}. */
    private static void affine4x2(float[] x, int r, int k, float[] wt, int n, int c, float[] bias, float[] y) {
        int lanes = FLOATS.length();
        FloatVector a00 = FloatVector.zero(FLOATS);
        FloatVector a01 = a00;
        FloatVector a10 = a00;
        FloatVector a11 = a00;
        FloatVector a20 = a00;
        FloatVector a21 = a00;
        FloatVector a30 = a00;
        FloatVector a31 = a00;
        int x0 = r * k;
        for (int i = 0, w = c; i < k; i++, w += n) {
            FloatVector b0 = FloatVector.fromArray(FLOATS, wt, w);
            FloatVector b1 = FloatVector.fromArray(FLOATS, wt, w + lanes);
            FloatVector v = FloatVector.broadcast(FLOATS, x[x0 + i]);
            a00 = v.fma(b0, a00);
            a01 = v.fma(b1, a01);
            v = FloatVector.broadcast(FLOATS, x[x0 + k + i]);
            a10 = v.fma(b0, a10);
            a11 = v.fma(b1, a11);
            v = FloatVector.broadcast(FLOATS, x[x0 + 2 * k + i]);
            a20 = v.fma(b0, a20);
            a21 = v.fma(b1, a21);
            v = FloatVector.broadcast(FLOATS, x[x0 + 3 * k + i]);
            a30 = v.fma(b0, a30);
            a31 = v.fma(b1, a31);
        }
        FloatVector c0 = FloatVector.fromArray(FLOATS, bias, c);
        FloatVector c1 = FloatVector.fromArray(FLOATS, bias, c + lanes);
        int o = r * n + c;
        a00.add(c0).intoArray(y, o);
        a01.add(c1).intoArray(y, o + lanes);
        a10.add(c0).intoArray(y, o + n);
        a11.add(c1).intoArray(y, o + n + lanes);
        a20.add(c0).intoArray(y, o + 2 * n);
        a21.add(c1).intoArray(y, o + 2 * n + lanes);
        a30.add(c0).intoArray(y, o + 3 * n);
        a31.add(c1).intoArray(y, o + 3 * n + lanes);
    }

    /** {@code count} rows from {@code r}, one vector of outputs from {@code c}, of {@link #affine}. */
    private static void affine1(float[] x, int r, int count, int k, float[] wt, int n, int c, float[] bias,
                                float[] y) {
        FloatVector b = FloatVector.fromArray(FLOATS, bias, c);
        for (int row = r; row < r + count; row++) {
            FloatVector acc = FloatVector.zero(FLOATS);
            for (int i = 0, xi = row * k, w = c; i < k; i++, xi++, w += n) {
                acc = FloatVector.broadcast(FLOATS, x[xi]).fma(FloatVector.fromArray(FLOATS, wt, w), acc);
            }
            acc.add(b).intoArray(y, row * n + c);
        }
    }

    /**
     * Whether {@link #affine} takes a linear map of these widths: inputs up to {@link #AFFINE_MAX_IN}, at least one
     * vector of outputs.
     *
     * @param in the input width
     * @param out the output width
     * @return true when it does
     */
    static boolean affineTakes(int in, int out) {
        return in <= AFFINE_MAX_IN && out >= FLOATS.length();
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
     * {@link #biasRelu} from one native buffer into another ({@code y = max(x + bias, 0)}, {@code rows x out}
     * row-major, byte views in native order), the same operations per element: the hidden layer's product goes
     * straight from the GEMM's output into the next GEMM's input, without the copy into a Java array and back (a
     * tenth of the 784-256-10 MLP's plain forward after its first GEMM).
     *
     * @param x the GEMM's output
     * @param y the next GEMM's input (may be {@code x})
     * @param rows the number of rows
     * @param out the row width
     * @param bias {@code [out]}
     */
    static void biasRelu(java.nio.ByteBuffer x, java.nio.ByteBuffer y, int rows, int out, float[] bias) {
        java.nio.ByteOrder order = java.nio.ByteOrder.nativeOrder();
        int bound = FLOATS.loopBound(out);
        for (int r = 0, i = 0; r < rows; r++, i += out) {
            int o = 0;
            for (; o < bound; o += FLOATS.length()) {
                int at = (i + o) * Float.BYTES;
                FloatVector v = FloatVector.fromByteBuffer(FLOATS, x, at, order)
                        .add(FloatVector.fromArray(FLOATS, bias, o));
                v.max(0f).intoByteBuffer(y, at, order);
            }
            for (; o < out; o++) {
                int at = (i + o) * Float.BYTES;
                y.putFloat(at, Math.max(x.getFloat(at) + bias[o], 0f));
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
            DoubleVector t = DoubleVector.broadcast(DOUBLES, 1.0)
                    .sub(DoubleVector.broadcast(DOUBLES, 2.0).div(e.add(1.0)));
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
     * {@link GraphKernels#attention} with one row (image) per float lane, the same bits: a group of
     * {@code FLOATS.length()} rows' queries, keys and values is copied into lane-major scratch
     * ({@code x[(token * D + f) * lanes + l]}), so every score, softmax step and mixture sum runs for all the group's
     * rows at once, with no reduction across lanes, no padding of 17 keys to a vector of 32 and no scalar tails; the
     * output is copied back. A last partial group runs with its other lanes at zero and dropped. Each lane does the
     * scalar loop's operations for its row in its order: the scores accumulate over the head's width from 0, are
     * scaled in double and rounded to float; the maximum, exponentials, sum and division are in double (the softmax
     * in two halves of double lanes); key {@code j}'s exponential is the vector {@code EXP} where
     * {@link #expShifted} takes it in lanes ({@code j} below the last whole vector of keys) and {@code Math.exp} past
     * it, as there; the mixture accumulates over the keys from 0. One query at a time, the 17-key softmax's
     * reductions and tails were 40% of a small ViT's forward.
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
     * {@link #attention(float[], float[], float[], int, int, int, int, int)}, with {@link FloatMath}'s softmax
     * arithmetic when {@code floatSoftmax} (the opt-in float mode; other bits); the scalar loops where the species
     * do not pair up (no float species as wide as the double one).
     */
    static float[] attention(float[] q, float[] k, float[] v, int rows, int tq, int t, int d, int heads,
                             boolean floatSoftmax) {
        return attention(q, k, v, rows, tq, t, d, heads, floatSoftmax, new float[rows * tq * d]);
    }

    /** {@link #attention(float[], float[], float[], int, int, int, int, int, boolean)} into {@code out}. */
    static float[] attention(float[] q, float[] k, float[] v, int rows, int tq, int t, int d, int heads,
                             boolean floatSoftmax, float[] out) {
        if (HALF == null || FLOATS.length() != 2 * DOUBLES.length()) {
            float[] r = GraphKernels.scalarAttention(q, k, v, rows, tq, t, d, heads);
            System.arraycopy(r, 0, out, 0, r.length);
            return out;
        }
        int lanes = FLOATS.length();
        int dh = d / heads;
        double scale = 1.0 / Math.sqrt(dh);
        int qSize = tq * d;
        int kSize = t * d;
        float[] qt = new float[qSize * lanes];
        float[] kt = new float[kSize * lanes];
        float[] vt = new float[kSize * lanes];
        float[] ot = new float[qSize * lanes];
        float[] s = new float[t * lanes];
        double[] e = new double[t * lanes];
        float[] p = new float[t * lanes];
        double[] maxima = new double[DOUBLES.length()];
        for (int n0 = 0; n0 < rows; n0 += lanes) {
            int count = Math.min(lanes, rows - n0);
            toLanes(q, n0 * qSize, qSize, count, qt);
            toLanes(k, n0 * kSize, kSize, count, kt);
            toLanes(v, n0 * kSize, kSize, count, vt);
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < tq; i++) {
                    int qo = (i * d + h * dh) * lanes;
                    laneScores(qt, qo, kt, h * dh * lanes, t, d, dh, s);
                    if (floatSoftmax) {
                        FloatMath.laneSoftmax(s, t, (float) scale, p);
                    } else {
                        for (int part = 0; part < lanes; part += DOUBLES.length()) {
                            laneSoftmax(s, part, t, scale, e, p, maxima);
                        }
                    }
                    laneMixture(p, vt, h * dh * lanes, t, d, dh, ot, qo);
                }
            }
            fromLanes(ot, out, n0 * qSize, qSize, count);
        }
        return out;
    }

    /**
     * {@code xt[f * lanes + l] = x[base + l * size + f]} for the group's {@code count} rows of {@code size} values,
     * lane-major; the other lanes 0. Plain loads and stores: the Vector API's gathers and scatters ran its Java
     * fallback on this JDK, 8 times slower.
     */
    private static void toLanes(float[] x, int base, int size, int count, float[] xt) {
        int lanes = FLOATS.length();
        if (count < lanes) {
            java.util.Arrays.fill(xt, 0f);
        }
        for (int l = 0; l < count; l++) {
            for (int f = 0, o = base + l * size; f < size; f++) {
                xt[f * lanes + l] = x[o + f];
            }
        }
    }

    /** The inverse of {@link #toLanes} for the group's {@code count} rows. */
    private static void fromLanes(float[] xt, float[] x, int base, int size, int count) {
        int lanes = FLOATS.length();
        for (int l = 0; l < count; l++) {
            for (int f = 0, o = base + l * size; f < size; f++) {
                x[o + f] = xt[f * lanes + l];
            }
        }
    }

    /**
     * One query's raw scores against the {@code t} keys of a head, for every lane: into {@code s[j * lanes]}. Four
     * keys at a time share the query's loads and run four independent sums (one sum's dependent additions left the
     * adders idle).
     */
    private static void laneScores(float[] qt, int qo, float[] kt, int head, int t, int d, int dh, float[] s) {
        int lanes = FLOATS.length();
        int step = d * lanes;
        int j = 0;
        for (; j + 4 <= t; j += 4) {
            int ko = j * step + head;
            FloatVector a0 = FloatVector.zero(FLOATS);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int c = 0; c < dh; c++) {
                FloatVector qc = FloatVector.fromArray(FLOATS, qt, qo + c * lanes);
                int o = ko + c * lanes;
                a0 = a0.add(qc.mul(FloatVector.fromArray(FLOATS, kt, o)));
                a1 = a1.add(qc.mul(FloatVector.fromArray(FLOATS, kt, o + step)));
                a2 = a2.add(qc.mul(FloatVector.fromArray(FLOATS, kt, o + 2 * step)));
                a3 = a3.add(qc.mul(FloatVector.fromArray(FLOATS, kt, o + 3 * step)));
            }
            a0.intoArray(s, j * lanes);
            a1.intoArray(s, (j + 1) * lanes);
            a2.intoArray(s, (j + 2) * lanes);
            a3.intoArray(s, (j + 3) * lanes);
        }
        for (; j < t; j++) {
            int ko = j * step + head;
            FloatVector acc = FloatVector.zero(FLOATS);
            for (int c = 0; c < dh; c++) {
                acc = acc.add(FloatVector.fromArray(FLOATS, qt, qo + c * lanes)
                        .mul(FloatVector.fromArray(FLOATS, kt, ko + c * lanes)));
            }
            acc.intoArray(s, j * lanes);
        }
    }

    /**
     * The softmax of one query's scores for the double lanes from {@code part}: scaled and rounded to float in
     * {@code s}, exponentials in {@code e}, probabilities rounded to float in {@code p}.
     */
    private static void laneSoftmax(float[] s, int part, int t, double scale, double[] e, float[] p,
                                    double[] maxima) {
        int lanes = FLOATS.length();
        VectorSpecies<Float> floats = HALF;
        FloatVector max = FloatVector.broadcast(floats, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < t; j++) {
            int o = j * lanes + part;
            FloatVector f = (FloatVector) ((DoubleVector) FloatVector.fromArray(floats, s, o).castShape(DOUBLES, 0))
                    .mul(scale).castShape(floats, 0);
            f.intoArray(s, o);
            max = max.max(f);
        }
        DoubleVector m = (DoubleVector) max.castShape(DOUBLES, 0);
        DoubleVector sum = DoubleVector.zero(DOUBLES);
        int vectorExp = t - t % DOUBLES.length();
        for (int j = 0; j < vectorExp; j++) {
            int o = j * lanes + part;
            DoubleVector x = ((DoubleVector) FloatVector.fromArray(floats, s, o).castShape(DOUBLES, 0)).sub(m)
                    .lanewise(VectorOperators.EXP);
            x.intoArray(e, o);
            sum = sum.add(x);
        }
        if (vectorExp < t) {
            m.intoArray(maxima, 0);
            for (int j = vectorExp; j < t; j++) {
                int o = j * lanes + part;
                for (int l = 0; l < maxima.length; l++) {
                    e[o + l] = Math.exp(s[o + l] - maxima[l]);
                }
                sum = sum.add(DoubleVector.fromArray(DOUBLES, e, o));
            }
        }
        for (int j = 0; j < t; j++) {
            int o = j * lanes + part;
            ((FloatVector) DoubleVector.fromArray(DOUBLES, e, o).div(sum).castShape(floats, 0)).intoArray(p, o);
        }
    }

    /**
     * One query's mixture of a head's values, for every lane: into {@code ot} from {@code qo}. Four of the head's
     * values at a time share the probabilities' loads and run independent sums over the keys.
     */
    private static void laneMixture(float[] p, float[] vt, int head, int t, int d, int dh, float[] ot, int qo) {
        int lanes = FLOATS.length();
        int step = d * lanes;
        int c = 0;
        for (; c + 4 <= dh; c += 4) {
            int vo = head + c * lanes;
            FloatVector a0 = FloatVector.zero(FLOATS);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int j = 0; j < t; j++) {
                FloatVector pj = FloatVector.fromArray(FLOATS, p, j * lanes);
                int o = vo + j * step;
                a0 = a0.add(pj.mul(FloatVector.fromArray(FLOATS, vt, o)));
                a1 = a1.add(pj.mul(FloatVector.fromArray(FLOATS, vt, o + lanes)));
                a2 = a2.add(pj.mul(FloatVector.fromArray(FLOATS, vt, o + 2 * lanes)));
                a3 = a3.add(pj.mul(FloatVector.fromArray(FLOATS, vt, o + 3 * lanes)));
            }
            a0.intoArray(ot, qo + c * lanes);
            a1.intoArray(ot, qo + (c + 1) * lanes);
            a2.intoArray(ot, qo + (c + 2) * lanes);
            a3.intoArray(ot, qo + (c + 3) * lanes);
        }
        for (; c < dh; c++) {
            int vo = head + c * lanes;
            FloatVector acc = FloatVector.zero(FLOATS);
            for (int j = 0; j < t; j++) {
                acc = acc.add(FloatVector.fromArray(FLOATS, p, j * lanes)
                        .mul(FloatVector.fromArray(FLOATS, vt, vo + j * step)));
            }
            acc.intoArray(ot, qo + c * lanes);
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
        return conv2d(x, rows, c, h, w, weight, bias, out, k, pad,
                new float[rows * out * (h + 2 * pad - k + 1) * (w + 2 * pad - k + 1)]);
    }

    /** {@link #conv2d(float[], int, int, int, int, float[], float[], int, int, int)} into {@code y}, all written. */
    static float[] conv2d(float[] x, int rows, int c, int h, int w, float[] weight, float[] bias, int out, int k,
                          int pad, float[] y) {
        int lanes = FLOATS.length();
        int oh = h + 2 * pad - k + 1;
        int ow = w + 2 * pad - k + 1;
        int ph = h + 2 * pad;
        int vectors = (ow + lanes - 1) / lanes;
        int pw = vectors * lanes + k - 1;
        int taps = c * k * k;
        float[] padded = new float[c * ph * pw];
        float[] line = new float[vectors * lanes];
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
