package org.forward4j.estimator.weights;

import java.util.Arrays;

/**
 * The scalars one point's draws produced during a step. Directions are regenerated from their number when the
 * estimate is assembled, never kept (docs/method.md §5), so a step holds O(draws) scalars and O(d) floats.
 */
final class DrawLog {
    private double[] coefficients = new double[4];
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
     * @param coefficient what multiplies the regenerated stream z in the draw's estimate
     * @param projection p_ij
     * @param loss the draw's loss for the proxy
     * @param include whether the draw enters the gradient estimate
     */
    void add(double coefficient, double projection, double loss, boolean include) {
        if (size == coefficients.length) {
            int grown = Math.max(8, size * 2);
            coefficients = Arrays.copyOf(coefficients, grown);
            included = Arrays.copyOf(included, grown);
        }
        coefficients[size] = coefficient;
        included[size] = include;
        size++;
        lossSum += loss;
        if (include) {
            includedCount++;
            includedSquares += projection * projection;
        }
    }

    double coefficient(int draw) {
        return coefficients[draw];
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
