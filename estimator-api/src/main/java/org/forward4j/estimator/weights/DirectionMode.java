package org.forward4j.estimator.weights;

import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.Settings;

/**
 * How the draws of a weight-perturbation estimator are turned into direction numbers, the {@code draw} of their
 * {@link org.forward4j.noise.NoiseStream} (docs/method.md §2, direction sharing). Estimators expose it as the setting
 * {@value #SETTING}, written {@code shared} and {@code per-point} ({@link org.forward4j.plugin.Settings#kebab}),
 * and the limits below are reported in those terms.
 */
public enum DirectionMode {
    /**
     * Draw j of every point uses direction j: one perturbed parameter vector evaluates all points that have a
     * j-th draw (one GEMM on native backends, docs/method.md §6), but per-point estimates are correlated.
     */
    SHARED,
    /**
     * Draw j of point i uses direction {@link NoiseStream#pointStream NoiseStream.pointStream(i, j)}: independent per-point estimates (what a non-uniform
     * allocator needs, docs/method.md §3.1) at the price of one perturbed evaluation per query.
     */
    PER_POINT;

    /** The conventional settings key of the mode. */
    public static final String SETTING = "directions";

    /** Largest batch in per-point mode ({@link NoiseStream#MAX_POINTS}). */
    public static final int MAX_PER_POINT_BATCH = NoiseStream.MAX_POINTS;

    /**
     * The direction number (noise stream draw) of a point's draw.
     *
     * @param point the batch position i, {@code 0 <= i < }{@link #MAX_PER_POINT_BATCH} per point
     * @param draw the draw number j of that point, {@code 0 <= j < }{@link #maxDrawsPerPoint()}
     * @return j when shared, {@code NoiseStream.pointStream(i, j)} per point
     * @throws IllegalArgumentException if the numbers are out of range (per point they would collide)
     */
    public int direction(int point, int draw) {
        if (point < 0 || draw < 0 || draw >= maxDrawsPerPoint()
                || (this == PER_POINT && point >= MAX_PER_POINT_BATCH)) {
            throw new IllegalArgumentException("no " + Settings.kebab(this) + " direction for draw " + draw
                    + " of point " + point + (this == PER_POINT ? " (points 0.." + (MAX_PER_POINT_BATCH - 1)
                    + ", draws 0.." + (NoiseStream.STREAMS_PER_POINT - 1) + ")" : " (both must be >= 0)"));
        }
        return this == SHARED ? draw : NoiseStream.pointStream(point, draw);
    }

    /**
     * The most draws one point may make in one step: unlimited when shared, {@link NoiseStream#STREAMS_PER_POINT}
     * per point (beyond it the next point's directions would be reused).
     *
     * @return {@link Integer#MAX_VALUE} or {@link NoiseStream#STREAMS_PER_POINT}
     */
    public int maxDrawsPerPoint() {
        return this == SHARED ? Integer.MAX_VALUE : NoiseStream.STREAMS_PER_POINT;
    }

    /**
     * Whether the per-point estimates are independent, as
     * {@link org.forward4j.estimator.GradientEstimator#independentPerPoint()} reports it.
     *
     * @return true per point
     */
    public boolean independentPerPoint() {
        return this == PER_POINT;
    }
}
