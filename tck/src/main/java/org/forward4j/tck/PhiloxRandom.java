package org.forward4j.tck;

import org.forward4j.noise.Philox;

/**
 * A sequential random source for generating test scenarios, built on Philox (docs/method.md §5) so that every scenario
 * is a pure function of its seed and stream, like all randomness in forward4j.
 */
final class PhiloxRandom {

    private final int k0;
    private final int k1;
    private final int stream;
    private int counter;
    private final int[] block = new int[4];

    PhiloxRandom(long seed, int stream) {
        this.k0 = (int) seed;
        this.k1 = (int) (seed >>> 32);
        this.stream = stream;
    }

    private long nextWord() {
        Philox.block(counter++, stream, 0x7C4, 0x7C4, k0, k1, block);
        return block[0] & 0xFFFFFFFFL;
    }

    /** Uniform in {@code [0, bound)}, {@code bound >= 1}. */
    int nextInt(int bound) {
        return (int) ((nextWord() * bound) >>> 32);
    }

    /** Uniform in the open interval (0, 1). */
    double nextDouble() {
        return Philox.uniform((int) nextWord());
    }

    /** Standard normal (Box-Muller). */
    double nextGaussian() {
        return Math.sqrt(-2 * Math.log(nextDouble())) * Math.cos(2 * Math.PI * nextDouble());
    }

    /** Fisher-Yates shuffle in place. */
    void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
