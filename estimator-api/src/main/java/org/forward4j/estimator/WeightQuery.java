package org.forward4j.estimator;

/**
 * Evaluate {@code rows} under the parameters {@code theta + scale * z(direction)}; {@code scale == 0} is a clean
 * evaluation. Costs {@code rows.length} queries. The row array is not copied: the estimator that builds the
 * query must not change it afterwards.
 *
 * @param direction the draw number of the noise stream (see {@link WeightPlan})
 * @param scale the multiplier of the direction
 * @param rows data point indices
 */
public record WeightQuery(int direction, float scale, int[] rows) {
}
