package org.forward4j.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.forward4j.estimator.Activation;
import org.junit.jupiter.api.Test;

/** The element-wise passes give the bits of the plain scalar formula, whichever path runs (vector or scalar). */
class EpilogueTest {

    private static float[] random(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextGaussian() * 3);
        }
        return v;
    }

    @Test
    void biasAndActivateIsTheScalarFormula() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int out : new int[] {1, 10, 15, 16, 17, 64, 256, 1000}) {
            int rows = 7;
            float[] v = random(rnd, rows * out);
            float[] bias = random(rnd, out);
            for (Activation act : Activation.values()) {
                for (boolean hidden : new boolean[] {true, false}) {
                    float[] got = v.clone();
                    Epilogue.biasAndActivate(got, rows, out, bias, act, hidden);
                    for (int i = 0; i < got.length; i++) {
                        float x = v[i] + bias[i % out];
                        float want = !hidden ? x : switch (act) {
                            case RELU -> x > 0f ? x : 0f;
                            case TANH -> (float) Math.tanh(x);
                            case IDENTITY -> x;
                        };
                        assertThat(Float.floatToIntBits(got[i])).as("%s, hidden %s, width %d, value %d", act, hidden,
                                out, i).isEqualTo(Float.floatToIntBits(want));
                    }
                }
            }
        }
    }

    /**
     * The hidden layer's bias and ReLU between two native buffers give the Java-array kernel's bits, widths with and
     * without a partial vector, edge values included, in place and into another buffer.
     */
    @Test
    void nativeBiasReluIsTheArrayKernel() {
        org.junit.jupiter.api.Assumptions.assumeTrue(FastNoise.vectorized(),
                "jdk.incubator.vector is not resolved in this JVM");
        long seed = 13;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int out : new int[] {256, 37, 10}) {
            int rows = 23;
            float[] v = random(rnd, rows * out);
            float[] edges = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e-40f, -1e-40f};
            System.arraycopy(edges, 0, v, 0, edges.length);
            float[] bias = random(rnd, out);
            bias[1] = 0f;
            float[] want = v.clone();
            VectorKernels.biasRelu(want, rows, out, bias);
            for (boolean inPlace : new boolean[] {false, true}) {
                try (org.bytedeco.javacpp.FloatPointer x = new org.bytedeco.javacpp.FloatPointer(v.length);
                     org.bytedeco.javacpp.FloatPointer y = new org.bytedeco.javacpp.FloatPointer(v.length)) {
                    x.put(v, 0, v.length);
                    org.bytedeco.javacpp.FloatPointer target = inPlace ? x : y;
                    VectorKernels.biasRelu(x.asByteBuffer(), target.asByteBuffer(), rows, out, bias);
                    float[] got = new float[v.length];
                    target.get(got, 0, got.length);
                    assertThat(got).as("width %d, in place %s, seed %d", out, inPlace, seed).containsExactly(want);
                }
            }
        }
    }

    @Test
    void noisyRowIsTheScalarFormula() {
        SplittableRandom rnd = new SplittableRandom(6);
        for (int n : new int[] {1, 10, 16, 33, 256}) {
            float[] pre = random(rnd, n + 5);
            float[] bias = random(rnd, n);
            float[] eps = random(rnd, n);
            for (float scale : new float[] {0.01f, -0.01f}) {
                for (boolean withBias : new boolean[] {true, false}) {
                    for (boolean hidden : new boolean[] {true, false}) {
                        float[] noise = new float[n + 3];
                        float[] out = new float[n + 2];
                        Epilogue.noisyRow(pre, 5, withBias ? bias : null, eps, scale, noise, 3, out, 2, n,
                                Activation.RELU, hidden);
                        for (int o = 0; o < n; o++) {
                            float nz = scale * eps[o];
                            float v = (withBias ? pre[5 + o] + bias[o] : pre[5 + o]) + nz;
                            float want = hidden ? (v > 0f ? v : 0f) : v;
                            assertThat(noise[3 + o]).isEqualTo(nz);
                            assertThat(Float.floatToIntBits(out[2 + o])).as("width %d, value %d", n, o)
                                    .isEqualTo(Float.floatToIntBits(want));
                        }
                    }
                }
            }
        }
    }
}
