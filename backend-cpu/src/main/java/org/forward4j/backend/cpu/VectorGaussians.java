package org.forward4j.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Gaussian noise of a {@link org.forward4j.noise.NoiseStream} computed with the JDK's Vector API
 * ({@code jdk.incubator.vector}): Philox4x32-10 with one block per 64-bit lane, then Box-Muller in double lanes.
 *
 * <p>The arithmetic is the scalar reference's, operation for operation (docs/method.md §5): the same Philox words;
 * {@code u = (w + 0.5) 2^-32} and {@code r = sqrt(-2 ln u)} in double; the angle reduced exactly from the word's
 * bits into a quadrant and {@code x} in {@code (0, pi/2)}; the same Taylor polynomials for sin and cos, evaluated in
 * the same order with separate multiplies and adds (Java never fuses them); the same quadrant rotation and the same
 * final rounding to float. The only operation that may differ is the logarithm: the vector {@code LOG} is the JDK's
 * SVML routine, the scalar one {@code Math.log}; both are within an ulp of the exact value, and a one-ulp difference
 * in a double survives the rounding to float only when it straddles a float rounding boundary (about once in
 * 10^8 elements; none in the 16 M elements the tests compare). So the elements are the scalar ones to within one float
 * rounding, and in practice the same bits.
 *
 * <p>Only loaded when {@link FastNoise} finds the module in the boot layer: referring to this class without it
 * fails to link. Every method keeps its vectors local: a vector passed to or returned from a method the JIT does not
 * inline, or kept in a static field, is boxed on the heap and runs tens of times slower, so the work is split into
 * array-to-array passes (Philox words into a long array, Box-Muller from it into planar floats, then interleaved).
 */
final class VectorGaussians {

    private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;
    /** Floats with as many lanes as {@link #DOUBLES} (the result of narrowing a double vector). */
    private static final VectorSpecies<Float> FLOATS =
            VectorSpecies.of(float.class, VectorShape.forBitSize(DoubleVector.SPECIES_PREFERRED.length() * 32));
    /** Lanes per vector: Philox blocks computed at once. */
    static final int LANES = LONGS.length();
    /** Blocks per tile: the unit of the passes (its scratch arrays stay in L1). */
    static final int TILE = 64;
    private static final long MASK = 0xFFFFFFFFL;
    private static final long M0 = 0xD2511F53L;
    private static final long M1 = 0xCD9E8D57L;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;
    private static final double QUARTER_TURN_PER_ULP = Math.PI / 2 * 0x1p-30;
    private static final long[] IOTA = new long[LANES];

    static {
        for (int i = 0; i < LANES; i++) {
            IOTA[i] = i;
        }
    }

    /** Per-thread scratch: a tile's Philox words and its Gaussians, planar. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        final long[] words = new long[4 * TILE];
        final float[] values = new float[4 * TILE];
    }

    private VectorGaussians() {
    }

    /**
     * Whether this machine's vectors are wide enough to beat the scalar loop (at least four 64-bit lanes, i.e. AVX2
     * or better); narrower ones run the Vector API's slow fallback.
     *
     * @return true where the vector path should be used
     */
    static boolean worthwhile() {
        return LANES >= 4 && TILE % LANES == 0;
    }

    /**
     * Writes the Gaussian elements of the whole blocks {@code firstBlock .. firstBlock + blocks - 1} (four elements
     * each) of stream (seed, step, draw, tensor) into {@code out[pos ..]}.
     *
     * @param seed the key
     * @param step counter word 3
     * @param draw counter word 2
     * @param tensor counter word 1
     * @param firstBlock counter word 0 of the first block
     * @param blocks how many blocks
     * @param out destination, {@code 4 * blocks} elements from {@code pos}
     * @param pos first index written
     */
    static void fillBlocks(long seed, long step, int draw, int tensor, long firstBlock, int blocks, float[] out,
            int pos) {
        Scratch s = SCRATCH.get();
        for (int done = 0; done < blocks; done += TILE) {
            int n = Math.min(TILE, blocks - done);
            int rounded = (n + LANES - 1) / LANES * LANES;
            philox(seed, step, draw, tensor, firstBlock + done, rounded, s.words);
            boxMuller(s.words, 0, TILE, rounded, s.values, 0);
            boxMuller(s.words, 2 * TILE, 3 * TILE, rounded, s.values, 2 * TILE);
            interleave(s.values, n, out, pos + 4 * done);
        }
    }

