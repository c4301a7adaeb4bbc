package org.forward4j.estimator.rge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.forward4j.estimator.CountingQueryEvaluator;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.Settings;
import org.forward4j.tck.AnalyticObjective;
import org.forward4j.tck.Fixtures;
import org.forward4j.tck.WeightPerturbationChecks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Query counting, plan shape, determinism, pilot handling, statistics and argument checks of one RGE step. */
class RgeStepTest {

    private static final int D = 8;
    private static final int[] ROWS = {7, 2, 9, 0, 4};
    private static final int[] PILOT = {1, 1, 1, 1, 1};
    private static final int[] REST = {0, 3, 1, 5, 2};
    private static final long SEED = 42;
    /** Read-only for the estimators (the tck contract checks it). */
    private static final float[] THETA = Fixtures.quadraticTheta();
    private static final float M = 1e-3f;

    private static GradientEstimator rge(String directions, String distribution) {
        return new RgeGradientEstimatorProvider().create(Settings.of("directions", directions, "distribution",
                distribution));
    }

    private static int sum(int[] a) {
        return Arrays.stream(a).sum();
    }

    /** The reference evaluator, counting and keeping every plan. */
    private static CountingQueryEvaluator recording(Objective objective) {
        return new CountingQueryEvaluator(new ReferenceQueryEvaluator(objective));
    }

    static Stream<Arguments> modes() {
        return Stream.of(Arguments.of("shared", "gaussian"), Arguments.of("shared", "sphere"),
                Arguments.of("per-point", "gaussian"), Arguments.of("per-point", "sphere"));
    }

    @ParameterizedTest
    @MethodSource("modes")
    void everyPlannedQueryIsOneObjectiveRowAndNothingButLossesIsAsked(String directions, String distribution) {
        assertThat(WeightPerturbationChecks.queriesReachTheObjectiveOnce(rge(directions, distribution)))
                .as("B clean + 1 per draw").isEqualTo(5 + 16);
    }

