package org.forward4j.noise;

/**
 * One stream of perturbation noise: element {@code k} is a pure function of (seed, step, draw, tensor, k).
 *
 * <p>Layout (docs/method.md §5): Philox4x32-10 with key {@code (low32(seed), high32(seed))} and counter
 * {@code (k / 4, tensor, draw, step)}; the block's four words give four elements. Gaussian elements use
 * Box-Muller on word pairs: words (0, 1) give elements 0 and 1 as {@code r cos t} and {@code r sin t} with
 * {@code r = sqrt(-2 ln u0)}, {@code t = 2 pi u1}; words (2, 3) give elements 2 and 3 the same way. Rademacher
 * elements use every bit: element {@code k} is {@code +1} when bit {@code k % 32} of word {@code (k / 32) % 4} of
 * the block with counter {@code (k / 128, tensor, draw, step)} is 0 and {@code -1} otherwise, so one Philox block
 * gives 128 signs (a 1.86 M-parameter direction costs 14,500 blocks instead of 465,000).
 * The OpenCL kernels implement the same layout, so CPU and GPU draw the same integer bits.
 *
 * <p>The step is the trainer's step counter (a {@code long} everywhere in forward4j); the counter word holds its
 * 32 low bits, so steps run from 0 to {@link #MAX_STEP}, and {@code -1} (word {@code 0xFFFFFFFF}) is reserved for
 * parameter initialisation. Estimators that give each batch point its own streams number them with
 * {@link #pointStream(int, int)}, the one place that layout is defined.
 *
 * @param seed the run's seed
 * @param step the optimisation step, {@code -1 .. MAX_STEP}
 * @param draw which draw of the step (estimators document how they number draws)
 * @param tensor which tensor of the model (for example 2 * layer for weights, 2 * layer + 1 for biases)
 */
public record NoiseStream(long seed, long step, int draw, int tensor) {

    /** The largest step whose noise is distinct from every other step's (the counter word is 32 bits). */
    public static final long MAX_STEP = 0xFFFFFFFEL;

    /** Streams (draws) each batch point owns in one step under {@link #pointStream(int, int)}. */
    public static final int STREAMS_PER_POINT = 65536;

    /** Largest batch whose point streams {@code point * STREAMS_PER_POINT + draw} still fit a non-negative int. */
    public static final int MAX_POINTS = Integer.MAX_VALUE / STREAMS_PER_POINT;

    /**
     * Checks the step range.
     *
     * @param seed the run's seed
     * @param step the optimisation step
     * @param draw which draw
     * @param tensor which tensor
     * @throws IllegalArgumentException if the step does not fit the 32-bit counter word
     */
    public NoiseStream {
        if (step < -1 || step > MAX_STEP) {
            throw new IllegalArgumentException("step " + step + " is outside -1.." + MAX_STEP
                    + ": the noise counter holds 32 bits of the step");
        }
    }

    /**
     * The draw number of point {@code point}'s draw {@code draw} when every point of a batch has its own streams
     * (per-point SPSA/RGE directions, {@code lr}'s activation noise): {@code point * 65536 + draw}, so that the
     * streams of different points never collide while a point makes at most {@link #STREAMS_PER_POINT} draws.
     *
     * @param point the point's index in the batch, {@code 0 .. MAX_POINTS - 1}
     * @param draw the point's draw, {@code 0 .. STREAMS_PER_POINT - 1}
     * @return the stream's draw number
     * @throws IllegalArgumentException naming the value out of range
     */
    public static int pointStream(int point, int draw) {
        if (point < 0 || point >= MAX_POINTS || draw < 0 || draw >= STREAMS_PER_POINT) {
            throw new IllegalArgumentException("point " + point + ", draw " + draw + " has no stream: points 0.."
                    + (MAX_POINTS - 1) + " and draws 0.." + (STREAMS_PER_POINT - 1) + " per step are allowed");
        }
        return point * STREAMS_PER_POINT + draw;
    }

    /** The distribution of the noise. */
    public enum Distribution {
        /** Standard normal via Box-Muller. */
        GAUSSIAN,
        /** Plus or minus one with equal probability. */
        RADEMACHER
    }

