package org.forward4j.estimator.spsa;

/**
 * How draws are turned into direction numbers (method.md §2, direction sharing). Written {@code shared} and
 * {@code per-point} in settings.
 */
enum DirectionMode {
    /**
     * Draw j of every point uses direction j: one perturbed parameter vector evaluates all points that have a
     * j-th draw (one GEMM on native backends), but per-point estimates are correlated.
     */
    SHARED,
    /**
     * Draw j of point i uses direction {@code i * 65536 + j}: independent per-point estimates (what a non-uniform
     * allocator needs, method.md §3.1) at the price of one perturbed evaluation per query.
     */
    PER_POINT;

    /** Spacing of the points' direction numbers in per-point mode, hence its limit of draws per point and step. */
    static final int STRIDE = 65536;

    /** Largest batch whose per-point direction numbers {@code i * STRIDE + j} still fit in a non-negative int. */
    static final int MAX_PER_POINT_BATCH = Integer.MAX_VALUE / STRIDE;

    /**
     * The direction number (noise stream draw) of a point's draw.
     *
     * @param point the batch position i
     * @param draw the draw number j of that point
     * @return j when shared, {@code i * 65536 + j} per point
     */
    int direction(int point, int draw) {
        return this == SHARED ? draw : point * STRIDE + draw;
    }
}
