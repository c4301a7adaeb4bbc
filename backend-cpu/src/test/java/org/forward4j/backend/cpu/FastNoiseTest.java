package org.forward4j.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.forward4j.noise.NoiseStream;
import org.junit.jupiter.api.Test;

/**
 * The cpu backend's noise against the reference {@link NoiseStream}, element by element: the vector path must give
 * the scalar Gaussians within 1e-6 (and in practice the same bits), whatever the counters, offsets and lengths.
 */
class FastNoiseTest {

    @Test
    void theVectorPathIsActiveWhenTheModuleIsResolved() {
        // the build's tests run with --add-modules jdk.incubator.vector on an AVX2/AVX-512 machine: a silent
        // fallback to scalar noise would make the cpu backend several times slower without any test failing
        boolean resolved = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        if (resolved && VectorGaussians.worthwhile()) {
            assertThat(FastNoise.vectorized()).as("vector noise in use").isTrue();
        }
    }

    @Test
    void gaussiansMatchTheScalarReferenceOverManyCounters() {
        SplittableRandom rnd = new SplittableRandom(20240613);
        long compared = 0;
        long sameBits = 0;
        double worst = 0;
        for (int t = 0; t < 400; t++) {
            long seed = t < 4 ? new long[] {0, 1, -1, Long.MIN_VALUE}[t] : rnd.nextLong();
            long step = t % 7 == 0 ? -1 : rnd.nextLong(0, NoiseStream.MAX_STEP + 1);
            int draw = t % 5 == 0 ? -1 : rnd.nextInt();
            int tensor = t % 3 == 0 ? 0 : rnd.nextInt(0, 64);
            NoiseStream s = new NoiseStream(seed, step, draw, tensor);
            // lengths around the vector and tile sizes; starts that are not block-aligned; blocks near 2^32
            int len = t % 4 == 0 ? rnd.nextInt(1, 80) : rnd.nextInt(1, 20_000);
            long start = t % 11 == 0 ? (0xFFFFFFFFL << 2) - rnd.nextInt(0, 4096) : rnd.nextLong(0, 1L << 20);
            int off = rnd.nextInt(0, 5);
            float[] want = new float[off + len + 3];
            float[] got = new float[off + len + 3];
            java.util.Arrays.fill(want, 7f);
            java.util.Arrays.fill(got, 7f);
            s.fill(NoiseStream.Distribution.GAUSSIAN, want, off, len, start);
            FastNoise.fill(s, NoiseStream.Distribution.GAUSSIAN, got, off, len, start);
            for (int i = 0; i < want.length; i++) {
                double d = Math.abs(want[i] - got[i]);
                assertThat(d).as("element %d of stream %s from %d (length %d)", i - off, s, start, len)
                        .isLessThanOrEqualTo(1e-6 * Math.max(1, Math.abs(want[i])));
                worst = Math.max(worst, d);
                sameBits += Float.floatToRawIntBits(want[i]) == Float.floatToRawIntBits(got[i]) ? 1 : 0;
                compared++;
            }
        }
        // a one-ulp difference in the double logarithm reaches the float only across a rounding boundary: rare
        assertThat(compared - sameBits).as("elements whose bits differ (worst %s)", worst)
                .isLessThanOrEqualTo(compared / 1_000_000 + 1);
    }

    @Test
    void longStreamsAreTheReferenceBitForBit() {
        // 16 M elements in 64 streams: the Gaussians of a large model's directions
        long differ = 0;
        float[] want = new float[1 << 18];
        float[] got = new float[1 << 18];
        for (int draw = 0; draw < 64; draw++) {
            NoiseStream s = new NoiseStream(42, 1000 + draw, draw, 0);
            s.fill(NoiseStream.Distribution.GAUSSIAN, want, 0, want.length, 0);
            FastNoise.fill(s, NoiseStream.Distribution.GAUSSIAN, got, 0, got.length, 0);
            for (int i = 0; i < want.length; i++) {
                if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                    differ++;
                    assertThat(Math.abs(want[i] - got[i])).isLessThanOrEqualTo(1e-6f * Math.max(1, Math.abs(want[i])));
                }
            }
        }
        assertThat(differ).as("elements of 16 M whose bits differ").isLessThanOrEqualTo(16);
    }

    @Test
    void rademacherSignsAndShortRequestsAreTheReferenceExactly() {
        NoiseStream s = new NoiseStream(9, 3, 17, 2);
        for (int len : new int[] {0, 1, 5, 31, 200, 4099}) {
            for (NoiseStream.Distribution dist : NoiseStream.Distribution.values()) {
                float[] want = new float[len];
                float[] got = new float[len];
                s.fill(dist, want, 0, len, 3);
                FastNoise.fill(s, dist, got, 0, len, 3);
                if (dist == NoiseStream.Distribution.RADEMACHER || len < 8) {
                    assertThat(got).as("%s, %d elements", dist, len).containsExactly(want);
                }
            }
        }
    }
}
