package org.forward4j.allocator;

import java.util.Arrays;
import org.forward4j.plugin.InvalidConfigurationException;

/**
 * One allocation problem: a batch of {@code B} points with their proxies and a budget of draws.
 *
 * @param seed the run's seed (all allocator randomness derives from it and {@code step})
 * @param step the optimisation step
 * @param pointIds dataset row of each batch position (stable identity across visits)
 * @param proxies the per-point proxy lambda_i (docs/method.md §3.2), for example the pilot's mean perturbed loss;
 *     must be finite
 * @param totalDraws D, the draws to distribute (the engine converts the query budget with the estimator's cost)
 * @param minDraws A_min, at least 1
 * @param maxDraws A_max, at least {@code minDraws}
 */
public record AllocationRequest(long seed, long step, int[] pointIds, double[] proxies, int totalDraws, int minDraws,
                                int maxDraws) {

    /**
     * Validates the request.
     *
     * @throws InvalidConfigurationException for a NaN or infinite proxy, mismatched lengths, bad bounds, or a
     *     budget that the bounds cannot meet
     */
    public AllocationRequest {
        if (pointIds.length != proxies.length) {
            throw new InvalidConfigurationException("pointIds has " + pointIds.length + " entries but proxies has "
                    + proxies.length + "; pass one proxy per batch point");
        }
        if (proxies.length == 0) {
            throw new InvalidConfigurationException("Empty batch: an allocation needs at least one point");
        }
        for (int i = 0; i < proxies.length; i++) {
            if (!Double.isFinite(proxies[i])) {
                throw new InvalidConfigurationException("Proxy of batch point " + i + " (row " + pointIds[i] + ") is "
                        + proxies[i] + "; proxies must be finite (check the loss of that data point)");
            }
        }
        if (minDraws < 1 || maxDraws < minDraws) {
            throw new InvalidConfigurationException("Draw bounds [" + minDraws + ", " + maxDraws
                    + "] are invalid; need 1 <= min-draws <= max-draws");
        }
        long b = proxies.length;
        if (totalDraws < b * minDraws) {
            throw new InvalidConfigurationException("Budget of " + totalDraws + " draws is below batch size " + b
                    + " x min-draws " + minDraws + " = " + (b * minDraws)
                    + "; raise the query budget or lower min-draws");
        }
        if (totalDraws > b * maxDraws) {
            throw new InvalidConfigurationException("Budget of " + totalDraws + " draws exceeds batch size " + b
                    + " x max-draws " + maxDraws + " = " + (b * maxDraws)
                    + "; lower the query budget or raise max-draws");
        }
        pointIds = pointIds.clone();
        proxies = proxies.clone();
    }

    /**
     * The batch size B.
     *
     * @return number of points
     */
    public int batchSize() {
        return proxies.length;
    }

    @Override
    public int[] pointIds() {
        return pointIds.clone();
    }

    @Override
    public double[] proxies() {
        return proxies.clone();
    }

    /**
     * A proxy without copying the array.
     *
     * @param i batch position
     * @return lambda_i
     */
    public double proxy(int i) {
        return proxies[i];
    }

    /**
     * A point id without copying the array.
     *
     * @param i batch position
     * @return the dataset row of batch position i
     */
    public int pointId(int i) {
        return pointIds[i];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AllocationRequest r && r.seed == seed && r.step == step && r.totalDraws == totalDraws
                && r.minDraws == minDraws && r.maxDraws == maxDraws && Arrays.equals(r.pointIds, pointIds)
                && Arrays.equals(r.proxies, proxies);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(proxies) * 31 + Arrays.hashCode(pointIds) + Long.hashCode(step) + totalDraws;
    }

    @Override
    public String toString() {
        return "AllocationRequest[B=" + proxies.length + ", D=" + totalDraws + ", bounds=[" + minDraws + ", "
                + maxDraws + "], step=" + step + "]";
    }
}
