package org.forward4j.estimator;

import org.forward4j.noise.NoiseStream;

/**
 * Queries with noise injected into the layer outputs of a {@link NetworkObjective} (the {@code lr} estimator,
 * method.md §2). Each entry is one query: data row {@code rows[r]} evaluated with
 * {@code v_l = W_l x_l + b_l + sigma * sign_r * eps_{r,l}} at every layer {@code l} (before the activation, and
 * before the softmax at the last layer), where {@code eps_{r,l}[k] = NoiseStream(seed, step, streams[r], l)
 * .element(GAUSSIAN, k)} and {@code sign_r = negate[r] ? -1 : 1}. Rows are independent of each other.
 *
 * @param seed the run's seed
 * @param step the step
 * @param sigma the noise scale s
 * @param rows the data row of each query
 * @param streams the noise stream (draw number) of each query
 * @param negate whether each query uses the negated noise (the second half of an antithetic pair)
 */
public record ActivationPlan(long seed, int step, float sigma, int[] rows, int[] streams, boolean[] negate) {

    /**
     * Validates the lengths.
     *
     * @param seed the run's seed
     * @param step the step
     * @param sigma the noise scale s
     * @param rows the data row of each query
     * @param streams the noise stream of each query
     * @param negate the sign of each query
     */
    public ActivationPlan {
        if (rows.length != streams.length || rows.length != negate.length) {
            throw new IllegalArgumentException("rows, streams and negate differ in length: " + rows.length + ", "
                    + streams.length + ", " + negate.length);
        }
        if (!(sigma > 0f)) {
            throw new IllegalArgumentException("sigma must be > 0, got " + sigma);
        }
    }

    /**
     * The number of queries.
     *
     * @return {@code rows.length}
     */
    public int size() {
        return rows.length;
    }

    /**
     * The noise stream of query r at layer l.
     *
     * @param r the query
     * @param layer the layer
     * @return the stream whose first {@code out_l} elements are eps_{r,l}
     */
    public NoiseStream stream(int r, int layer) {
        return new NoiseStream(seed, step, streams[r], layer);
    }
}
