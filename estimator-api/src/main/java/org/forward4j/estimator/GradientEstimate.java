package org.forward4j.estimator;

/**
 * A batch gradient estimate and what was measured on the way. The arrays are handed over to the engine, not
 * copied: the estimator keeps no reference to them.
 *
 * @param gradient g, length d
 * @param draws draws of each point that entered the estimate
 * @param perDrawVariance v_i per point (see {@code PointStatistics} of the allocator API)
 * @param meanLoss mean perturbed loss per point over all its queries this step
 * @param queries queries this step spent (pilot included), as the estimator planned them
 */
public record GradientEstimate(float[] gradient, int[] draws, double[] perDrawVariance, double[] meanLoss,
                               long queries) {
}
