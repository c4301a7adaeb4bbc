package org.forward4j.estimator.spsa;

import java.util.Arrays;

/**
 * The scalars one point's draws produced during a step: the projected differences p_ij and the losses. Directions
 * are regenerated from their number when the estimate is assembled, never kept (method.md §5), so a step holds
 * O(draws) scalars and O(d) floats.
 */
final class DrawLog {
    private double[] projections = new double[4];
    private boolean[] included = new boolean[4];
    private int size;
    private int includedCount;
    private double lossSum;
    private double includedSquares;

    /** Draws recorded so far; also the number j of the next draw. */
    int size() {
        return size;
    }

    /**
     * Records the next draw.
     *
     * @param projection p_ij
     * @param loss the mean loss of the draw's queries (for the proxy)
     * @param include whether the draw enters the gradient estimate
     */
    void add(double projection, double loss, boolean include) {
        if (size == projections.length) {
            int grown = Math.max(8, size * 2);
            projections = Arrays.copyOf(projections, grown);
            included = Arrays.copyOf(included, grown);
        }
        projections[size] = projection;
        included[size] = include;
        size++;
        lossSum += loss;
        if (include) {
            includedCount++;
            includedSquares += projection * projection;
        }
    }

    double projection(int draw) {
        return projections[draw];
    }

    boolean included(int draw) {
        return included[draw];
    }

    /** A_i: the draws that enter the estimate. */
    int includedCount() {
        return includedCount;
    }

    /** Mean loss over every draw, included or not; NaN before the first. */
    double meanLoss() {
        return size == 0 ? Double.NaN : lossSum / size;
    }

    /** Mean of p_ij^2 over the included draws; 0 without any. */
    double meanSquare() {
        return includedCount == 0 ? 0.0 : includedSquares / includedCount;
    }
}
