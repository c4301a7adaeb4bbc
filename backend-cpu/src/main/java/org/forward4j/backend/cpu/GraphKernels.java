package org.forward4j.backend.cpu;

/**
 * The plain-Java pieces of the batched layer-graph forward ({@link CpuGraphEvaluator}): gathers (convolution and
 * patch im2col, class token), layout changes, pooling, layer normalisation, token pooling and the attention core,
 * each over the rows of a chunk at once, on flat row-major arrays copied out of and into ND4J in one memcpy each.
 * The matrix products stay in ND4J's GEMMs; these pieces have small inner dimensions (17 tokens, 16 values per head,
 * 3 x 3 kernels) where ND4J's route measured slower on the ViT preset's attention (256 rows, 2 heads of 16): batched
 * matmul with the permuted copies it needs took 1.4 to 2 times this loop's time (same values within 6e-7), and
 * ND4J's SoftMax op alone took longer than the whole loop. Every loop's order is fixed, so results do not depend on
 * the thread count.
 */
final class GraphKernels {

    /** Whether {@link #attention} runs in Vector API lanes ({@link VectorKernels#attention}). */
    private static final boolean VECTOR = FastNoise.vectorized();

    /**
     * System property that turns the float kernels ({@link FloatMath}, the default) off when set to {@code false}:
     * the layer graphs' GELU, layer norm and softmax then give the scalar reference's bits.
     */
    static final String FLOAT_MATH_PROPERTY = "forward4j.cpu.float-math";

    private static volatile boolean floatMath = VECTOR
            && !"false".equalsIgnoreCase(System.getProperty(FLOAT_MATH_PROPERTY, "true").trim());

    private GraphKernels() {
    }

    /**
     * A stride-1 convolution computed directly, every row's output {@code [out, OH, OW]} in place: per output value
     * the bias, then {@code + w * x} over input channels, kernel rows and kernel columns in that order (zero
     * padding contributes {@code w * 0}), each a fused multiply-add (one rounding per tap, half the rounding error
     * of a multiply and an add). {@link VectorKernels#conv2d} does the same operations in lanes of output columns,
     * so both give the same bits.
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
        int oh = h + 2 * pad - k + 1;
        int ow = w + 2 * pad - k + 1;
        int ph = h + 2 * pad;
        int pw = w + 2 * pad;
        float[] padded = new float[c * ph * pw];
        float[] y = new float[rows * out * oh * ow];
        for (int n = 0; n < rows; n++) {
            padImage(x, n, c, h, w, pad, padded, ph, pw);
            for (int o = 0; o < out; o++) {
                for (int oy = 0; oy < oh; oy++) {
                    int dst = ((n * out + o) * oh + oy) * ow;
                    for (int ox = 0; ox < ow; ox++) {
                        float acc = bias[o];
                        for (int ch = 0; ch < c; ch++) {
                            for (int ky = 0; ky < k; ky++) {
                                int line = (ch * ph + oy + ky) * pw + ox;
                                int wb = ((o * c + ch) * k + ky) * k;
                                for (int kx = 0; kx < k; kx++) {
                                    acc = Math.fma(padded[line + kx], weight[wb + kx], acc);
                                }
                            }
                        }
                        y[dst + ox] = acc;
                    }
                }
            }
        }
        return y;
    }

    /**
     * Copies row n's image into the interior of a zero-bordered buffer of {@code [C, ph, pw]} (its border is never
     * written, so it stays zero from one row to the next).
     */
    static void padImage(float[] x, int n, int c, int h, int w, int pad, float[] padded, int ph, int pw) {
        for (int ch = 0; ch < c; ch++) {
            for (int iy = 0; iy < h; iy++) {
                System.arraycopy(x, ((n * c + ch) * h + iy) * w, padded, (ch * ph + iy + pad) * pw + pad, w);
            }
        }
    }

