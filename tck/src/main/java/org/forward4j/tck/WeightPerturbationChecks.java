package org.forward4j.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.function.Function;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.CountingQueryEvaluator;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.PluginContractException;

/**
 * Checks of an estimator built on {@link org.forward4j.estimator.weights.DirectionDraws} (docs/method.md §2: SPSA, RGE
 * and other weight-perturbation estimators): its queries reach the objective exactly once each, and it hands its
 * steps to {@code DirectionDraws} with its own name, so that bad requests, exhausted direction numbers, mismatched
 * parameters and broken evaluators fail with the documented exception and a message that names the estimator and
 * the cure. Call them from the plugin's own tests; each runs on {@link Fixtures#quadratic()} with a batch of five of its rows (so a
 * query over the batch has 5 rows) and fails with an {@link AssertionError} that shows the difference.
 */
public final class WeightPerturbationChecks {

    /** The batch of the checks: five rows of {@link Fixtures#quadratic()}. */
    private static final int[] ROWS = {7, 2, 9, 0, 4};

    private static final long SEED = 42;

    private WeightPerturbationChecks() {
    }

    private static EstimationStep begin(GradientEstimator estimator, QueryEvaluator evaluator) {
        return estimator.begin(new StepContext(evaluator, Fixtures.quadraticTheta(), ROWS.clone(), SEED, 0));
    }

    /**
     * Every planned query is one row the objective evaluates, and nothing but losses (and the dimension or size) is
     * asked of it (docs/method.md §1): over a pilot of one draw per point and an uneven second round, on the quadratic
     * behind a {@link CountingObjective}, the objective's rows, the evaluator's count and the estimate's
     * {@link GradientEstimate#queries()} all equal {@link org.forward4j.estimator.EstimatorCost#queries(int, long)}
     * of the draws, no activation plan runs, and the estimate reports every draw as included.
     *
     * @param estimator the estimator, in any mode
     * @return the query count, for the caller to compare with its own cost formula
     */
    public static long queriesReachTheObjectiveOnce(GradientEstimator estimator) {
        CountingObjective counting = new CountingObjective(Fixtures.quadratic());
        CountingQueryEvaluator evaluator = new CountingQueryEvaluator(new ReferenceQueryEvaluator(
                counting.objective()));
        EstimationStep step = estimator.begin(new StepContext(evaluator, Fixtures.quadraticTheta(), ROWS.clone(),
                SEED, 3));
        step.run(new int[] {1, 1, 1, 1, 1}, true);
        step.run(new int[] {0, 3, 1, 5, 2}, true);
        GradientEstimate estimate = step.finish();

        long expected = estimator.cost().queries(ROWS.length, 5 + 11);
        assertThat(counting.rows()).as("rows the objective evaluated").isEqualTo(expected);
        assertThat(estimate.queries()).as("queries the estimator reports").isEqualTo(expected);
        assertThat(evaluator.queries()).as("rows of the evaluated plans").isEqualTo(expected);
        assertThat(counting.methods()).as("methods called on the objective").contains("losses")
                .isSubsetOf("losses", "dimension", "size");
        assertThat(evaluator.activationPlans()).as("activation plans of a weight-perturbation estimator").isEmpty();
        assertThat(estimate.draws()).as("included draws").containsExactly(1, 4, 2, 6, 3);
        return expected;
    }