    /** {@code (pi / 2) / 2^30}: one unit of the lower 30 bits of a word as an angle. */
    private static final double QUARTER_TURN_PER_ULP = Math.PI / 2 * 0x1p-30;

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
        if (dist == Distribution.RADEMACHER) {
            signs(out, off, len, start, scale, add);
            return;
        }
        float[] v = null; // only partial blocks need it: no garbage for whole-block runs
        long k = start;
        final long end = start + len;
        int pos = off;
        // a partial first block
        if ((k & 3) != 0) {
            long block = k >>> 2;
            v = new float[4];
            blockValues(block, v);
            int to = (int) Math.min(4, end - (block << 2));
            for (int i = (int) (k & 3); i < to; i++) {
                out[pos] = add ? out[pos] + scale * v[i] : v[i];
                pos++;
            }
            k = (block << 2) + to;
        }
        // whole blocks, two at a time: Philox inlined with the key schedule in locals; the two blocks' rounds are
        // independent, so interleaving them hides the multiply latency of each round (~1.25x on Philox alone)
        final int k0 = (int) seed;
        final int k1 = (int) (seed >>> 32);
        while (end - k >= 8) {
            int c0 = (int) (k >>> 2);
            int c1 = tensor;
            int c2 = draw;
            int c3 = (int) step;
            int d0 = c0 + 1;
            int d1 = tensor;
            int d2 = draw;
            int d3 = (int) step;
            int kk0 = k0;
            int kk1 = k1;
            for (int r = 0; r < 10; r++) {
                long p0 = 0xD2511F53L * (c0 & 0xFFFFFFFFL);
                long p1 = 0xCD9E8D57L * (c2 & 0xFFFFFFFFL);
                long q0 = 0xD2511F53L * (d0 & 0xFFFFFFFFL);
                long q1 = 0xCD9E8D57L * (d2 & 0xFFFFFFFFL);
                int n0 = (int) (p1 >>> 32) ^ c1 ^ kk0;
                int n2 = (int) (p0 >>> 32) ^ c3 ^ kk1;
                int m0 = (int) (q1 >>> 32) ^ d1 ^ kk0;
                int m2 = (int) (q0 >>> 32) ^ d3 ^ kk1;
                c1 = (int) p1;
                c3 = (int) p0;
                c0 = n0;
                c2 = n2;
                d1 = (int) q1;
                d3 = (int) q0;
                d0 = m0;
                d2 = m2;
                kk0 += Philox.W0;
                kk1 += Philox.W1;
            }
            emit(c0, c1, c2, c3, out, pos, scale, add);
            emit(d0, d1, d2, d3, out, pos + 4, scale, add);
            pos += 8;
            k += 8;
        }
        // the remaining whole block and the partial last block
        while (k < end) {
            if (v == null) {
                v = new float[4];
            }
            blockValues(k >>> 2, v);
            for (int i = 0; i < 4 && k < end; i++, k++) {
                out[pos] = add ? out[pos] + scale * v[i] : v[i];
                pos++;
            }
        }
    }

    /** Rademacher elements {@code start .. start+len-1}: one bit each, 128 per Philox block. */
    private void signs(float[] out, int off, int len, long start, float scale, boolean add) {
        int[] w = new int[4];
        long cached = -1;
        long k = start;
        long end = start + len;
        int pos = off;
        while (k < end) {
            long block = k >>> 7;
            if (block != cached) {
                Philox.block((int) block, tensor, draw, (int) step, (int) seed, (int) (seed >>> 32), w);
                cached = block;
            }
            int word = w[(int) ((k >>> 5) & 3)];
            int bit = (int) (k & 31);
            int n = (int) Math.min(32 - bit, end - k);
            for (int t = 0; t < n; t++) {
                float a = 1 - 2 * ((word >>> (bit + t)) & 1);
                out[pos] = add ? out[pos] + scale * a : a;
                pos++;
            }
            k += n;
        }
    }

    /** Writes (or adds scale times) the four Gaussian elements of one block's words. */
    private static void emit(int w0, int w1, int w2, int w3, float[] out, int pos, float scale, boolean add) {
        boxMuller(w0, w1, out, pos, scale, add);
        boxMuller(w2, w3, out, pos + 2, scale, add);
    }

    private void blockValues(long block, float[] v) {
        int[] w = new int[4];
        Philox.block((int) block, tensor, draw, (int) step, (int) seed, (int) (seed >>> 32), w);
        emit(w[0], w[1], w[2], w[3], v, 0, 0f, false);
    }

    /**
     * Box-Muller on one word pair: {@code r = sqrt(-2 ln u0)}, {@code t = 2 pi u1}, elements {@code r cos t} and
     * {@code r sin t}. The angle is reduced exactly from the word's bits: the top two bits of {@code w1} are the
     * quadrant and the other 30 give {@code x = ((w1 & (2^30 - 1)) + 0.5) 2^-30 pi / 2} in {@code [0, pi/2)}, so
     * {@code 2 pi u1 = quadrant pi / 2 + x}. sin x and cos x are Taylor polynomials in double, within 7e-10 on
     * that interval (below float rounding), instead of {@code Math.sin}/{@code Math.cos}, whose general range
     * reduction made up a third of a Gaussian's cost. Elements differ from the exact double formula only by the
     * final rounding to float (at most 1 ulp).
     */
    private static void boxMuller(int a, int b, float[] out, int pos, float scale, boolean add) {
        double r = Math.sqrt(-2.0 * Math.log(Philox.uniform(a)));
        double x = ((b & 0x3FFFFFFF) + 0.5) * QUARTER_TURN_PER_ULP;
        double x2 = x * x;
        double s = x * (1 + x2 * (-1.0 / 6 + x2 * (1.0 / 120 + x2 * (-1.0 / 5040 + x2 * (1.0 / 362880
                + x2 * (-1.0 / 39916800 + x2 / 6227020800.0))))));
        double c = 1 + x2 * (-0.5 + x2 * (1.0 / 24 + x2 * (-1.0 / 720 + x2 * (1.0 / 40320 + x2 * (-1.0 / 3628800
                + x2 * (1.0 / 479001600 - x2 / 87178291200.0))))));
        double cos;
        double sin;
        switch (b >>> 30) {
            case 0 -> {
                cos = c;
                sin = s;
            }
            case 1 -> {
                cos = -s;
                sin = c;
            }
            case 2 -> {
                cos = -c;
                sin = -s;
            }
            default -> {
                cos = s;
                sin = -c;
            }
        }
        float e0 = (float) (r * cos);
        float e1 = (float) (r * sin);
        if (add) {
            out[pos] += scale * e0;
            out[pos + 1] += scale * e1;
        } else {
            out[pos] = e0;
            out[pos + 1] = e1;
        }
    }
}
