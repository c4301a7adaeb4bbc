package org.forward4j.backend.opencl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.aparapi.device.OpenCLDevice;
import org.forward4j.noise.NoiseStream;
import org.forward4j.noise.Philox;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenCL noise generator draws the same Philox words as {@link NoiseStream} bit for bit, and the same Gaussians
 * to within 1e-6 (float transcendental functions on the device, double on the host; docs/method.md §5).
 */
class NoiseParityTest {

    private static KernelSession session;

    /** (seed, step, draw, tensor, first element, count): offsets not multiples of 4, extreme counters, long runs. */
    private static final long[][] CASES = {
        {0L, 0, 0, 0, 0, 4096},
        {0x123456789ABCDEFL, 7, 3, 2, 5, 1003},
        {-1L, Integer.MAX_VALUE, -5, 17, 1_000_001, 777},
        {42L, 0xFFFFFFFDL, 1 << 30, 1, 2, 65_536}, // the counter word 0xFFFFFFFD: high bit set
        {Long.MIN_VALUE, 1, Integer.MIN_VALUE, -1, Integer.MAX_VALUE - 100, 101},
        {987_654_321L, 123, 9, 0, 3, 1},
    };

    @BeforeAll
    static void setUp() {
        Fixtures.assumeOpenCl();
        OpenCLDevice device = OpenClDevices.choose(OpenClDevices::systemDevices, OpenClDevices.DeviceType.AUTO, "")
                .device();
        session = new KernelSession(device);
    }

    @AfterAll
    static void tearDown() {
        if (session != null) {
            session.close();
        }
    }

    @Test
    void philoxWordsAreBitIdenticalAndGaussiansAgree() {
        double worst = 0;
        for (long[] c : CASES) {
            NoiseStream s = new NoiseStream(c[0], c[1], (int) c[2], (int) c[3]);
            int start = (int) c[4];
            int n = (int) c[5];
            int[] words = new int[n];
            float[] values = new float[n];
            session.noise(s, NoiseStream.Distribution.GAUSSIAN, start, n, words, values);
            float[] want = new float[n];
            s.fill(NoiseStream.Distribution.GAUSSIAN, want, 0, n, start);
            int[] block = new int[4];
            for (int i = 0; i < n; i++) {
                long k = (long) start + i;
                Philox.block((int) (k >>> 2), s.tensor(), s.draw(), (int) s.step(), (int) s.seed(), (int) (s.seed() >>> 32),
                        block);
                assertThat(words[i]).as("%s element %d: Philox word", s, k).isEqualTo(block[(int) (k & 3)]);
                assertThat((double) values[i]).as("%s element %d: Gaussian", s, k)
                        .isCloseTo(want[i], within(1e-6));
                worst = Math.max(worst, Math.abs(values[i] - want[i]));
            }
        }
        assertThat(worst).as("largest Gaussian difference").isLessThan(1e-6);
    }

    @Test
    void rademacherElementsAreIdentical() {
        for (long[] c : CASES) {
            NoiseStream s = new NoiseStream(c[0], c[1], (int) c[2], (int) c[3]);
            int start = (int) c[4];
            int n = (int) c[5];
            float[] values = new float[n];
            session.noise(s, NoiseStream.Distribution.RADEMACHER, start, n, new int[n], values);
            float[] want = new float[n];
            s.fill(NoiseStream.Distribution.RADEMACHER, want, 0, n, start);
            assertThat(values).as("%s from %d", s, start).containsExactly(want);
        }
    }
}
