package org.forward4j.noise;

/**
 * One stream of perturbation noise: element {@code k} is a pure function of (seed, step, draw, tensor, k).
 *
 * <p>Layout (method.md §5): Philox4x32-10 with key {@code (low32(seed), high32(seed))} and counter
 * {@code (k / 4, tensor, draw, step)}; the block's four words give four elements. Gaussian elements use
 * Box-Muller on word pairs: words (0, 1) give elements 0 and 1 as {@code r cos t} and {@code r sin t} with
 * {@code r = sqrt(-2 ln u0)}, {@code t = 2 pi u1}; words (2, 3) give elements 2 and 3 the same way. Rademacher
 * element {@code k} is {@code +1} when the lowest bit of word {@code k % 4} is 0 and {@code -1} otherwise.
 * The OpenCL kernels implement the same layout, so CPU and GPU draw the same integer bits.
 *
 * @param seed the run's seed
 * @param step the optimisation step (or any 32-bit epoch of the key)
 * @param draw which draw of the step (estimators document how they number draws)
 * @param tensor which tensor of the model (for example 2 * layer for weights, 2 * layer + 1 for biases)
 */
public record NoiseStream(long seed, int step, int draw, int tensor) {

    /** The distribution of the noise. */
    public enum Distribution {
        /** Standard normal via Box-Muller. */
        GAUSSIAN,
        /** Plus or minus one with equal probability. */
        RADEMACHER
    }

    private static final double TWO_PI = 2.0 * Math.PI;

    /**
     * Writes elements {@code start .. start+len-1} into {@code out[off ..]}.
     *
     * @param dist the distribution
     * @param out destination
     * @param off first index written
     * @param len how many elements
     * @param start index of the first element in the stream
     */
    public void fill(Distribution dist, float[] out, int off, int len, long start) {
        generate(dist, out, off, len, start, 0f, false);
    }

    /**
     * Adds {@code scale} times elements {@code start .. start+len-1} to {@code target[off ..]}.
     *
     * @param dist the distribution
     * @param target array updated in place
     * @param off first index updated
     * @param len how many elements
     * @param start index of the first element in the stream
     * @param scale multiplier of the noise
     */
    public void addScaled(Distribution dist, float[] target, int off, int len, long start, float scale) {
        generate(dist, target, off, len, start, scale, true);
    }

    /**
     * One element of the stream (slow path for tests and spot checks).
     *
     * @param dist the distribution
     * @param k element index
     * @return the element
     */
    public float element(Distribution dist, long k) {
        float[] one = new float[1];
        fill(dist, one, 0, 1, k);
        return one[0];
    }

    private void generate(Distribution dist, float[] out, int off, int len, long start, float scale, boolean add) {
        if (len < 0 || off < 0 || off + len > out.length || start < 0) {
            throw new IllegalArgumentException("bad range off=" + off + " len=" + len + " start=" + start
                    + " for array of length " + out.length);
        }
        final float[] v = new float[4];
        long k = start;
        final long end = start + len;
        int pos = off;
        // a partial first block
        if ((k & 3) != 0) {
            long block = k >>> 2;
            blockValues(dist, block, v);
            int to = (int) Math.min(4, end - (block << 2));
            for (int i = (int) (k & 3); i < to; i++) {
                out[pos] = add ? out[pos] + scale * v[i] : v[i];
                pos++;
            }
            k = (block << 2) + to;
        }
        // whole blocks: Philox inlined with the key schedule in locals, four outputs per block
        final int k0 = (int) seed;
        final int k1 = (int) (seed >>> 32);
        final boolean gaussian = dist == Distribution.GAUSSIAN;
        while (end - k >= 4) {
            int c0 = (int) (k >>> 2);
            int c1 = tensor;
            int c2 = draw;
            int c3 = step;
            int kk0 = k0;
            int kk1 = k1;
            for (int r = 0; r < 10; r++) {
                long p0 = 0xD2511F53L * (c0 & 0xFFFFFFFFL);
                long p1 = 0xCD9E8D57L * (c2 & 0xFFFFFFFFL);
                int n0 = (int) (p1 >>> 32) ^ c1 ^ kk0;
                int n2 = (int) (p0 >>> 32) ^ c3 ^ kk1;
                c1 = (int) p1;
                c3 = (int) p0;
                c0 = n0;
                c2 = n2;
                kk0 += Philox.W0;
                kk1 += Philox.W1;
            }
            float a0;
            float a1;
            float a2;
            float a3;
            if (gaussian) {
                double r0 = Math.sqrt(-2.0 * Math.log(Philox.uniform(c0)));
                double t0 = TWO_PI * Philox.uniform(c1);
                double r1 = Math.sqrt(-2.0 * Math.log(Philox.uniform(c2)));
                double t1 = TWO_PI * Philox.uniform(c3);
                a0 = (float) (r0 * Math.cos(t0));
                a1 = (float) (r0 * Math.sin(t0));
                a2 = (float) (r1 * Math.cos(t1));
                a3 = (float) (r1 * Math.sin(t1));
            } else {
                a0 = (c0 & 1) == 0 ? 1f : -1f;
                a1 = (c1 & 1) == 0 ? 1f : -1f;
                a2 = (c2 & 1) == 0 ? 1f : -1f;
                a3 = (c3 & 1) == 0 ? 1f : -1f;
            }
            if (add) {
                out[pos] += scale * a0;
                out[pos + 1] += scale * a1;
                out[pos + 2] += scale * a2;
                out[pos + 3] += scale * a3;
            } else {
                out[pos] = a0;
                out[pos + 1] = a1;
                out[pos + 2] = a2;
                out[pos + 3] = a3;
            }
            pos += 4;
            k += 4;
        }
        // a partial last block
        if (k < end) {
            blockValues(dist, k >>> 2, v);
            for (int i = 0; k < end; i++, k++) {
                out[pos] = add ? out[pos] + scale * v[i] : v[i];
                pos++;
            }
        }
    }

    private void blockValues(Distribution dist, long block, float[] v) {
        int[] w = new int[4];
        Philox.block((int) block, tensor, draw, step, (int) seed, (int) (seed >>> 32), w);
        if (dist == Distribution.GAUSSIAN) {
            boxMuller(w[0], w[1], v, 0);
            boxMuller(w[2], w[3], v, 2);
        } else {
            for (int i = 0; i < 4; i++) {
                v[i] = (w[i] & 1) == 0 ? 1f : -1f;
            }
        }
    }

    private static void boxMuller(int a, int b, float[] v, int at) {
        double r = Math.sqrt(-2.0 * Math.log(Philox.uniform(a)));
        double t = TWO_PI * Philox.uniform(b);
        v[at] = (float) (r * Math.cos(t));
        v[at + 1] = (float) (r * Math.sin(t));
    }
}
