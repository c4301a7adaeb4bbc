package org.forward4j.estimator.rge;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.plugin.Settings;
import org.forward4j.tck.AnalyticObjective;
import org.forward4j.tck.Fixtures;
import org.forward4j.tck.WeightPerturbationChecks;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The RGE batch estimate is unbiased up to O(m^2) (docs/method.md §2). Expanding the forward difference,
 * p = u^T grad l + (m/2) u^T H u + (m^2/6) D^3 l[u,u,u] + ..., so E[p u] = g + (m/2) E[u (u^T H u)] + O(m^2), and
 * the middle term is an odd moment of a symmetric u (Gaussian or sphere), hence zero: on the quadratic the
 * estimate is exactly unbiased, on the smooth function the bias is about m^2 d^2 / 6 ~ 1e-5, below 1% of the
 * standard errors. So m = 1e-3 works despite float32 parameters: the losses are computed in double from the float
 * parameters, and rounding theta + m u to float perturbs each p by a relative 2^-24 |theta| / (m |u|) ~ 1e-4 at
 * most, again far below the 4-SE bounds (a few % of |g|).
 */
class RgeUnbiasednessTest {

    private static final int SAMPLES = 8000;

    static Stream<Arguments> configurations() {
        List<Arguments> all = new ArrayList<>();
        for (String directions : List.of("shared", "per-point")) {
            for (String distribution : List.of("gaussian", "sphere")) {
                for (String function : List.of("quadratic", "smooth")) {
                    all.add(Arguments.of(2000L + all.size(), directions, distribution, function));
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "seed {0}: {1} {2} {3}")
    @MethodSource("configurations")
    void meanOfManyEstimatesIsTheAnalyticGradient(long seed, String directions, String distribution,
                                                  String function) {
        AnalyticObjective objective = function.equals("quadratic") ? Fixtures.quadratic() : Fixtures.smooth();
        GradientEstimator estimator = new RgeGradientEstimatorProvider()
                .create(Settings.of("directions", directions, "distribution", distribution));
        WeightPerturbationChecks.meanIsTheAnalyticGradient(estimator, objective, seed, SAMPLES,
                String.format("seed %d, rge %s %s on %s", seed, directions, distribution, function));
    }
}