    /** Philox4x32-10 of {@code blocks} (a multiple of the lanes) consecutive blocks: word j of block b in {@code words[j * TILE + b]}. */
    private static void philox(long seed, long step, int draw, int tensor, long firstBlock, int blocks,
            long[] words) {
        LongVector iota = LongVector.fromArray(LONGS, IOTA, 0);
        LongVector mask = LongVector.broadcast(LONGS, MASK);
        LongVector m0 = LongVector.broadcast(LONGS, M0);
        LongVector m1 = LongVector.broadcast(LONGS, M1);
        LongVector shift = LongVector.broadcast(LONGS, 32L);
        LongVector tensorWord = LongVector.broadcast(LONGS, tensor & MASK);
        LongVector drawWord = LongVector.broadcast(LONGS, draw & MASK);
        LongVector stepWord = LongVector.broadcast(LONGS, step & MASK);
        for (int b = 0; b < blocks; b += LANES) {
            LongVector c0 = iota.add(LongVector.broadcast(LONGS, firstBlock + b)).and(mask);
            LongVector c1 = tensorWord;
            LongVector c2 = drawWord;
            LongVector c3 = stepWord;
            int k0 = (int) seed;
            int k1 = (int) (seed >>> 32);
            for (int r = 0; r < 10; r++) {
                LongVector p0 = c0.mul(m0);
                LongVector p1 = c2.mul(m1);
                LongVector n0 = p1.lanewise(VectorOperators.LSHR, shift).lanewise(VectorOperators.XOR, c1)
                        .lanewise(VectorOperators.XOR, LongVector.broadcast(LONGS, k0 & MASK));
                LongVector n2 = p0.lanewise(VectorOperators.LSHR, shift).lanewise(VectorOperators.XOR, c3)
                        .lanewise(VectorOperators.XOR, LongVector.broadcast(LONGS, k1 & MASK));
                c1 = p1.and(mask);
                c3 = p0.and(mask);
                c0 = n0;
                c2 = n2;
                k0 += W0;
                k1 += W1;
            }
            c0.intoArray(words, b);
            c1.intoArray(words, TILE + b);
            c2.intoArray(words, 2 * TILE + b);
            c3.intoArray(words, 3 * TILE + b);
        }
    }

    /**
     * Box-Muller on word pairs {@code (words[radius + b], words[angle + b])}: {@code r cos t} into
     * {@code values[to + b]} and {@code r sin t} into {@code values[to + TILE + b]}.
     */
    private static void boxMuller(long[] words, int radius, int angle, int blocks, float[] values, int to) {
        LongVector low30 = LongVector.broadcast(LONGS, 0x3FFFFFFFL);
        LongVector three = LongVector.broadcast(LONGS, 3L);
        LongVector one = LongVector.broadcast(LONGS, 1L);
        LongVector two = LongVector.broadcast(LONGS, 2L);
        LongVector zero = LongVector.zero(LONGS);
        LongVector thirty = LongVector.broadcast(LONGS, 30L);
        for (int b = 0; b < blocks; b += LANES) {
            LongVector a = LongVector.fromArray(LONGS, words, radius + b);
            LongVector w = LongVector.fromArray(LONGS, words, angle + b);
            DoubleVector u = ((DoubleVector) a.convert(VectorOperators.L2D, 0)).add(0.5).mul(0x1p-32);
            DoubleVector r = u.lanewise(VectorOperators.LOG).mul(-2.0).lanewise(VectorOperators.SQRT);
            DoubleVector x = ((DoubleVector) w.and(low30).convert(VectorOperators.L2D, 0)).add(0.5)
                    .mul(QUARTER_TURN_PER_ULP);
            DoubleVector x2 = x.mul(x);
            // NoiseStream.boxMuller's polynomials, innermost term first, in the same order of operations
            DoubleVector s = x2.div(6227020800.0).add(-1.0 / 39916800);
            s = x2.mul(s).add(1.0 / 362880);
            s = x2.mul(s).add(-1.0 / 5040);
            s = x2.mul(s).add(1.0 / 120);
            s = x2.mul(s).add(-1.0 / 6);
            s = x2.mul(s).add(1.0);
            s = x.mul(s);
            DoubleVector c = x2.div(87178291200.0).neg().add(1.0 / 479001600);
            c = x2.mul(c).add(-1.0 / 3628800);
            c = x2.mul(c).add(1.0 / 40320);
            c = x2.mul(c).add(-1.0 / 720);
            c = x2.mul(c).add(1.0 / 24);
            c = x2.mul(c).add(-0.5);
            c = x2.mul(c).add(1.0);
            // quadrant q: (cos, sin) = (c, s), (-s, c), (-c, -s), (s, -c)
            LongVector q = w.lanewise(VectorOperators.LSHR, thirty).and(three);
            VectorMask<Double> swap = q.and(one).compare(VectorOperators.NE, zero).cast(DOUBLES);
            VectorMask<Double> negCos = q.add(one).and(two).compare(VectorOperators.NE, zero).cast(DOUBLES);
            VectorMask<Double> negSin = q.and(two).compare(VectorOperators.NE, zero).cast(DOUBLES);
            DoubleVector cos = c.blend(s, swap);
            DoubleVector sin = s.blend(c, swap);
            cos = cos.blend(cos.neg(), negCos);
            sin = sin.blend(sin.neg(), negSin);
            ((FloatVector) r.mul(cos).convertShape(VectorOperators.D2F, FLOATS, 0)).intoArray(values, to + b);
            ((FloatVector) r.mul(sin).convertShape(VectorOperators.D2F, FLOATS, 0)).intoArray(values, to + TILE + b);
        }
    }

    /** Element {@code 4 b + j} of the stream is {@code values[j * TILE + b]}. */
    private static void interleave(float[] values, int blocks, float[] out, int pos) {
        for (int b = 0, o = pos; b < blocks; b++, o += 4) {
            out[o] = values[b];
            out[o + 1] = values[TILE + b];
            out[o + 2] = values[2 * TILE + b];
            out[o + 3] = values[3 * TILE + b];
        }
    }
}
