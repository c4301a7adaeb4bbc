package org.forward4j.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.forward4j.estimator.graph.Layer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The Vector API GELU and layer norm. GELU computes the scalar formula's operations in the same order, so it may differ from the scalar
 * loop only where the vector exponential and {@code Math.exp} round differently: at most one float ulp, and rarely; the layer norm runs
 * one token per lane with the scalar loop's operations and gives its bits.
 */
class VectorGraphKernelsTest {

    private static float scalar(float x) {
        double v = x;
        return (float) (0.5 * v * (1 + CpuGraphEvaluator.tanh(Layer.Act.GELU_C * (v + 0.044715 * v * v * v))));
    }

    @Test
    void matchesTheScalarFormulaWithinOneUlpAndAlmostAlwaysExactly() {
        Assumptions.assumeTrue(FastNoise.vectorized(), "jdk.incubator.vector is not resolved in this JVM");
        long seed = 17;
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 1 << 20;
        float[] x = new float[n + 7];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(-6, 3)));
        }
        float[] edges = {0f, -0f, 1e-30f, -1e-30f, 1e-4f, -1e-4f, 20f, -20f, 1e3f, -1e3f, Float.MAX_VALUE,
            -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        System.arraycopy(edges, 0, x, 0, edges.length);
        float[] y = new float[x.length];
        VectorKernels.gelu(x, y, Layer.Act.GELU_C);
        int differ = 0;
        for (int i = 0; i < x.length; i++) {
            float want = scalar(x[i]);
            if (Float.floatToIntBits(y[i]) != Float.floatToIntBits(want)) {
                differ++;
                assertThat(Math.abs(y[i] - want)).as("x = %s (seed %d)", x[i], seed)
                        .isLessThanOrEqualTo(Math.ulp(want));
            }
        }
        for (int i = 0; i < edges.length; i++) {
            assertThat(Float.floatToIntBits(y[i])).as("edge x = %s", x[i])
                    .isEqualTo(Float.floatToIntBits(scalar(x[i])));
        }
        // a double exponential within an ulp changes the float only at a rounding boundary: expect a handful at most
        assertThat(differ).as("elements differing from the scalar loop (seed %d)", seed).isLessThan(n / 10_000);
        System.out.printf("vector GELU: %d of %d elements differ from the scalar loop by one ulp%n", differ, x.length);
    }

    @Test
    void writesInPlace() {
        Assumptions.assumeTrue(FastNoise.vectorized(), "jdk.incubator.vector is not resolved in this JVM");
        float[] x = {-3f, -1f, -0.5f, 0f, 0.5f, 1f, 3f, 10f, 0.25f};
        float[] copy = x.clone();
        VectorKernels.gelu(x, x, Layer.Act.GELU_C);
        for (int i = 0; i < x.length; i++) {
            assertThat(x[i]).isCloseTo(scalar(copy[i]), org.assertj.core.api.Assertions.within(Math.ulp(1f)));
        }
    }

    /** A layer-norm kernel's signature, to run the reference and a candidate alike. */
    private interface LayerNormKernel {
        void apply(float[] x, int d, float[] scale, float[] shift, float eps, float[] xhat, float[] y);
    }

    /** Runs a layer-norm kernel on {x, scale, shift}: {xhat, y}. */
    private static float[][] layerNorm(LayerNormKernel kernel, float[][] in, int d) {
        float[] hat = new float[in[0].length];
        float[] y = new float[in[0].length];
        kernel.apply(in[0], d, in[1], in[2], Layer.LayerNorm.EPS, hat, y);
        return new float[][] {hat, y};
    }

    /** Layer-norm inputs: {tokens x D values (the first of each token offset by 3), scale near 1, shift near 0}. */
    private static float[][] layerNormInputs(SplittableRandom rnd, int tokens, int d) {
        float[] x = new float[tokens * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 4 + (i % d == 0 ? 3 : 0));
        }
        float[] scale = new float[d];
        float[] shift = new float[d];
        for (int i = 0; i < d; i++) {
            scale[i] = (float) (1 + rnd.nextGaussian() * 0.2);
            shift[i] = (float) (rnd.nextGaussian() * 0.1);
        }
        return new float[][] {x, scale, shift};
    }

    @Test
    void layerNormInLanesIsTheScalarLoopBitForBit() {
        Assumptions.assumeTrue(FastNoise.vectorized(), "jdk.incubator.vector is not resolved in this JVM");
        long seed = 23;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int d : new int[] {1, 3, 8, 32, 33}) {
            for (int tokens : new int[] {1, 7, 8, 9, 17, 64, 100}) {
                float[][] in = layerNormInputs(rnd, tokens, d);
                float[][] want = layerNorm(GraphKernels::layerNorm, in, d);
                float[][] got = layerNorm(VectorKernels::layerNorm, in, d);
                float[] wantHat = want[0];
                float[] wantY = want[1];
                float[] hat = got[0];
                float[] y = got[1];
                for (int i = 0; i < hat.length; i++) {
                    assertThat(Float.floatToIntBits(hat[i])).as("xhat, d %d, tokens %d, i %d (seed %d)", d, tokens,
                            i, seed).isEqualTo(Float.floatToIntBits(wantHat[i]));
                    assertThat(Float.floatToIntBits(y[i])).as("y, d %d, tokens %d, i %d (seed %d)", d, tokens, i,
                            seed).isEqualTo(Float.floatToIntBits(wantY[i]));
                }
            }
        }
    }

    @Test
    void softmaxExponentialsAreMathExpWithinOneUlp() {
        Assumptions.assumeTrue(FastNoise.vectorized(), "jdk.incubator.vector is not resolved in this JVM");
        long seed = 29;
        SplittableRandom rnd = new SplittableRandom(seed);
        int differ = 0;
        int total = 0;
        for (int round = 0; round < 20_000; round++) {
            int t = 1 + rnd.nextInt(40);
            float[] s = new float[t];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < t; j++) {
                s[j] = (float) (rnd.nextGaussian() * 5);
                max = Math.max(max, s[j]);
            }
            double[] e = new double[t];
            VectorKernels.expShifted(s, t, max, e);
            for (int j = 0; j < t; j++) {
                double want = Math.exp(s[j] - max);
                total++;
                if (e[j] != want) {
                    differ++;
                    assertThat(Math.abs(e[j] - want)).as("s = %s, max %s (seed %d)", s[j], max, seed)
                            .isLessThanOrEqualTo(Math.ulp(want));
                }
            }
        }
        System.out.printf("vector exp: %d of %d values differ from Math.exp by one ulp%n", differ, total);
    }

    /**
     * The Vector API attention core gives the scalar loops' bits: for the ViT preset's shape (17 tokens, 2 heads of
     * 16), with queries for every token and for the class token alone, and for widths that leave partial vectors.
     */
    @Test
    void attentionGivesTheScalarLoopsBits() {
        Assumptions.assumeTrue(FastNoise.vectorized(), "jdk.incubator.vector is not resolved in this JVM");
        long seed = 23;
        SplittableRandom rnd = new SplittableRandom(seed);
        int[][] shapes = {{17, 32, 2}, {17, 32, 1}, {5, 6, 2}, {40, 40, 2}, {1, 8, 1}, {33, 48, 3}};
        // 7 rows run one query at a time; 37 are two groups of 16 rows in lanes (AVX-512) and 5 left over
        for (int[] shape : shapes) {
            for (int rows : new int[] {7, 37}) {
                int t = shape[0];
                int d = shape[1];
                int heads = shape[2];
                float[] k = new float[rows * t * d];
                float[] v = new float[rows * t * d];
                for (int i = 0; i < k.length; i++) {
                    k[i] = (float) rnd.nextGaussian();
                    v[i] = (float) rnd.nextGaussian();
                }
                for (int tq : new int[] {t, 1}) {
                    float[] q = new float[rows * tq * d];
                    for (int i = 0; i < q.length; i++) {
                        q[i] = (float) (3 * rnd.nextGaussian());
                    }
                    float[] want = GraphKernels.scalarAttention(q, k, v, rows, tq, t, d, heads);
                    float[] got = VectorKernels.attention(q, k, v, rows, tq, t, d, heads);
                    assertThat(got).as("T=%d D=%d heads=%d queries=%d rows=%d, seed %d", t, d, heads, tq, rows, seed)
                            .containsExactly(want);
                }
            }
        }
    }

    /**
     * The opt-in float GELU ({@code v / (1 + exp(-2u))} in float lanes) against the default double kernel: within
     * 1e-5 relative (a float exponential of an argument up to about 90 is good to about 50 ulps of 6e-8), plus the
     * default's own error for negative x: it forms {@code 1 + tanh u} in double, which near {@code tanh u = -1}
     * cancels down to an absolute error of an ulp of 1 (2.2e-16) times {@code |x| / 2}, and past {@code |u| > 20}
     * it returns 0 where the true value, which the float form keeps, is below {@code 4.2e-18 |x|}.
     */
    @Test
    void floatGeluIsTheDoubleKernelWithinFloatPrecision() {
        Assumptions.assumeTrue(FastNoise.vectorized(), "jdk.incubator.vector is not resolved in this JVM");
        long seed = 31;
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[100_003];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 3);
        }
        x[0] = 0f;
        x[1] = -0f;
        x[2] = 40f;
        x[3] = -40f;
        float[] want = new float[x.length];
        VectorKernels.gelu(x, want, Layer.Act.GELU_C);
        float[] got = new float[x.length];
        FloatMath.gelu(x, got, Layer.Act.GELU_C);
        for (int i = 0; i < x.length; i++) {
            assertThat((double) Math.abs(got[i] - want[i])).as("x = %s (seed %d)", x[i], seed)
                    .isLessThanOrEqualTo(1e-5 * Math.abs(want[i]) + 2.3e-16 * Math.abs(x[i]));
        }
    }

    /** The opt-in float layer norm against the default (the scalar loop's double arithmetic): within 1e-5. */
    @Test
    void floatLayerNormIsTheDoubleKernelWithinFloatPrecision() {
        Assumptions.assumeTrue(FastNoise.vectorized(), "jdk.incubator.vector is not resolved in this JVM");
        long seed = 37;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int d : new int[] {1, 3, 16, 32, 33, 64}) {
            float[][] in = layerNormInputs(rnd, 17, d);
            float[][] want = layerNorm(GraphKernels::layerNorm, in, d);
            float[][] got = layerNorm(FloatMath::layerNorm, in, d);
            float[] wantHat = want[0];
            float[] wantY = want[1];
            float[] hat = got[0];
            float[] y = got[1];
            for (int i = 0; i < hat.length; i++) {
                assertThat((double) Math.abs(hat[i] - wantHat[i])).as("xhat, d %d, i %d (seed %d)", d, i, seed)
                        .isLessThanOrEqualTo(1e-5 * (1 + Math.abs(wantHat[i])));
                assertThat((double) Math.abs(y[i] - wantY[i])).as("y, d %d, i %d (seed %d)", d, i, seed)
                        .isLessThanOrEqualTo(1e-5 * (1 + Math.abs(wantY[i])));
            }
        }
    }

    /** The attention core with the opt-in float softmax against the scalar loops: within 1e-5. */
    @Test
    void floatSoftmaxAttentionIsTheScalarLoopsWithinFloatPrecision() {
        Assumptions.assumeTrue(FastNoise.vectorized(), "jdk.incubator.vector is not resolved in this JVM");
        long seed = 41;
        SplittableRandom rnd = new SplittableRandom(seed);
        int[][] shapes = {{17, 32, 2}, {5, 6, 2}, {40, 40, 2}, {1, 8, 1}, {33, 48, 3}};
        for (int[] shape : shapes) {
            int t = shape[0];
            int d = shape[1];
            int heads = shape[2];
            int rows = 5;
            float[] k = new float[rows * t * d];
            float[] v = new float[rows * t * d];
            float[] q = new float[rows * t * d];
            for (int i = 0; i < k.length; i++) {
                k[i] = (float) rnd.nextGaussian();
                v[i] = (float) rnd.nextGaussian();
                q[i] = (float) (3 * rnd.nextGaussian());
            }
            float[] want = GraphKernels.scalarAttention(q, k, v, rows, t, t, d, heads);
            float[] got = VectorKernels.attention(q, k, v, rows, t, t, d, heads, true);
            for (int i = 0; i < want.length; i++) {
                assertThat((double) Math.abs(got[i] - want[i])).as("T=%d D=%d heads=%d, i %d (seed %d)", t, d,
                        heads, i, seed).isLessThanOrEqualTo(1e-5 * (1 + Math.abs(want[i])));
            }
        }
    }

    /** The Vector API ReLU is the scalar {@code x > 0 ? x : 0}, bit for bit, NaN and negative zero included. */
    @Test
    void reluGivesTheScalarLoopsBits() {
        Assumptions.assumeTrue(FastNoise.vectorized(), "jdk.incubator.vector is not resolved in this JVM");
        long seed = 29;
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[1000 + 13];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] edges = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
            -Float.MIN_VALUE};
        System.arraycopy(edges, 0, x, 0, edges.length);
        System.arraycopy(edges, 0, x, x.length - edges.length, edges.length);
        float[] y = new float[x.length];
        VectorKernels.relu(x, y);
        for (int i = 0; i < x.length; i++) {
            float want = x[i] > 0 ? x[i] : 0f;
            assertThat(Float.floatToRawIntBits(y[i])).as("relu(%s), element %d, seed %d", x[i], i, seed)
                    .isEqualTo(Float.floatToRawIntBits(want));
        }
    }

    /**
     * The Vector API convolution gives the scalar direct convolution's bits, for the CNN preset's two layers and
     * for shapes whose output rows leave partial vectors; and both agree with the im2col route (kernel matrix times
     * patch columns, the other path of the cpu backend) to float rounding.
     */
    @Test
    void convolutionGivesTheScalarLoopsBits() {
        Assumptions.assumeTrue(FastNoise.vectorized(), "jdk.incubator.vector is not resolved in this JVM");
        long seed = 31;
        SplittableRandom rnd = new SplittableRandom(seed);
        // c, h, w, out, k, pad
        int[][] shapes = {{1, 28, 28, 8, 3, 1}, {8, 14, 14, 16, 3, 1}, {3, 5, 7, 2, 3, 0}, {2, 9, 33, 3, 2, 1},
            {1, 4, 4, 1, 1, 0}};
        for (int[] sh : shapes) {
            int c = sh[0];
            int h = sh[1];
            int w = sh[2];
            int out = sh[3];
            int k = sh[4];
            int pad = sh[5];
            int rows = 3;
            float[] x = new float[rows * c * h * w];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] weight = new float[out * c * k * k];
            for (int i = 0; i < weight.length; i++) {
                weight[i] = (float) (0.3 * rnd.nextGaussian());
            }
            float[] bias = new float[out];
            for (int i = 0; i < out; i++) {
                bias[i] = (float) rnd.nextGaussian();
            }
            String what = String.format("C=%d H=%d W=%d out=%d k=%d pad=%d, seed %d", c, h, w, out, k, pad, seed);
            float[] want = GraphKernels.conv2d(x, rows, c, h, w, weight, bias, out, k, pad);
            float[] got = VectorKernels.conv2d(x, rows, c, h, w, weight, bias, out, k, pad);
            assertThat(got).as(what).containsExactly(want);
            int oh = h + 2 * pad - k + 1;
            int ow = w + 2 * pad - k + 1;
            int pixels = oh * ow;
            float[] patches = GraphKernels.im2col(x, rows, c, h, w, k, 1, pad, oh, ow);
            int ckk = c * k * k;
            for (int n = 0; n < rows; n++) {
                for (int o = 0; o < out; o++) {
                    for (int px = 0; px < pixels; px++) {
                        double acc = bias[o];
                        for (int r = 0; r < ckk; r++) {
                            acc += (double) weight[o * ckk + r] * patches[r * rows * pixels + n * pixels + px];
                        }
                        float g = got[(n * out + o) * pixels + px];
                        assertThat((double) g).as("%s, row %d channel %d pixel %d", what, n, o, px)
                                .isCloseTo(acc, org.assertj.core.data.Offset.offset(1e-5 * (1 + Math.abs(acc))));
                    }
                }
            }
        }
    }
    /**
     * The Vector API linear map is {@code Math.fma} over the inputs in order from 0, then the bias, bit for bit: for
     * the ViT preset's maps (widths 32, 49 and 64 to 32, 64 and 96), for row counts that leave rows outside the
     * four-row blocks, and for output widths that leave a single vector and a scalar tail. It also prints how many
     * values differ from OpenBLAS's product plus the same bias on this machine: on the project's AVX-512 machine none
     * of the ViT's chunk-sized products, some of the three tiny ones, where OpenBLAS takes another path
     * (docs/method.md §5).
     */
    @Test
    void affineIsFusedMultiplyAddsInInputOrder() {
        Assumptions.assumeTrue(FastNoise.vectorized(), "jdk.incubator.vector is not resolved in this JVM");
        long seed = 41;
        SplittableRandom rnd = new SplittableRandom(seed);
        int[][] shapes = {{4352, 32, 96}, {4352, 32, 32}, {1091, 32, 64}, {4099, 64, 32}, {4096, 49, 32},
            {7, 33, 50}, {3, 256, 16}, {5, 8, 47}};
        long differFromBlas = 0;
        long total = 0;
        for (int[] shape : shapes) {
            int m = shape[0];
            int k = shape[1];
            int n = shape[2];
            float[] x = new float[m * k];
            float[] w = new float[n * k];
            float[] bias = new float[n];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (rnd.nextGaussian() / Math.sqrt(k));
            }
            for (int i = 0; i < n; i++) {
                bias[i] = (float) rnd.nextGaussian();
            }
            float[] wt = new float[k * n];
            for (int o = 0; o < n; o++) {
                for (int i = 0; i < k; i++) {
                    wt[i * n + o] = w[o * k + i];
                }
            }
            float[] got = VectorKernels.affine(x, m, k, wt, n, bias);
            float[] want = new float[m * n];
            for (int r = 0; r < m; r++) {
                for (int o = 0; o < n; o++) {
                    float acc = 0f;
                    for (int i = 0; i < k; i++) {
                        acc = Math.fma(x[r * k + i], w[o * k + i], acc);
                    }
                    want[r * n + o] = acc + bias[o];
                }
            }
            assertThat(got).as("%d x %d -> %d, seed %d", m, k, n, seed).containsExactly(want);
            try (org.bytedeco.javacpp.FloatPointer wp = new org.bytedeco.javacpp.FloatPointer(w.length)) {
                wp.put(w, 0, w.length);
                float[] blas = Blas.Arrays.forward(x, m, k, wp, n);
                for (int i = 0; i < blas.length; i++) {
                    blas[i] += bias[i % n];
                    differFromBlas += Float.floatToIntBits(blas[i]) != Float.floatToIntBits(got[i]) ? 1 : 0;
                }
                total += blas.length;
            }
        }
        System.out.printf("vector affine: %d of %d values differ from OpenBLAS's%n", differFromBlas, total);
    }
}
