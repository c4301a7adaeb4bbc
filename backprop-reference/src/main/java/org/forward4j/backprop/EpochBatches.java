package org.forward4j.backprop;

import java.util.Arrays;
import java.util.Map;
import org.forward4j.core.train.Trainer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The mini-batches of one epoch in forward4j's order: rows permuted by {@link Trainer#permutation(int, long, int)},
 * cut into batches of {@code batchSize}, the last partial batch dropped, exactly as {@link Trainer} visits them.
 * Batches are assembled when asked for, so one batch of features lives at a time, not a copy of the epoch.
 */
final class EpochBatches {

    private final float[] features;
    private final int[] labels;
    private final int in;
    private final int classes;
    private final int batchSize;
    private final int[] order;

    /**
     * The batches of one epoch.
     *
     * @param features row-major training features
     * @param labels training labels
     * @param in input width
     * @param classes number of classes
     * @param batchSize rows per batch
     * @param seed the run's seed
     * @param epoch the epoch (0-based), which keys the permutation
     */
    EpochBatches(float[] features, int[] labels, int in, int classes, int batchSize, long seed, int epoch) {
        this.features = features;
        this.labels = labels;
        this.in = in;
        this.classes = classes;
        this.batchSize = batchSize;
        this.order = Trainer.permutation(labels.length, seed, epoch);
    }

    /**
     * Batches in the epoch.
     *
     * @return {@code floor(rows / batchSize)}
     */
    int batches() {
        return labels.length / batchSize;
    }

    /**
     * The rows of batch {@code s}.
     *
     * @param s the batch within the epoch
     * @return its data rows, in order
     */
    int[] rows(int s) {
        return Arrays.copyOfRange(order, s * batchSize, (s + 1) * batchSize);
    }

    /**
     * The placeholders of batch {@code s}.
     *
     * @param s the batch within the epoch
     * @return features and one-hot labels, float
     */
    Map<String, INDArray> batch(int s) {
        return MlpGraph.batch(features, labels, rows(s), in, classes, DataType.FLOAT);
    }
}
