package org.forward4j.estimator;

/**
 * Gives one direction of a weight plan its coefficient in the gradient estimate as soon as the losses of the
 * queries on it are known (docs/method.md §2: {@code g = sum_j c_j z_j}). Used by
 * {@link StreamingQueryEvaluator#evaluateAndCombine}, which adds
 * {@code c_j z_j} while the backend still holds {@code z_j}, so each direction is generated once per step instead
 * of once for its queries and again for the assembly.
 *
 * <p>Evaluators may call this for different directions from different threads at the same time; an implementation
 * must only read shared state.
 */
@FunctionalInterface
public interface DirectionWeigher {

    /**
     * The coefficient of the direction shared by queries {@code from..to-1} of the plan (a maximal run of
     * consecutive queries on one direction).
     *
     * @param from the run's first query
     * @param to one past its last query
     * @param losses the plan's losses; entries {@code from..to-1} are filled in
     * @return {@code c_j}; 0 adds nothing
     */
    double weight(int from, int to, double[][] losses);
}
