package org.forward4j.estimator.lr;

/**
 * The loss baseline subtracted before the likelihood-ratio weighting (docs/method.md §2, variance reduction). Any
 * baseline that is independent of a draw's own noise keeps that draw's term unbiased, because the score
 * {@code eps / s} has mean zero.
 */
enum Baseline {
    /** No baseline: the raw loss weights the score. Unbiased, but the variance grows like {@code L^2 / s^2}. */
    NONE,
    /**
     * Leave-one-out: the mean loss of the point's queries in this step outside the draw being weighted (for an
     * antithetic pair, outside both of its queries), or 0 when there is none.
     */
    LOO
}
