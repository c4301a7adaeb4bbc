package org.forward4j.estimator;

/**
 * A black-box objective: per-point losses of a flat parameter vector (docs/method.md §2). This is all a user supplies to
 * train with {@code spsa} or {@code rge}; the engine perturbs the parameters (regenerating the noise) and calls
 * {@link #losses}. No gradient is ever asked for.
 */
public interface Objective {

    /**
     * The number of parameters d.
     *
     * @return d
     */
    int dimension();

    /**
     * The number of data points the rows index into.
     *
     * @return the number of points
     */
    int size();

    /**
     * Evaluates the loss of each row under the given parameters. Each row evaluated is one query.
     *
     * @param params a flat parameter vector of length {@link #dimension()}; read-only and not retained
     * @param rows data point indices in {@code [0, size())}
     * @param out receives the loss of {@code rows[k]} at {@code out[k]}
     */
    void losses(float[] params, int[] rows, double[] out);
}
