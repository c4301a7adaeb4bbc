package org.forward4j.cli;

import java.util.Arrays;
import org.forward4j.datasets.Dataset;
import org.forward4j.noise.Philox;
import org.forward4j.plugin.InvalidConfigurationException;

/**
 * Few-shot training sets ({@code shots=K}): K rows of every class, drawn from the training split by a seeded shuffle,
 * so the subset depends on the data, K and the seed only. Every estimator, allocator and backend run with the same
 * seed trains on the same rows, and comparisons between them are paired.
 */
final class Shots {

    /** Philox counter words that set the shuffle of shots apart from the epoch orders and the noise. */
    private static final int STREAM = 0x5407_5EED;

    private Shots() {
    }

    /**
     * The first K rows of each class in a seeded shuffle of the rows, kept in their original order.
     *
     * @param train the training split (after limits and scaling)
     * @param k rows per class, at least 1
     * @param seed the run's seed
     * @return a dataset of {@code K x classes} rows named {@code <name>[shots=K, seed=S]}
     * @throws InvalidConfigurationException naming the class when one has fewer than K rows
     */
    static Dataset select(Dataset train, int k, long seed) {
        int[] counts = train.classCounts();
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] < k) {
                throw new InvalidConfigurationException("shots=" + k + " is larger than the " + counts[c]
                        + " training rows of class " + c + " in '" + train.name() + "'; lower shots (or raise "
                        + "train-limit)");
            }
        }
        int n = train.rows();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        int[] w = new int[4];
        for (int i = n - 1; i > 0; i--) {
            Philox.block(i, 0, STREAM, 0, (int) seed, (int) (seed >>> 32), w);
            int j = (int) (((w[0] & 0xFFFFFFFFL) * (i + 1)) >>> 32);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] taken = new int[counts.length];
        int[] rows = new int[k * counts.length];
        int m = 0;
        for (int r : order) {
            int label = train.label(r);
            if (taken[label] < k) {
                taken[label]++;
                rows[m++] = r;
            }
        }
        Arrays.sort(rows);
        int cols = train.cols();
        float[] x = new float[rows.length * cols];
        int[] y = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            train.copyRow(rows[i], x, i * cols);
            y[i] = train.label(rows[i]);
        }
        return new Dataset(train.name() + "[shots=" + k + ", seed=" + seed + "]", x, rows.length, cols, y,
                train.classes());
    }
}
