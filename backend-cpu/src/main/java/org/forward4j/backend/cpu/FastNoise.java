package org.forward4j.backend.cpu;

import org.forward4j.noise.NoiseStream;

/**
 * The cpu backend's noise generator: {@link NoiseStream}'s elements (docs/method.md §5), with the Gaussian bulk of
 * a request computed by {@link VectorGaussians} when the JDK's Vector API is there, and by {@link NoiseStream}
 * otherwise.
 *
 * <p>Why: a Gaussian costs ~17 ns in scalar Java (Philox plus Box-Muller), against ~6 ns of GEMM per parameter and
 * draw, so noise dominated shared-direction SPSA and much of {@code lr}. The vector path computes the same Philox
 * words and the same double-precision Box-Muller in 8-lane vectors (AVX-512) at ~3.5 ns per Gaussian.
 *
 * <p>The vector path runs only when the JVM resolved {@code jdk.incubator.vector} (started with
 * {@code --add-modules jdk.incubator.vector}, as {@code bin/forward4j} and the build's tests do), the machine has
 * vectors of at least four 64-bit lanes, the system property {@value #PROPERTY} is not {@code false}, and a self
 * check of a few hundred elements against {@link NoiseStream} passes at start. Otherwise every element comes from
 * the scalar {@link NoiseStream}: same values, slower. Rademacher signs always come from {@link NoiseStream}
 * (already 1.4 ns per sign).
 */
final class FastNoise {

    /** System property that turns the vector path off when set to {@code false}. */
    static final String PROPERTY = "forward4j.cpu.vector-noise";

    private static final boolean VECTOR = detect();

    private FastNoise() {
    }

    /**
     * Whether Gaussians are computed by the vector path in this JVM.
     *
     * @return true when {@link VectorGaussians} is in use
     */
    static boolean vectorized() {
        return VECTOR;
    }

    private static boolean detect() {
        if ("false".equalsIgnoreCase(System.getProperty(PROPERTY, "true"))) {
            return false;
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return false;
        }
        try {
            if (!VectorGaussians.worthwhile()) {
                return false;
            }
            // a self check over partial and whole tiles: a JIT or library defect must not change the noise silently
            NoiseStream s = new NoiseStream(0x0123456789ABCDEFL, 12345, 678, 3);
            int n = 4 * (VectorGaussians.TILE + 3);
            float[] want = new float[n];
            float[] got = new float[n];
            s.fill(NoiseStream.Distribution.GAUSSIAN, want, 0, n, 0);
            VectorGaussians.fillBlocks(s.seed(), s.step(), s.draw(), s.tensor(), 0, n / 4, got, 0);
            for (int i = 0; i < n; i++) {
                if (!(Math.abs(want[i] - got[i]) <= 1e-6f * Math.max(1f, Math.abs(want[i])))) {
                    return false;
                }
            }
            warmUp();
            return true;
        } catch (LinkageError | RuntimeException e) {
            return false;
        }
    }

    /**
     * Runs the vector path until the JIT has compiled it with C2. Before that, Vector API code runs interpreted or
     * in C1, where every vector operation allocates: 100-3,000 times slower than compiled (measured: 1.2 ms, then
     * 75 us, then 0.4 us per 64-element request), and a training run paid about 1.5 s of that in its first epoch.
     * C2 compiles a method after about 5,000 calls, so this makes them with the smallest request (one vector of
     * blocks), until a call is fast or 1.5 s have passed: typically 0.3-0.5 s, once per JVM. It only computes
     * throw-away noise, so what it costs never changes a result.
     */
    private static void warmUp() {
        float[] scratch = new float[4 * VectorGaussians.LANES];
        long deadline = System.nanoTime() + 1_500_000_000L;
        int fast = 0;
        for (int i = 0; i < 20_000 && fast < 500 && System.nanoTime() < deadline; i++) {
            long t = System.nanoTime();
            VectorGaussians.fillBlocks(i, 0, i, 0, 0, VectorGaussians.LANES, scratch, 0);
            // compiled, one call is well under 2 us; C1 code takes tens of microseconds
            fast = System.nanoTime() - t < 2_000 ? fast + 1 : 0;
        }
    }

    /**
     * Writes elements {@code start .. start+len-1} of a stream into {@code out[off ..]}, as
     * {@link NoiseStream#fill} does.
     *
     * @param stream the stream
     * @param dist the distribution
     * @param out destination
     * @param off first index written
     * @param len how many elements
     * @param start index of the first element in the stream
     */
    static void fill(NoiseStream stream, NoiseStream.Distribution dist, float[] out, int off, int len, long start) {
        // from two blocks on, one vector pass (of at least LANES blocks, the extra ones discarded) beats the scalar loop
        if (!VECTOR || dist != NoiseStream.Distribution.GAUSSIAN || len < 8) {
            stream.fill(dist, out, off, len, start);
            return;
        }
        if (len < 0 || off < 0 || off + len > out.length || start < 0) {
            throw new IllegalArgumentException("bad range off=" + off + " len=" + len + " start=" + start
                    + " for array of length " + out.length);
        }
        long k = start;
        long end = start + len;
        int pos = off;
        // a partial first block from the scalar reference
        if ((k & 3) != 0) {
            int head = (int) Math.min(4 - (k & 3), end - k);
            stream.fill(dist, out, pos, head, k);
            k += head;
            pos += head;
        }
        long blocks = (end - k) >>> 2;
        if (blocks > 0) {
            VectorGaussians.fillBlocks(stream.seed(), stream.step(), stream.draw(), stream.tensor(), k >>> 2,
                    (int) blocks, out, pos);
            k += 4L * blocks;
            pos += 4 * blocks;
        }
        if (k < end) {
            stream.fill(dist, out, pos, (int) (end - k), k);
        }
    }
}
