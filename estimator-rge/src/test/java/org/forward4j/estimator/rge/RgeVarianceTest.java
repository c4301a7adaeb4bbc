package org.forward4j.estimator.rge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.plugin.Settings;
import org.forward4j.tck.AnalyticObjective;
import org.forward4j.tck.Fixtures;
import org.forward4j.tck.GradientSamples;
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

    private static final int[] ROWS = Fixtures.quadraticRows();
    private static final int SAMPLES = 12000;

    @ParameterizedTest
    @ValueSource(strings = {"shared", "per-point"})
    void varianceFallsAsOneOverDraws(String directions) {
        long seed = 177 + directions.length();
        AnalyticObjective objective = Fixtures.quadratic();
        GradientEstimator estimator = new RgeGradientEstimatorProvider().create(Settings.of("directions", directions));
        ReferenceQueryEvaluator evaluator = new ReferenceQueryEvaluator(objective);
        float[] theta = Fixtures.quadraticTheta();
        int[] one = new int[ROWS.length];
        int[] four = new int[ROWS.length];
        Arrays.fill(one, 1);
        Arrays.fill(four, 4);

        // different seeds: the two traces are independent estimates
        double[] r = GradientSamples.varianceRatio(
                GradientSamples.draw(estimator, evaluator, theta, ROWS, seed, SAMPLES, one),
                GradientSamples.draw(estimator, evaluator, theta, ROWS, seed + 1, SAMPLES, four));
        double ratio = r[0];
        double se = r[1];

        assertThat(ratio).as("seed %d, rge %s: Var(1 draw) / Var(4 draws) = %.3f (SE %.3f)", seed, directions,
                ratio, se).isBetween(4 - 4 * se, 4 + 4 * se);
        // the test must be able to tell 1/A from, say, 1/sqrt(A) (ratio 2) or no reduction
        assertThat(4 * se).as("seed %d: resolving power", seed).isLessThan(1.0);
    }
}