    /**
     * The patches of a convolution's input as columns (im2col): {@code out[((c * k + ky) * k + kx) * N + n * P + oy *
     * OW + ox]}, with {@code N = rows * P} and {@code P = OH * OW}, is input pixel
     * {@code (c, oy * stride + ky - pad, ox * stride + kx - pad)} of row n, 0 outside the image. The kernel matrix
     * {@code [out, C k k]} times this {@code [C k k, N]} matrix is the convolution of every row, output channel by
     * channel. Each kernel position copies runs of an input row (one {@code arraycopy} per run at stride 1).
     *
     * @param x rows of {@code [C, H, W]} images
     * @param rows the number of rows
     * @param c channels
     * @param h height
     * @param w width
     * @param k kernel size
     * @param stride stride
     * @param pad zero padding
     * @param oh output height
     * @param ow output width
     * @return the patch matrix {@code [c * k * k, rows * oh * ow]}
     */
    static float[] im2col(float[] x, int rows, int c, int h, int w, int k, int stride, int pad, int oh, int ow) {
        int pixels = oh * ow;
        int columns = rows * pixels;
        float[] out = new float[c * k * k * columns];
        int image = c * h * w;
        for (int ch = 0; ch < c; ch++) {
            for (int ky = 0; ky < k; ky++) {
                for (int kx = 0; kx < k; kx++) {
                    int base = ((ch * k + ky) * k + kx) * columns;
                    // output columns whose input column ox * stride + kx - pad lies inside the image
                    int ox0 = Math.max(0, Math.floorDiv(pad - kx + stride - 1, stride));
                    int ox1 = Math.min(ow, Math.floorDiv(w - 1 - kx + pad, stride) + 1);
                    if (ox1 <= ox0) {
                        continue;
                    }
                    for (int n = 0; n < rows; n++) {
                        for (int oy = 0; oy < oh; oy++) {
                            int iy = oy * stride + ky - pad;
                            if (iy < 0 || iy >= h) {
                                continue;
                            }
                            int src = n * image + (ch * h + iy) * w + kx - pad;
                            int dst = base + n * pixels + oy * ow;
                            if (stride == 1) {
                                System.arraycopy(x, src + ox0, out, dst + ox0, ox1 - ox0);
                            } else {
                                for (int ox = ox0; ox < ox1; ox++) {
                                    out[dst + ox] = x[src + ox * stride];
                                }
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * Swaps the two outer blocks of a {@code [a, b, inner]} array into {@code [b, a, inner]}, one {@code arraycopy}
     * per inner run: channel-major GEMM output {@code [channels, rows, pixels]} into rows of channel-major images, and
     * back for the assembly.
     *
     * @param x the values
     * @param a the outer dimension of the input
     * @param b the middle dimension of the input
     * @param inner the contiguous run length
     * @return the reordered values
     */
    static float[] swapOuter(float[] x, int a, int b, int inner) {
        float[] out = new float[x.length];
        for (int i = 0; i < a; i++) {
            for (int j = 0; j < b; j++) {
                System.arraycopy(x, (i * b + j) * inner, out, (j * a + i) * inner, inner);
            }
        }
        return out;
    }

    /**
     * The non-overlapping patches of images as rows, in {@code GraphForward.patches}' order: tokens in row-major
     * patch order, each patch's values ordered channel, row, column.
     *
     * @param x rows of {@code [C, H, W]} images
     * @param rows the number of rows
     * @param c channels
     * @param h height
     * @param w width
     * @param p the patch size
     * @param out receives them, every value written
     * @return {@code [rows * (h / p) * (w / p), c * p * p]}
     */
    static float[] patches(float[] x, int rows, int c, int h, int w, int p, float[] out) {
        int ph = h / p;
        int pw = w / p;
        int in = c * p * p;
        int image = c * h * w;
        for (int n = 0; n < rows; n++) {
            for (int py = 0; py < ph; py++) {
                for (int px = 0; px < pw; px++) {
                    int t = (n * ph + py) * pw + px;
                    for (int ch = 0; ch < c; ch++) {
                        for (int dy = 0; dy < p; dy++) {
                            System.arraycopy(x, n * image + (ch * h + py * p + dy) * w + px * p, out,
                                    t * in + (ch * p + dy) * p, p);
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * Max or average pooling without padding, the average of a window summed in double and divided by its size as
     * the reference does.
     *
     * @param x rows of {@code [C, H, W]} images
     * @param rows the number of rows
     * @param c channels
     * @param h height
     * @param w width
     * @param k window size
     * @param stride stride
     * @param max true for max pooling, false for average
     * @param out receives the pooled values, every one written
     * @return rows of {@code [C, (H - k) / stride + 1, (W - k) / stride + 1]}
     */
    static float[] pool(float[] x, int rows, int c, int h, int w, int k, int stride, boolean max, float[] out) {
        int oh = (h - k) / stride + 1;
        int ow = (w - k) / stride + 1;
        if (max) {
            // a maximum is one of its inputs, exact in float: no double accumulator, no per-tap passes
            for (int plane = 0; plane < rows * c; plane++) {
                int src = plane * h * w;
                int dst = plane * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int top = src + oy * stride * w;
                    for (int ox = 0, o = dst + oy * ow; ox < ow; ox++, o++) {
                        int at = top + ox * stride;
                        float m = x[at];
                        for (int ky = 0; ky < k; ky++) {
                            for (int kx = 0, i = at + ky * w; kx < k; kx++, i++) {
                                m = Math.max(m, x[i]);
                            }
                        }
                        out[o] = m;
                    }
                }
            }
            return out;
        }
        double area = k * k;
        double[] acc = new double[ow];
        for (int plane = 0; plane < rows * c; plane++) {
            int src = plane * h * w;
            int dst = plane * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                java.util.Arrays.fill(acc, max ? Double.NEGATIVE_INFINITY : 0);
                for (int ky = 0; ky < k; ky++) {
                    int line = src + (oy * stride + ky) * w;
                    for (int kx = 0; kx < k; kx++) {
                        int at = line + kx;
                        if (max) {
                            for (int ox = 0; ox < ow; ox++) {
                                acc[ox] = Math.max(acc[ox], x[at + ox * stride]);
                            }
                        } else {
                            for (int ox = 0; ox < ow; ox++) {
                                acc[ox] += x[at + ox * stride];
                            }
                        }
                    }
                }
                int o = dst + oy * ow;
                for (int ox = 0; ox < ow; ox++) {
                    out[o + ox] = (float) (max ? acc[ox] : acc[ox] / area);
                }
            }
        }
        return out;
    }

    /**
     * Layer normalisation of every {@code d}-wide vector: mean and variance (divided by d) in double,
     * {@code xhat = (x - mean) / sqrt(var + eps)} stored in float, then {@code y = xhat * scale + shift}.
     *
     * @param x the vectors, {@code [vectors, d]}
     * @param d the width
     * @param scale d scales
     * @param shift d shifts
     * @param eps the variance floor
     * @param xhat receives the normalised vectors (same length as x)
     * @param y receives the output (same length as x)
     */
    static void layerNorm(float[] x, int d, float[] scale, float[] shift, float eps, float[] xhat, float[] y) {
        int vectors = x.length / d;
        for (int t = 0; t < vectors; t++) {
            int o = t * d;
            double mean = 0;
            for (int i = 0; i < d; i++) {
                mean += x[o + i];
            }
            mean /= d;
            double var = 0;
            for (int i = 0; i < d; i++) {
                double c = x[o + i] - mean;
                var += c * c;
            }
            var /= d;
            double inv = 1.0 / Math.sqrt(var + eps);
            for (int i = 0; i < d; i++) {
                float hv = (float) ((x[o + i] - mean) * inv);
                xhat[o + i] = hv;
                y[o + i] = (float) ((double) hv * scale[i] + shift[i]);
            }
        }
    }

    /**
     * Prepends a token to every row's sequence.
     *
     * @param x rows of {@code [T, D]}
     * @param rows the number of rows
     * @param t tokens per row
     * @param token the D values of the new first token
     * @param out receives the rows, every value written
     * @return rows of {@code [T + 1, D]}
     */
    static float[] prependToken(float[] x, int rows, int t, float[] token, float[] out) {
        int d = token.length;
        for (int n = 0; n < rows; n++) {
            System.arraycopy(token, 0, out, n * (t + 1) * d, d);
            System.arraycopy(x, n * t * d, out, n * (t + 1) * d + d, t * d);
        }
        return out;
    }

    /**
     * Reduces every row's token sequence to its first token or to the mean of its tokens (summed in double).
     *
     * @param x rows of {@code [T, D]}
     * @param rows the number of rows
     * @param t tokens per row
     * @param d the token width
     * @param first true for the first token, false for the mean
     * @return rows of {@code [D]}
     */
    static float[] tokenPool(float[] x, int rows, int t, int d, boolean first) {
        float[] out = new float[rows * d];
        double[] acc = new double[d];
        for (int n = 0; n < rows; n++) {
            int base = n * t * d;
            if (first) {
                System.arraycopy(x, base, out, n * d, d);
                continue;
            }
            java.util.Arrays.fill(acc, 0);
            for (int i = 0; i < t; i++) {
                for (int c = 0; c < d; c++) {
                    acc[c] += x[base + i * d + c];
                }
            }
            for (int c = 0; c < d; c++) {
                out[n * d + c] = (float) (acc[c] / t);
            }
        }
        return out;
    }

    /**
     * The core of multi-head self-attention for every row: per head h of width {@code dh = D / heads},
     * {@code softmax(Q_h K_h^T / sqrt(dh)) V_h}, heads side by side in the output's token vectors. Scores are
     * rounded to float as in the reference, the softmax is taken with the row maximum subtracted, exponentials in
     * double. The products are written as row updates over contiguous arrays (keys transposed per head once), which
     * the JIT vectorises.
     *
     * <p>Only the first {@code tq} tokens of a row may have queries (the others' outputs cannot reach the loss,
     * {@code GraphObjective#liveTokens}): every query still mixes all {@code t} keys and values.
     *
     * @param q queries, rows of {@code [tq, D]}
     * @param k keys, rows of {@code [T, D]}
     * @param v values, same layout as the keys
     * @param rows the number of rows
     * @param tq query tokens per row, at most {@code t}
     * @param t tokens per row
     * @param d the token width D
     * @param heads the number of heads
     * @param out receives the mixed values, every one written
     * @return the mixed values, rows of {@code [tq, D]}
     */
    static float[] attention(float[] q, float[] k, float[] v, int rows, int tq, int t, int d, int heads,
                             float[] out) {
        if (VECTOR) {
            return VectorKernels.attention(q, k, v, rows, tq, t, d, heads, floatMath, out);
        }
        float[] r = scalarAttention(q, k, v, rows, tq, t, d, heads);
        System.arraycopy(r, 0, out, 0, r.length);
        return out;
    }

    /**
     * Whether the layer graphs' GELU, layer norm and softmax run as {@link FloatMath}'s float kernels: the default
     * where the Vector API is in use, off with {@code -D}{@value #FLOAT_MATH_PROPERTY}{@code =false}. They are
     * within 1e-5 of the double kernels, deterministic and independent of the thread count, and make a small ViT's
     * forward about 1.2x faster; the double kernels reproduce the scalar reference bit for bit.
     *
     * @return true when the float kernels are in use
     */
    static boolean floatMath() {
        return floatMath;
    }

    /**
     * Switches the float kernels on or off (tests compare both modes in one JVM); on only with the Vector API.
     *
     * @param on the new mode
     * @return the previous mode
     */
    static boolean floatMath(boolean on) {
        boolean was = floatMath;
        floatMath = on && VECTOR;
        return was;
    }

    /**
     * One head's keys transposed for the score loops: {@code kt[c * stride + j] = k[base + j * d + c]} for the
     * {@code t} keys and {@code dh} values of the head starting at {@code base}.
     */
    static void transposeKeys(float[] k, int base, int t, int d, int dh, float[] kt, int stride) {
        for (int j = 0; j < t; j++) {
            for (int c = 0; c < dh; c++) {
                kt[c * stride + j] = k[base + j * d + c];
            }
        }
    }

    /**
     * {@link #attention} in scalar loops: the reference of the Vector API version (the same exponentials when the
     * module is there), and the path where it is absent.
     */
    static float[] scalarAttention(float[] q, float[] k, float[] v, int rows, int tq, int t, int d, int heads) {
        int dh = d / heads;
        double scale = 1.0 / Math.sqrt(dh);
        float[] out = new float[q.length];
        float[] kt = new float[dh * t];
        float[] s = new float[t];
        double[] e = new double[t];
        float[] acc = new float[dh];
        for (int n = 0; n < rows; n++) {
            for (int h = 0; h < heads; h++) {
                int base = n * t * d + h * dh;
                transposeKeys(k, base, t, d, dh, kt, t);
                for (int i = 0; i < tq; i++) {
                    int qi = n * tq * d + h * dh + i * d;
                    java.util.Arrays.fill(s, 0f);
                    for (int c = 0; c < dh; c++) {
                        float qc = q[qi + c];
                        int row = c * t;
                        for (int j = 0; j < t; j++) {
                            s[j] += qc * kt[row + j];
                        }
                    }
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < t; j++) {
                        s[j] = (float) (s[j] * scale);
                        max = Math.max(max, s[j]);
                    }
                    if (VECTOR) {
                        VectorKernels.expShifted(s, t, max, e);
                    } else {
                        for (int j = 0; j < t; j++) {
                            e[j] = Math.exp(s[j] - max);
                        }
                    }
                    double sum = 0;
                    for (int j = 0; j < t; j++) {
                        sum += e[j];
                    }
                    java.util.Arrays.fill(acc, 0f);
                    for (int j = 0; j < t; j++) {
                        float p = (float) (e[j] / sum);
                        int vj = base + j * d;
                        for (int c = 0; c < dh; c++) {
                            acc[c] += p * v[vj + c];
                        }
                    }
                    System.arraycopy(acc, 0, out, qi, dh);
                }
            }
        }
        return out;
    }
}
