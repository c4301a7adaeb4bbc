package org.forward4j.estimator;

/**
 * A batch gradient estimate and what was measured on the way.
 *
 * @param gradient g, length d
 * @param draws draws of each point that entered the estimate
 * @param perDrawVariance v_i per point (see {@link org.forward4j.allocator.PointStatistics})
 * @param meanLoss mean perturbed loss per point over all its queries this step
 * @param queries queries this step spent (pilot included), as the estimator planned them
 */
public record GradientEstimate(float[] gradient, int[] draws, double[] perDrawVariance, double[] meanLoss,
                               long queries) {
}