    /**
     * Draw requests of the wrong length, null or with a negative entry are rejected with an
     * {@link IllegalArgumentException} saying what was wrong, and a finished step refuses further rounds and a
     * second {@code finish} with an {@link IllegalStateException}.
     *
     * @param estimator the estimator, in any mode
     */
    public static void malformedDrawsAreRejected(GradientEstimator estimator) {
        EstimationStep step = begin(estimator, new ReferenceQueryEvaluator(Fixtures.quadratic()));
        assertThatThrownBy(() -> step.run(new int[] {1, 1, 1, 1}, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("draws must have one entry per batch point (5), got 4 entries");
        assertThatThrownBy(() -> step.run(null, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("draws must have one entry per batch point (5), got null");
        assertThatThrownBy(() -> step.run(new int[] {1, 1, -1, 1, 1}, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("draws must be >= 0, got -1 for point 2 in [1, 1, -1, 1, 1]");
        step.finish();
        assertThatThrownBy(() -> step.run(new int[] {1, 1, 1, 1, 1}, true))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already finished");
        assertThatThrownBy(step::finish)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already finished");
    }

    /**
     * Per-point direction numbers {@code i * 65536 + j} stay unique: a batch of 32768 points is refused by
     * {@code begin}, and a point may make 65536 draws in a step but not one more, each time with an
     * {@link InvalidConfigurationException} that points to {@code directions=shared}.
     *
     * @param perPoint the estimator created with {@code directions=per-point}
     * @param name its provider name, as the messages quote it
     * @return the estimate of the step that made 65536 draws on one point (over the 2-parameter, 1-row
     *     {@code Fixtures.quadratic(2, 1)}), for the caller to check its query count
     */
    public static GradientEstimate perPointLimitsAreEnforced(GradientEstimator perPoint, String name) {
        QueryEvaluator evaluator = new ReferenceQueryEvaluator(Fixtures.quadratic(2, 1));
        assertThatThrownBy(() -> perPoint.begin(new StepContext(evaluator, new float[2], new int[32768], SEED, 0)))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("at most 32767 points, got 32768")
                .hasMessageContaining("use directions=shared");

        EstimationStep step = perPoint.begin(new StepContext(evaluator, new float[2], new int[1], SEED, 0));
        step.run(new int[] {65535}, true);
        step.run(new int[] {1}, true);
        assertThatThrownBy(() -> step.run(new int[] {1}, true))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("estimator '" + name + "' with directions=per-point allows at most 65536 draws per "
                        + "point and step, but point 0 would reach 65537; lower the query budget or A_max, or use "
                        + "directions=shared");
        return step.finish();
    }

    /**
     * Parameters of another length than the objective's dimension are refused by {@code begin} with an
     * {@link IllegalArgumentException} giving both.
     *
     * @param estimator the estimator, in any mode
     */
    public static void mismatchedParametersAreRejected(GradientEstimator estimator) {
        assertThatThrownBy(() -> estimator.begin(new StepContext(new ReferenceQueryEvaluator(Fixtures.quadratic()),
                new float[3], ROWS.clone(), SEED, 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("theta has 3 values but the objective has dimension 8");
    }

    /**
     * An evaluator that answers a weight plan with losses of the wrong shape is reported as breaking its
     * contract, with a {@link PluginContractException}, when the first round (one draw per point) runs.
     *
     * @param estimator the estimator, in any mode
     * @param answer what the evaluator, called {@code broken}, returns for a plan
     * @param message the expected message
     */
    public static void wrongAnswersAreTheEvaluatorsFault(GradientEstimator estimator,
                                                         Function<WeightPlan, double[][]> answer, String message) {
        Objective objective = Fixtures.quadratic();
        QueryEvaluator broken = new QueryEvaluator() {
            @Override
            public Objective objective() {
                return objective;
            }

            @Override
            public double[][] evaluate(float[] theta, WeightPlan plan) {
                return answer.apply(plan);
            }


            @Override
            public ActivationPass evaluate(float[] theta, ActivationPlan plan) {
                throw new AssertionError("a weight-perturbation estimator ran an activation plan");
            }

            @Override
            public String toString() {
                return "broken";
            }
        };
        EstimationStep step = begin(estimator, broken);
        assertThatThrownBy(() -> step.run(new int[] {1, 1, 1, 1, 1}, true))
                .isInstanceOf(PluginContractException.class)
                .hasMessage(message);
    }

    /**
     * Ending a step with {@code finish(counts, true)}, which lets the estimator add each direction's term while the
     * backend holds the direction, gives the estimate of {@code run(counts, true)} then {@code finish()}: bit for
     * bit without a pilot round (the same sums added in the same order), to float rounding after one (the pilot's
     * directions are then added after the last round's instead of before). Draws, per-draw variances, mean losses
     * and query counts are identical either way, and a finished step refuses more rounds. An estimate that reports
     * {@link org.forward4j.estimator.DirectionTerms} (optional) must rebuild its gradient from them bit for bit,
     * either way. Three steps on
     * {@link Fixtures#tanhNetwork()} with the reference evaluator and uneven draws per point.
     *
     * @param estimators makes a fresh estimator in the mode under test (two are compared)
     * @param pilot draws per point in a pilot round before the last one (0 for none)
     * @param includePilot whether the pilot enters the estimate
     */
    public static void lastRoundEqualsRunThenFinish(java.util.function.Supplier<GradientEstimator> estimators,
            int pilot, boolean includePilot) {
        int[] rows = Fixtures.tanhNetworkRows();
        int[] rest = new int[rows.length];
        for (int i = 0; i < rest.length; i++) {
            rest[i] = 1 + (i * 7) % 4;
        }
        GradientEstimator oneCall = estimators.get();
        GradientEstimator twoCalls = estimators.get();
        for (int step = 0; step < 3; step++) {
            CountingQueryEvaluator oneEval = new CountingQueryEvaluator(
                    new ReferenceQueryEvaluator(Fixtures.tanhNetwork()));
            CountingQueryEvaluator twoEval = new CountingQueryEvaluator(
                    new ReferenceQueryEvaluator(Fixtures.tanhNetwork()));
            EstimationStep a = twoCalls.begin(new StepContext(twoEval, Fixtures.tanhNetworkTheta(), rows, 5, step));
            EstimationStep b = oneCall.begin(new StepContext(oneEval, Fixtures.tanhNetworkTheta(), rows, 5, step));
            if (pilot > 0) {
                int[] p = new int[rows.length];
                java.util.Arrays.fill(p, pilot);
                a.run(p.clone(), includePilot);
                b.run(p.clone(), includePilot);
            }
            a.run(rest.clone(), true);
            GradientEstimate want = a.finish();
            GradientEstimate got = b.runLastRoundAndFinish(rest.clone());
            assertThatThrownBy(() -> b.run(rest.clone(), true)).as("a round after finish(counts, include)")
                    .isInstanceOf(IllegalStateException.class);
            String what = oneCall + ", pilot " + pilot + ", step " + step;
            if (pilot == 0) {
                assertThat(got.gradient()).as("gradient, %s", what).containsExactly(want.gradient());
            } else {
                assertThat(Vectors.relativeDistance(got.gradient(), want.gradient())).as("gradient, %s", what)
                        .isLessThanOrEqualTo(1e-6);
            }
            for (GradientEstimate e : List.of(got, want)) {
                if (e.terms() != null) { // optional; when given, the terms must rebuild the gradient bit for bit
                    float[] replayed = new float[e.gradient().length];
                    e.terms().addTo(replayed);
                    assertThat(replayed).as("gradient replayed from its DirectionTerms, %s", what)
                            .containsExactly(e.gradient());
                }
            }
            assertThat(got.draws()).as("draws, %s", what).containsExactly(want.draws());
            assertThat(got.perDrawVariance()).as("variances, %s", what).containsExactly(want.perDrawVariance());
            assertThat(got.meanLoss()).as("mean losses, %s", what).containsExactly(want.meanLoss());
            assertThat(got.queries()).as("queries, %s", what).isEqualTo(want.queries())
                    .isEqualTo(oneEval.queries()).isEqualTo(twoEval.queries());
        }
    }

    /**
     * The batch estimate is unbiased: the mean of {@code samples} seeded estimates on the quadratic batch of these
     * checks (a pilot round of one draw per point, then an uneven allocation, as the engine runs a step) lies
     * within 4 standard errors of {@code objective}'s analytic batch gradient, and 4 standard errors are below 10%
     * of its norm, so the bound could catch a real bias.
     *
     * @param estimator the estimator in the mode under test
     * @param objective {@link Fixtures#quadratic()} or {@link Fixtures#smooth()}
     * @param seed the seed of the samples (printed on failure)
     * @param samples how many estimates
     * @param what names the configuration in failure messages, the seed included
     */
    public static void meanIsTheAnalyticGradient(GradientEstimator estimator, AnalyticObjective objective, long seed,
            int samples, String what) {
        int[] rows = Fixtures.quadraticRows();
        float[] theta = Fixtures.quadraticTheta();
        double[] truth = objective.batchGradient(theta, rows);
        GradientSamples s = GradientSamples.draw(estimator, new ReferenceQueryEvaluator(objective), theta, rows, seed,
                samples, new int[] {1, 1, 1, 1, 1, 1}, new int[] {0, 2, 1, 3, 0, 1});
        s.assertMeanWithin(truth, 4.0, what);
        s.assertResolves(truth, 4.0, 0.1, what);
    }

    /**
     * The variance of the batch estimate falls as 1/draws: on {@link Fixtures#quadratic()} the trace of Cov(g) with
     * one draw per point is 4 times the one with four (independent seeded samples, seeds {@code seed} and
     * {@code seed + 1}), within 4 standard errors of the ratio (delta method), and those 4 standard errors are
     * below 1, so 1/A is told apart from 1/sqrt(A).
     *
     * @param estimator the estimator in the mode under test
     * @param seed the first seed (printed on failure)
     * @param samples estimates per trace
     * @param what names the configuration in failure messages, the seed included
     */
    public static void varianceFallsAsOneOverDraws(GradientEstimator estimator, long seed, int samples, String what) {
        int[] rows = Fixtures.quadraticRows();
        ReferenceQueryEvaluator evaluator = new ReferenceQueryEvaluator(Fixtures.quadratic());
        float[] theta = Fixtures.quadraticTheta();
        int[] one = new int[rows.length];
        int[] four = new int[rows.length];
        java.util.Arrays.fill(one, 1);
        java.util.Arrays.fill(four, 4);
        double[] r = GradientSamples.varianceRatio(
                GradientSamples.draw(estimator, evaluator, theta, rows, seed, samples, one),
                GradientSamples.draw(estimator, evaluator, theta, rows, seed + 1, samples, four));
        double ratio = r[0];
        double se = r[1];
        assertThat(ratio).as("%s: Var(1 draw) / Var(4 draws) = %.3f (SE %.3f)", what, ratio, se)
                .isBetween(4 - 4 * se, 4 + 4 * se);
        assertThat(4 * se).as("%s: resolving power", what).isLessThan(1.0);
    }
}
