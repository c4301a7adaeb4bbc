package org.forward4j.allocator;

/**
 * What an estimator measured per point in one step, for allocators to learn from (docs/method.md §3.2, §4). The
 * arrays are copied in and out (a batch's worth of numbers per step), so an allocator may keep or change what it
 * is given.
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
     * Checks the lengths and copies the arrays.
     *
     * @param step the optimisation step
     * @param pointIds dataset row of each batch position
     * @param proxies the proxies the allocation used
     * @param draws the draws each point received
     * @param perDrawVariance v_i per point
     * @param meanLoss the mean perturbed loss of each point
     * @throws IllegalArgumentException if the arrays differ in length
     */
    public PointStatistics {
        int b = draws.length;
        if (pointIds.length != b || proxies.length != b || perDrawVariance.length != b || meanLoss.length != b) {
            throw new IllegalArgumentException("statistics of " + b + " points have arrays of lengths "
                    + pointIds.length + ", " + proxies.length + ", " + perDrawVariance.length + ", "
                    + meanLoss.length);
        }
        pointIds = pointIds.clone();
        proxies = proxies.clone();
        draws = draws.clone();
        perDrawVariance = perDrawVariance.clone();
        meanLoss = meanLoss.clone();
    }

    @Override
    public int[] pointIds() {
        return pointIds.clone();
    }

    @Override
    public double[] proxies() {
        return proxies.clone();
    }

    @Override
    public int[] draws() {
        return draws.clone();
    }

    @Override
    public double[] perDrawVariance() {
        return perDrawVariance.clone();
    }

    @Override
    public double[] meanLoss() {
        return meanLoss.clone();
    }

    /**
     * The number of points.
     *
     * @return B
     */
    public int size() {
        return draws.length;
    }

    /**
     * The proxy objective J(A) = sum_i v_i / A_i (docs/method.md §3.2).
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
