package org.forward4j.noise;

/**
 * The Philox4x32-10 counter-based generator (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
 * SC 2011), bit-compatible with Random123 and with the OpenCL kernels of the {@code opencl} backend.
 *
 * <p>See docs/method.md §5: noise is a pure function of a key and a counter, so it is regenerated, never stored.
 */
public final class Philox {
    static final int M0 = 0xD2511F53;
    static final int M1 = 0xCD9E8D57;
    static final int W0 = 0x9E3779B9;
    static final int W1 = 0xBB67AE85;

    private Philox() {
    }

    /**
     * Computes one Philox4x32-10 block.
     *
     * @param c0 counter word 0
     * @param c1 counter word 1
     * @param c2 counter word 2
     * @param c3 counter word 3
     * @param k0 key word 0
     * @param k1 key word 1
     * @param out receives the four output words (length at least 4)
     */
    public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int r = 0; r < 10; r++) {
            if (r > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32);
            int lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32);
            int lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /**
     * Maps a 32-bit word to a uniform double in the open interval (0, 1): {@code (w + 0.5) / 2^32} with {@code w}
     * read as unsigned.
     *
     * @param w the word
     * @return the uniform value
     */
    public static double uniform(int w) {
        return ((w & 0xFFFFFFFFL) + 0.5) * 0x1p-32;
    }
}
