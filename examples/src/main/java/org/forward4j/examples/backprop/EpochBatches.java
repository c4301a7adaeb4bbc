package org.forward4j.examples.backprop;

import java.util.Arrays;
import java.util.Map;
import java.util.NoSuchElementException;
import org.forward4j.core.train.Trainer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.MultiDataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;

/**
 * The mini-batches of one epoch in forward4j's order: rows permuted by {@link Trainer#permutation(int, long, int)},
 * cut into batches of {@code batchSize}, the last partial batch dropped, exactly as {@link Trainer} visits them.
 * Batches are assembled as they are asked for (one batch of features lives at a time, not a copy of the epoch).
 * Not asynchronous: SameDiff would otherwise prefetch on another thread, which changes neither results nor
 * order but would blur the wall time and memory being measured.
 */
final class EpochBatches implements MultiDataSetIterator {

    private static final long serialVersionUID = 1L;

    private final float[] features;
    private final int[] labels;
    private final int in;
    private final int classes;
    private final int batchSize;
    private final int[] order;
    private final int batches;
    private int next;

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
        this.batches = labels.length / batchSize;
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
     * Batches in the epoch.
     *
     * @return {@code floor(rows / batchSize)}
     */
    int batches() {
        return batches;
    }

    @Override
    public boolean hasNext() {
        return next < batches;
    }

    @Override
    public MultiDataSet next() {
        if (!hasNext()) {
            throw new NoSuchElementException("All " + batches + " batches of the epoch were read");
        }
        Map<String, INDArray> b = MlpGraph.batch(features, labels, rows(next++), in, classes, DataType.FLOAT);
        return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {b.get(MlpGraph.FEATURES)},
                new INDArray[] {b.get(MlpGraph.LABELS)});
    }

    @Override
    public MultiDataSet next(int num) {
        throw new UnsupportedOperationException("Batches have the fixed size " + batchSize + " of forward4j's "
                + "trainer; next(" + num + ") is not supported");
    }

    @Override
    public void setPreProcessor(MultiDataSetPreProcessor preProcessor) {
        throw new UnsupportedOperationException("The backprop reference feeds the data unchanged, as the forward "
                + "trainer does; no pre-processor can be set");
    }

    @Override
    public MultiDataSetPreProcessor getPreProcessor() {
        return null;
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    @Override
    public boolean asyncSupported() {
        return false;
    }

    @Override
    public void reset() {
        next = 0;
    }
}
