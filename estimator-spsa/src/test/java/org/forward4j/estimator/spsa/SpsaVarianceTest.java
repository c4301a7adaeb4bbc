package org.forward4j.estimator.spsa;

import org.forward4j.estimator.GradientEstimator;
import org.forward4j.plugin.Settings;
import org.forward4j.tck.WeightPerturbationChecks;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The variance of the batch estimate falls as 1/draws. With A draws for every point the draws are i.i.d., so the
 * trace of Cov(g) with A draws is exactly 4 times the one with 4A draws, in shared mode (g = (1/A) sum_j z_j z_j^T
 * gbar) as well as per point. Each trace is estimated from independent seeded samples, with a standard error
 * from the spread of |g - mean|^2; the ratio's standard error follows by the delta method,
 * SE(R) = R sqrt(rel1^2 + rel4^2), and the ratio must lie within 4 of them of 4.
 */
class SpsaVarianceTest {

    private static final int SAMPLES = 12000;

    @ParameterizedTest
    @ValueSource(strings = {"shared", "per-point"})
    void varianceFallsAsOneOverDraws(String directions) {
        long seed = 77 + directions.length();
        GradientEstimator estimator = new SpsaGradientEstimatorProvider().create(Settings.of("directions", directions));
        WeightPerturbationChecks.varianceFallsAsOneOverDraws(estimator, seed, SAMPLES,
                "seed " + seed + ", spsa " + directions);
    }
}
