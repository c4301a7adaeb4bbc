package org.forward4j.noise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PhiloxTest {

    private static int[] run(int c0, int c1, int c2, int c3, int k0, int k1) {
        int[] out = new int[4];
        Philox.block(c0, c1, c2, c3, k0, k1, out);
        return out;
    }

    @Test
    void matchesRandom123KnownAnswerVectors() {
        // Random123 kat_vectors, philox4x32 with 10 rounds
        assertThat(run(0, 0, 0, 0, 0, 0)).containsExactly(0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8);
        assertThat(run(-1, -1, -1, -1, -1, -1)).containsExactly(0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd);
        assertThat(run(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0))
                .containsExactly(0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1);
    }

    @Test
    void streamElementsAreIndependentOfHowTheyAreRequested() {
        NoiseStream s = new NoiseStream(42L, 7, 3, 1);
        float[] all = new float[103];
        s.fill(NoiseStream.Distribution.GAUSSIAN, all, 0, all.length, 5);
        float[] piece = new float[10];
        s.fill(NoiseStream.Distribution.GAUSSIAN, piece, 0, 10, 5 + 37);
        for (int i = 0; i < 10; i++) {
            assertThat(piece[i]).isEqualTo(all[37 + i]);
        }
        assertThat(s.element(NoiseStream.Distribution.GAUSSIAN, 5 + 50)).isEqualTo(all[50]);
    }

    @Test
    void addScaledAddsTheSameNoise() {
        NoiseStream s = new NoiseStream(1L, 0, 0, 0);
        float[] z = new float[17];
        s.fill(NoiseStream.Distribution.GAUSSIAN, z, 0, 17, 0);
        float[] t = new float[17];
        java.util.Arrays.fill(t, 1f);
        s.addScaled(NoiseStream.Distribution.GAUSSIAN, t, 0, 17, 0, 0.5f);
        for (int i = 0; i < 17; i++) {
            assertThat(t[i]).isEqualTo(1f + 0.5f * z[i]);
        }
    }

    @Test
    void gaussianElementsAreTheBoxMullerFormulaRoundedToFloat() {
        // the fast path (polynomial sin/cos after exact quadrant reduction, blocks two at a time) against the
        // textbook formula in double with Math.sin/Math.cos, element by element, over odd offsets and lengths
        long seed = 0x5EED_F00DL;
        double worst = 0;
        for (int draw = 0; draw < 6; draw++) {
            NoiseStream s = new NoiseStream(seed, 3, draw, draw % 3);
            int start = draw * 7;
            int n = 50_001 + draw;
            float[] got = new float[n];
            s.fill(NoiseStream.Distribution.GAUSSIAN, got, 0, n, start);
            int[] w = new int[4];
            for (int i = 0; i < n; i++) {
                long k = start + i;
                Philox.block((int) (k >>> 2), draw % 3, draw, 3, (int) seed, (int) (seed >>> 32), w);
                int pair = (int) (k & 2);
                double r = Math.sqrt(-2.0 * Math.log(Philox.uniform(w[pair])));
                double t = 2.0 * Math.PI * Philox.uniform(w[pair + 1]);
                double exact = (k & 1) == 0 ? r * Math.cos(t) : r * Math.sin(t);
                double err = Math.abs(got[i] - exact);
                assertThat(err).as("element %d of draw %d, seed %d", k, draw, seed)
                        .isLessThanOrEqualTo(Math.ulp((float) exact) + 1e-9);
                worst = Math.max(worst, err);
            }
        }
        assertThat(worst).as("seed %d", seed).isGreaterThan(0.0);
    }

    @Test
    void rademacherElementsAreTheDocumentedBitsOfTheirBlock() {
        long seed = 0xABCDEF0123L;
        int[] w = new int[4];
        for (int[] range : new int[][] {{0, 1000}, {37, 5}, {127, 3}, {31, 66}, {1_000_003, 4097}}) {
            NoiseStream s = new NoiseStream(seed, 4, 9, 2);
            float[] got = new float[range[1]];
            s.fill(NoiseStream.Distribution.RADEMACHER, got, 0, range[1], range[0]);
            float[] added = new float[range[1]];
            java.util.Arrays.fill(added, 1f);
            s.addScaled(NoiseStream.Distribution.RADEMACHER, added, 0, range[1], range[0], 0.5f);
            for (int i = 0; i < range[1]; i++) {
                long k = range[0] + i;
                Philox.block((int) (k >>> 7), 2, 9, 4, (int) seed, (int) (seed >>> 32), w);
                int bit = (w[(int) ((k >>> 5) & 3)] >>> (k & 31)) & 1;
                assertThat(got[i]).as("element %d, seed %d", k, seed).isEqualTo(bit == 0 ? 1f : -1f);
                assertThat(added[i]).as("element %d, seed %d", k, seed).isEqualTo(1f + 0.5f * got[i]);
            }
        }
    }

    @Test
    void gaussianMomentsMatchStandardNormal() {
        long seed = 20261130L;
        int n = 400_000;
        float[] z = new float[n];
        new NoiseStream(seed, 0, 0, 0).fill(NoiseStream.Distribution.GAUSSIAN, z, 0, n, 0);
        double m = 0, m2 = 0, m4 = 0;
        for (float x : z) {
            m += x;
            m2 += x * x;
            m4 += (double) x * x * x * x;
        }
        m /= n;
        m2 /= n;
        m4 /= n;
        // standard errors: mean 1/sqrt(n), E[x^2] sqrt(2/n), E[x^4] sqrt(96/n); bounds are 5 standard errors
        assertThat(m).as("mean, seed %d", seed).isCloseTo(0.0, within(5 / Math.sqrt(n)));
        assertThat(m2).as("second moment, seed %d", seed).isCloseTo(1.0, within(5 * Math.sqrt(2.0 / n)));
        assertThat(m4).as("fourth moment, seed %d", seed).isCloseTo(3.0, within(5 * Math.sqrt(96.0 / n)));
    }

    @Test
    void rademacherIsBalancedAndDiffersAcrossDraws() {
        long seed = 99L;
        int n = 100_000;
        float[] a = new float[n];
        float[] b = new float[n];
        new NoiseStream(seed, 0, 0, 0).fill(NoiseStream.Distribution.RADEMACHER, a, 0, n, 0);
        new NoiseStream(seed, 0, 1, 0).fill(NoiseStream.Distribution.RADEMACHER, b, 0, n, 0);
        double sum = 0, agree = 0;
        for (int i = 0; i < n; i++) {
            assertThat(Math.abs(a[i])).isEqualTo(1f);
            sum += a[i];
            agree += a[i] == b[i] ? 1 : 0;
        }
        assertThat(sum / n).as("seed %d", seed).isCloseTo(0.0, within(5 / Math.sqrt(n)));
        assertThat(agree / n).as("seed %d", seed).isCloseTo(0.5, within(5 * 0.5 / Math.sqrt(n)));
    }
}
