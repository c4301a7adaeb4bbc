package org.forward4j.allocator;

/**
 * What an estimator measured per point in one step, for allocators to learn from (method.md §3.2, §4).
 *
 * @param step the optimisation step
 * @param pointIds dataset row of each batch position
 * @param proxies the proxies the allocation used
 * @param draws the draws each point received
 * @param perDrawVariance v_i: the estimator's estimate of the per-draw variance of point i's gradient estimate
 *     (trace of the covariance, up to a factor common to all points); non-negative and finite
 * @param meanLoss the mean perturbed loss of each point in this step
 */
public record PointStatistics(long step, int[] pointIds, double[] proxies, int[] draws, double[] perDrawVariance,
                              double[] meanLoss) {

    /**
     * The number of points.
     *
     * @return B
     */
    public int size() {
        return draws.length;
    }

    /**
     * The proxy objective J(A) = sum_i v_i / A_i (method.md §3.2).
     *
     * @return the variance proxy of this step's allocation
     */
    public double varianceProxy() {
        double j = 0;
        for (int i = 0; i < draws.length; i++) {
            j += perDrawVariance[i] / draws[i];
        }
        return j;
    }
}