    @Test
    void sharedModeHasOneQueryPerDirectionAndTheCleanPassRidesWithThePilot() {
        CountingQueryEvaluator evaluator = recording(Fixtures.quadratic());
        EstimationStep step = rge("shared", "gaussian")
                .begin(new StepContext(evaluator, THETA, ROWS, SEED, 3));
        step.run(PILOT, true);
        step.run(REST, true);
        step.finish();

        assertThat(evaluator.weightPlans()).as("one plan per round").hasSize(2);
        List<WeightQuery> pilot = evaluator.weightPlans().get(0).queries();
        assertThat(pilot).hasSize(2);
        assertThat(pilot.get(0).scale()).as("clean").isZero();
        assertThat(pilot.get(0).rows()).containsExactly(ROWS);
        assertThat(pilot.get(1).direction()).isZero();
        assertThat(pilot.get(1).scale()).isEqualTo(M);
        assertThat(pilot.get(1).rows()).containsExactly(ROWS);

        WeightPlan rest = evaluator.weightPlans().get(1);
        assertThat(rest.queries()).as("max draws of the round, no second clean pass").hasSize(5);
        assertThat(rest.distribution()).isEqualTo(NoiseStream.Distribution.GAUSSIAN);
        for (int j = 1; j <= 5; j++) {
            List<Integer> expectedRows = new ArrayList<>();
            for (int i = 0; i < ROWS.length; i++) {
                if (PILOT[i] + REST[i] > j) {
                    expectedRows.add(ROWS[i]);
                }
            }
            WeightQuery q = rest.queries().get(j - 1);
            assertThat(q.direction()).isEqualTo(j);
            assertThat(q.scale()).isEqualTo(M);
            assertThat(q.rows()).containsExactly(expectedRows.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    @Test
    void sphereDirectionsScaleTheGaussianStreamToRadiusSqrtD() {
        CountingQueryEvaluator evaluator = recording(Fixtures.quadratic());
        EstimationStep step = rge("shared", "sphere")
                .begin(new StepContext(evaluator, THETA, ROWS, SEED, 3));
        step.run(PILOT, true);
        step.run(REST, true);
        for (WeightPlan plan : evaluator.weightPlans()) {
            for (WeightQuery q : plan.queries()) {
                if (q.scale() == 0f) {
                    continue;
                }
                float[] z = direction(3, q.direction());
                double norm = 0;
                for (float v : z) {
                    norm += (double) v * v;
                }
                // the perturbation scale * z has length m sqrt(d)
                assertThat(q.scale() * Math.sqrt(norm)).isCloseTo(M * Math.sqrt(D), within(1e-6 * M));
            }
        }
    }

    @Test
    void sharedModeContinuesEachPointsNumberingAcrossRounds() {
        CountingQueryEvaluator evaluator = recording(Fixtures.quadratic());
        int[] rows = {3, 5, 8};
        EstimationStep step = rge("shared", "gaussian")
                .begin(new StepContext(evaluator, THETA, rows, SEED, 0));
        step.run(new int[] {2, 0, 1}, true);
        step.run(new int[] {1, 2, 1}, true);

        // round 2: point 0 draws j=2, point 1 j=0,1, point 2 j=1
        List<WeightQuery> second = evaluator.weightPlans().get(1).queries();
        assertThat(second.stream().mapToInt(WeightQuery::direction).toArray()).containsExactly(0, 1, 2);
        assertThat(second.get(0).rows()).containsExactly(5);
        assertThat(second.get(1).rows()).containsExactly(5, 8);
        assertThat(second.get(2).rows()).containsExactly(3);
    }

    @Test
    void perPointModeUsesOneSingleRowQueryPerPointAndDrawInOnePlan() {
        CountingQueryEvaluator evaluator = recording(Fixtures.quadratic());
        EstimationStep step = rge("per-point", "gaussian")
                .begin(new StepContext(evaluator, THETA, ROWS, SEED, 3));
        step.run(PILOT, true);
        step.run(REST, true);

        assertThat(evaluator.weightPlans()).hasSize(2);
        List<WeightQuery> pilot = evaluator.weightPlans().get(0).queries();
        assertThat(pilot).hasSize(1 + ROWS.length);
        assertThat(pilot.get(0).scale()).isZero();
        assertThat(pilot.get(0).rows()).containsExactly(ROWS);
        List<WeightQuery> rest = evaluator.weightPlans().get(1).queries();
        assertThat(rest).hasSize(sum(REST));
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < ROWS.length; i++) {
            for (int j = PILOT[i]; j < PILOT[i] + REST[i]; j++) {
                expected.add(i * 65536 + j);
            }
        }
        assertThat(rest).allSatisfy(q -> assertThat(q.rows()).hasSize(1));
        assertThat(rest.stream().map(WeightQuery::direction).toList()).containsExactlyElementsOf(expected);
    }

    /**
     * The gradient of {@code estimate(directions, distribution, SEED, 5)} as the estimator computed it before its
     * bookkeeping moved to {@link org.forward4j.estimator.weights}: direction numbering, query order and assembly
     * are part of what a seed reproduces (docs/method.md §5), so a change must show here.
     */
    private static final Map<String, float[]> RECORDED = Map.of(
            "shared gaussian",
            new float[] {-0x1.27cc8ep0f, -0x1.66aefp-1f, 0x1.3dee2ap-1f, 0x1.e6bb54p-4f, -0x1.578cdp-2f,
                    -0x1.2e546cp-1f, -0x1.87d50cp-5f, -0x1.b98aaap-1f},
            "shared sphere",
            new float[] {-0x1.a5e528p0f, -0x1.1c3c6ap0f, 0x1.703acap-1f, 0x1.8d3918p-4f, -0x1.70c224p-2f,
                    -0x1.786d48p-1f, 0x1.7425fp-5f, -0x1.427b9ep0f},
            "per-point gaussian",
            new float[] {-0x1.0534p0f, -0x1.ca848ap-1f, 0x1.348498p-1f, 0x1.6ca3fep-1f, 0x1.6a77d2p0f, -0x1.2720bep0f,
                    -0x1.23b47p-5f, -0x1.7c2966p-3f},
            "per-point sphere",
            new float[] {-0x1.02e48ep0f, -0x1.186f22p0f, 0x1.6db4f6p-1f, 0x1.bc6d08p-2f, 0x1.df5678p-1f,
                    -0x1.0b2ab6p0f, -0x1.d39a6p-7f, -0x1.ecc65cp-2f});

    @ParameterizedTest
    @MethodSource("modes")
    void sameKeyGivesBitIdenticalGradientsAndAnotherKeyDoesNot(String directions, String distribution) {
        float[] a = estimate(directions, distribution, SEED, 5).gradient();
        float[] b = estimate(directions, distribution, SEED, 5).gradient();
        float[] otherStep = estimate(directions, distribution, SEED, 6).gradient();
        float[] otherSeed = estimate(directions, distribution, SEED + 1, 5).gradient();
        assertThat(a).as("seed %d", SEED).containsExactly(b);
        assertThat(a).as("seed %d, step 5: the recorded estimate", SEED)
                .containsExactly(RECORDED.get(directions + " " + distribution));
        assertThat(Arrays.equals(a, otherStep)).as("seed %d, step 5 vs 6", SEED).isFalse();
        assertThat(Arrays.equals(a, otherSeed)).as("seed %d vs %d", SEED, SEED + 1).isFalse();
    }

    private static GradientEstimate estimate(String directions, String distribution, long seed, int stepNumber) {
        EstimationStep step = rge(directions, distribution).begin(new StepContext(
                new ReferenceQueryEvaluator(Fixtures.smooth()), THETA, ROWS, seed,
                stepNumber));
        step.run(PILOT, true);
        step.run(REST, true);
        return step.finish();
    }

    @ParameterizedTest
    @MethodSource("modes")
    void anExcludedPilotIsCountedButLeftOutOfTheEstimate(String directions, String distribution) {
        AnalyticObjective objective = Fixtures.smooth();
        float[] theta = THETA;
        int stepNumber = 11;
        int[] rest = {2, 0, 1, 3, 1};
        EstimationStep step = rge(directions, distribution).begin(new StepContext(
                new ReferenceQueryEvaluator(objective), theta, ROWS, SEED, stepNumber));
        step.run(PILOT, false);
        double[] afterPilot = step.proxies();
        step.run(rest, true);
        GradientEstimate estimate = step.finish();

        // independent reference: recompute every p_ij by perturbing theta as the reference evaluator does
        boolean perPoint = directions.equals("per-point");
        boolean sphere = distribution.equals("sphere");
        double[] expected = new double[D];
        double[] expectedVariance = new double[ROWS.length];
        double[] expectedMeanLoss = new double[ROWS.length];
        for (int i = 0; i < ROWS.length; i++) {
            double clean = loss(objective, theta, ROWS[i]);
            assertThat(afterPilot[i]).as("proxy of point %d: its clean loss", i).isEqualTo(clean);
            int total = PILOT[i] + rest[i];
            for (int j = 0; j < total; j++) {
                int direction = perPoint ? i * 65536 + j : j;
                float[] z = direction(stepNumber, direction);
                double norm = 0;
                for (float v : z) {
                    norm += (double) v * v;
                }
                double factor = sphere ? Math.sqrt(D / norm) : 1.0;
                float scale = (float) (M * factor);
                float[] perturbed = new float[D];
                for (int k = 0; k < D; k++) {
                    perturbed[k] = theta[k] + scale * z[k];
                }
                double lossJ = loss(objective, perturbed, ROWS[i]);
                double p = (lossJ - clean) / M;
                expectedMeanLoss[i] += lossJ / total;
                if (j == 0) {
                    continue;
                }
                expectedVariance[i] += D * p * p / rest[i];
                for (int k = 0; k < D; k++) {
                    expected[k] += p * factor * z[k] / rest[i] / ROWS.length;
                }
            }
        }
        double scale = Arrays.stream(expected).map(Math::abs).max().orElseThrow();
        for (int k = 0; k < D; k++) {
            assertThat((double) estimate.gradient()[k]).as("seed %d, coordinate %d", SEED, k)
                    .isCloseTo(expected[k], within(1e-5 * scale));
        }
        assertThat(estimate.draws()).containsExactly(rest);
        assertThat(estimate.queries()).as("clean and pilot queries are spent and counted")
                .isEqualTo(5L + 5 + sum(rest));
        assertThat(estimate.perDrawVariance()[1]).as("no included draw").isZero();
        for (int i = 0; i < ROWS.length; i++) {
            assertThat(estimate.perDrawVariance()[i]).isCloseTo(expectedVariance[i],
                    within(1e-9 * (1 + expectedVariance[i])));
            assertThat(estimate.meanLoss()[i]).isCloseTo(expectedMeanLoss[i], within(1e-12));
        }

        EstimationStep included = rge(directions, distribution).begin(new StepContext(
                new ReferenceQueryEvaluator(objective), theta, ROWS, SEED, stepNumber));
        included.run(PILOT, true);
        included.run(rest, true);
        assertThat(Arrays.equals(included.finish().gradient(), estimate.gradient())).isFalse();
    }

    private static double loss(Objective objective, float[] params, int row) {
        double[] out = new double[1];
        objective.losses(params, new int[] {row}, out);
        return out[0];
    }

    private static float[] direction(int stepNumber, int direction) {
        float[] z = new float[D];
        new NoiseStream(SEED, stepNumber, direction, 0).fill(NoiseStream.Distribution.GAUSSIAN, z, 0, D, 0);
        return z;
    }

    @Test
    void theCleanPassRunsOnceEvenWhenTheFirstRoundHasNoDraws() {
        AnalyticObjective objective = Fixtures.quadratic();
        CountingQueryEvaluator evaluator = recording(objective);
        float[] theta = THETA;
        EstimationStep step = rge("shared", "gaussian").begin(new StepContext(evaluator, theta, ROWS, SEED, 0));
        assertThat(step.proxies()).hasSize(ROWS.length).containsOnly(Double.NaN);
        step.run(new int[ROWS.length], true);
        assertThat(evaluator.weightPlans()).hasSize(1);
        assertThat(evaluator.weightPlans().get(0).queries()).hasSize(1);
        for (int i = 0; i < ROWS.length; i++) {
            assertThat(step.proxies()[i]).isEqualTo(loss(objective, theta, ROWS[i]));
        }
        step.run(new int[ROWS.length], true);
        assertThat(evaluator.weightPlans()).as("nothing left to run").hasSize(1);
        step.run(PILOT, true);
        assertThat(evaluator.weightPlans().get(1).queries()).as("no second clean pass").hasSize(1);
        GradientEstimate estimate = step.finish();
        assertThat(estimate.queries()).isEqualTo(2L * ROWS.length);
    }

    @Test
    void anEstimateWithoutDrawsIsZeroWithNaNMeanLosses() {
        EstimationStep step = rge("per-point", "gaussian").begin(new StepContext(
                new ReferenceQueryEvaluator(Fixtures.quadratic()), THETA, ROWS, SEED,
                0));
        step.run(new int[ROWS.length], true);
        GradientEstimate estimate = step.finish();
        assertThat(estimate.queries()).isEqualTo(ROWS.length);
        assertThat(estimate.gradient()).hasSize(D).containsOnly(0f);
        assertThat(estimate.perDrawVariance()).containsOnly(0.0);
        assertThat(estimate.meanLoss()).containsOnly(Double.NaN);
    }

    @Test
    void malformedDrawsAreRejectedWithTheReason() {
        WeightPerturbationChecks.malformedDrawsAreRejected(rge("shared", "gaussian"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gaussian", "sphere"})
    void perPointDirectionNumbersMustStayUnique(String distribution) {
        assertThat(WeightPerturbationChecks.perPointLimitsAreEnforced(rge("per-point", distribution), "rge")
                .queries()).isEqualTo(1L + 65536);
    }

    @Test
    void parametersMustMatchTheObjective() {
        WeightPerturbationChecks.mismatchedParametersAreRejected(rge("shared", "gaussian"));
    }

    @Test
    void anEvaluatorReturningTheWrongShapeBreaksItsContract() {
        WeightPerturbationChecks.wrongAnswersAreTheEvaluatorsFault(rge("shared", "gaussian"),
                plan -> new double[][] {new double[5], new double[4]},
                "Query evaluator broken returned 2 loss arrays for a weight plan of 2 queries (10 rows); it must "
                        + "return one loss per row of every query");
    }
}
