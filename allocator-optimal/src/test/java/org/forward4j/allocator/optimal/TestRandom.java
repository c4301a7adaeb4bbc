package org.forward4j.allocator.optimal;

import org.forward4j.noise.Philox;

/** A sequential random source for tests, built on Philox so every test is reproducible from its seed. */
final class TestRandom {
    private final long seed;
    private final int stream;
    private final int[] words = new int[4];
    private long counter;
    private int used = 4;

    TestRandom(long seed, int stream) {
        this.seed = seed;
        this.stream = stream;
    }

    int nextWord() {
        if (used == 4) {
            Philox.block((int) counter, (int) (counter >>> 32), stream, 0x7E57, (int) seed, (int) (seed >>> 32),
                    words);
            counter++;
            used = 0;
        }
        return words[used++];
    }

    /** Uniform in (0, 1). */
    double nextDouble() {
        return Philox.uniform(nextWord());
    }

    /** Uniform in [0, bound). */
    int nextInt(int bound) {
        return Math.min(bound - 1, (int) (nextDouble() * bound));
    }

    double nextGaussian() {
        return Math.sqrt(-2 * Math.log(nextDouble())) * Math.cos(2 * Math.PI * nextDouble());
    }

    void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
