package org.forward4j.estimator;

/**
 * Everything an estimator needs for one mini-batch. The arrays are the engine's own (not copied): estimators read
 * them and never write them.
 *
 * @param evaluator runs the query plans (and counts them)
 * @param theta the current parameters; read-only
 * @param rows data rows of the batch, in batch order
 * @param seed the run's seed
 * @param step the step number (part of the noise counter, docs/method.md §5)
 */
public record StepContext(QueryEvaluator evaluator, float[] theta, int[] rows, long seed, long step) {

    /**
     * The batch size.
     *
     * @return B
     */
    public int batchSize() {
        return rows.length;
    }
}
