package org.forward4j.estimator.rge;

import org.forward4j.estimator.GradientEstimator;
import org.forward4j.plugin.Settings;
import org.forward4j.tck.WeightPerturbationChecks;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The variance of the RGE batch estimate falls as 1/draws. The clean loss is deterministic, so with A draws for
 * every point the draws are i.i.d. and the trace of Cov(g) with A draws is exactly 4 times the one with 4A draws,
 * in shared mode (g = (1/A) sum_j p_j u_j with p_j = u_j^T gbar + (m/2) u_j^T H u_j on the quadratic) as well as
 * per point. Each trace is estimated from independent seeded samples, with a standard error from the spread of
 * |g - mean|^2; the ratio's standard error follows by the delta method, SE(R) = R sqrt(rel1^2 + rel4^2), and the
 * ratio must lie within 4 of them of 4.
 */
class RgeVarianceTest {

    private static final int SAMPLES = 12000;

    @ParameterizedTest
    @ValueSource(strings = {"shared", "per-point"})
    void varianceFallsAsOneOverDraws(String directions) {
        long seed = 177 + directions.length();
        GradientEstimator estimator = new RgeGradientEstimatorProvider().create(Settings.of("directions", directions));
        WeightPerturbationChecks.varianceFallsAsOneOverDraws(estimator, seed, SAMPLES,
                "seed " + seed + ", rge " + directions);
    }
}
