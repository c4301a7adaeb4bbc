package org.forward4j.estimator;

/**
 * Query cost of an estimator (docs/method.md §1): each draw costs {@code queriesPerDraw} queries and each point
 * additionally {@code queriesPerPoint} (for example RGE's clean evaluation).
 *
 * @param queriesPerDraw queries per draw, at least 1 (SPSA: 2; RGE: 1; LR: 1, or 2 for an antithetic pair)
 * @param queriesPerPoint fixed queries per point and step, at least 0
 */
public record EstimatorCost(int queriesPerDraw, int queriesPerPoint) {

    /**
     * Validates the cost.
     *
     * @param queriesPerDraw at least 1
     * @param queriesPerPoint at least 0
     */
    public EstimatorCost {
        if (queriesPerDraw < 1 || queriesPerPoint < 0) {
            throw new IllegalArgumentException("invalid cost: " + queriesPerDraw + " per draw, " + queriesPerPoint
                    + " per point");
        }
    }

    /**
     * Queries of a whole allocation.
     *
     * @param batchSize B
     * @param totalDraws D
     * @return {@code B * queriesPerPoint + D * queriesPerDraw}
     */
    public long queries(int batchSize, long totalDraws) {
        return (long) batchSize * queriesPerPoint + totalDraws * queriesPerDraw;
    }
}
