package org.forward4j.estimator;

import org.forward4j.noise.NoiseStream;

/**
 * Queries with noise injected into the layer outputs of a {@link NetworkObjective} (the {@code lr} estimator,
 * docs/method.md §2). Each entry is one query: data row {@code rows[r]} evaluated with
 * {@code v_l = W_l x_l + b_l + sigma * sign_r * eps_{r,l}} at every layer {@code l} (before the activation, and
 * before the softmax at the last layer), where {@code eps_{r,l}[k] = NoiseStream(seed, step, streams[r], l)
 * .element(GAUSSIAN, k)} and {@code sign_r = negate[r] ? -1 : 1}. Rows are independent of each other.
 *
 * <p>The arrays are not copied (a plan may hold tens of thousands of rows and is built once per round): the
 * estimator that builds a plan must not change them afterwards, and evaluators only read them.
 *
 * @param seed the run's seed
 * @param step the step
 * @param sigma the noise scale s
 * @param rows the data row of each query
 * @param streams the noise stream (draw number) of each query
 * @param negate whether each query uses the negated noise (the second half of an antithetic pair)
 */
public record ActivationPlan(long seed, long step, float sigma, int[] rows, int[] streams, boolean[] negate) {

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
     * Checks that group ends partition the plan's rows {@code 0 .. size()-1} into non-empty runs of consecutive
     * rows (the groups of {@link StreamingQueryEvaluator#evaluateAndAssemble}).
     *
     * @param groupEnds exclusive ends, strictly increasing, the last equal to {@link #size()}
     * @throws IllegalArgumentException naming the first bad entry
     */
    public void checkGroups(int[] groupEnds) {
        int previous = 0;
        for (int g = 0; g < groupEnds.length; g++) {
            if (groupEnds[g] <= previous || groupEnds[g] > rows.length) {
                throw new IllegalArgumentException("group end " + g + " is " + groupEnds[g] + ": ends must rise "
                        + "strictly from 1 to the plan's " + rows.length + " rows");
            }
            previous = groupEnds[g];
        }
        if (previous != rows.length) {
            throw new IllegalArgumentException("groups end at row " + previous + " but the plan has " + rows.length
                    + " rows");
        }
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
