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
 * @param terms optional: the ordered direction terms {@code gradient} is exactly the sum of (see
 *     {@link DirectionTerms}), so that the update can be replayed elsewhere from scalars; null when the estimator
 *     does not describe its gradient that way
 */
public record GradientEstimate(float[] gradient, int[] draws, double[] perDrawVariance, double[] meanLoss,
                               long queries, DirectionTerms terms) {

    /**
     * An estimate without direction terms: what every estimator that does not offer replay reports (and the form
     * of this record before {@code terms} existed, kept so that plugins compiled against it still work).
     *
     * @param gradient g, length d
     * @param draws draws of each point that entered the estimate
     * @param perDrawVariance v_i per point
     * @param meanLoss mean perturbed loss per point
     * @param queries queries this step spent
     */
    public GradientEstimate(float[] gradient, int[] draws, double[] perDrawVariance, double[] meanLoss,
                            long queries) {
        this(gradient, draws, perDrawVariance, meanLoss, queries, null);
    }
}
