package org.forward4j.estimator.lr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ServiceLoader;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.CountingQueryEvaluator;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.spi.EstimatorCapability;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.Settings;
import org.forward4j.plugin.UnsupportedCapabilityException;
import org.junit.jupiter.api.Test;

/** Query accounting, plan layout, errors and settings of the {@code lr} estimator. */
class LrGradientEstimatorTest {

    static final long SEED = 99L;

    @Test
    void countsEveryPlannedRowWithOnePlanPerRoundAndNoWeightQueries() {
        for (boolean antithetic : new boolean[] {true, false}) {
            GradientEstimator est = Fixtures.estimator("antithetic", Boolean.toString(antithetic));
            CountingQueryEvaluator eval = new CountingQueryEvaluator(Fixtures.reference());
            int[] rows = {4, 0, 2};
            EstimationStep step = est.begin(new StepContext(eval, Fixtures.theta(), rows, SEED, 7));
            step.run(new int[] {1, 1, 1}, false);
            int[] more = {2, 0, 5};
            step.run(more, true);
            step.run(new int[] {0, 0, 0}, true);
            GradientEstimate e = step.finish();

            int perDraw = antithetic ? 2 : 1;
            assertThat(est.cost()).isEqualTo(new EstimatorCost(perDraw, 0));
            long expected = est.cost().queries(rows.length, 3 + 7);
            assertThat(eval.activationPlans()).as("one plan per non-empty round").hasSize(2);
            assertThat(eval.queries()).isEqualTo(expected).isEqualTo(e.queries()).isEqualTo(10L * perDraw);
            assertThat(eval.openPasses()).as("every pass closed by finish").isZero();
            assertThat(eval.weightPlans()).as("no weight queries").isEmpty();
            assertThat(e.draws()).as("the pilot was left out").containsExactly(2, 0, 5);
            assertThat(e.gradient()).hasSize(Fixtures.D);

            // pilot = draw 0 of every point; the next round continues at draw 1; a pair shares its stream
            ActivationPlan pilot = eval.activationPlans().get(0);
            ActivationPlan rest = eval.activationPlans().get(1);
            assertThat(pilot.sigma()).isEqualTo(0.01f);
            assertThat(pilot.seed()).isEqualTo(SEED);
            assertThat(pilot.step()).isEqualTo(7);
            int[] pilotStreams = antithetic ? new int[] {0, 0, 65536, 65536, 131072, 131072}
                    : new int[] {0, 65536, 131072};
            assertThat(pilot.streams()).containsExactly(pilotStreams);
            int[] restStreams = antithetic
                    ? new int[] {1, 1, 2, 2, 131073, 131073, 131074, 131074, 131075, 131075, 131076, 131076,
                        131077, 131077}
                    : new int[] {1, 2, 131073, 131074, 131075, 131076, 131077};
            assertThat(rest.streams()).containsExactly(restStreams);
            int[] restRows = antithetic ? new int[] {4, 4, 4, 4, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}
                    : new int[] {4, 4, 2, 2, 2, 2, 2};
            assertThat(rest.rows()).containsExactly(restRows);
            for (int r = 0; r < rest.size(); r++) {
                assertThat(rest.negate()[r]).as("row %d", r).isEqualTo(antithetic && r % 2 == 1);
            }

            // proxies and meanLoss: the mean perturbed loss of each point's queries so far
            double[] pilotLosses = new ReferenceQueryEvaluator(Fixtures.OBJECTIVE).evaluate(Fixtures.theta(), pilot)
                    .losses();
            double[] restLosses = new ReferenceQueryEvaluator(Fixtures.OBJECTIVE).evaluate(Fixtures.theta(), rest)
                    .losses();
            double point1 = antithetic ? (pilotLosses[2] + pilotLosses[3]) / 2 : pilotLosses[1];
            assertThat(e.meanLoss()[1]).isCloseTo(point1, org.assertj.core.data.Offset.offset(1e-12));
            double sum0 = 0;
            for (int r = 0; r < perDraw; r++) {
                sum0 += pilotLosses[r];
            }
            for (int r = 0; r < 2 * perDraw; r++) {
                sum0 += restLosses[r];
            }
            assertThat(e.meanLoss()[0]).isCloseTo(sum0 / (3 * perDraw), org.assertj.core.data.Offset.offset(1e-12));
            for (double v : e.perDrawVariance()) {
                assertThat(v).isFinite().isGreaterThanOrEqualTo(0);
            }
            assertThat(est.independentPerPoint()).isTrue();
        }
    }

    @Test
    void proxiesAreTheMeanPerturbedLossSoFar() {
        GradientEstimator est = Fixtures.estimator();
        CountingQueryEvaluator eval = new CountingQueryEvaluator(Fixtures.reference());
        EstimationStep step = est.begin(new StepContext(eval, Fixtures.theta(), new int[] {1, 3}, SEED, 0));
        assertThat(step.proxies()).containsExactly(Double.NaN, Double.NaN);
        step.run(new int[] {1, 0}, true);
        double[] losses = new ReferenceQueryEvaluator(Fixtures.OBJECTIVE).evaluate(Fixtures.theta(),
                eval.activationPlans().get(0)).losses();
        assertThat(step.proxies()[0]).isCloseTo((losses[0] + losses[1]) / 2,
                org.assertj.core.data.Offset.offset(1e-12));
        assertThat(step.proxies()[1]).isNaN();
        step.finish();
    }

    @Test
    void sameKeySameEstimateAndOtherStepOtherEstimate() {
        GradientEstimator est = Fixtures.estimator();
        float[] a = Fixtures.step(est, Fixtures.reference(), Fixtures.theta(), new int[] {0, 2}, SEED, 3, 1, true, 2)
                .gradient();
        float[] b = Fixtures.step(est, Fixtures.reference(), Fixtures.theta(), new int[] {0, 2}, SEED, 3, 1, true, 2)
                .gradient();
        float[] c = Fixtures.step(est, Fixtures.reference(), Fixtures.theta(), new int[] {0, 2}, SEED, 4, 1, true, 2)
                .gradient();
        assertThat(b).containsExactly(a);
        assertThat(c).isNotEqualTo(a);
    }

    @Test
    void blackBoxObjectiveIsRejectedWithAHint() {
        GradientEstimator est = Fixtures.estimator();
        ReferenceQueryEvaluator eval = new ReferenceQueryEvaluator(Fixtures.blackBox());
        assertThatThrownBy(() -> est.begin(new StepContext(eval, new float[3], new int[] {0, 1}, SEED, 0)))
                .isInstanceOf(UnsupportedCapabilityException.class)
                .hasMessage("Estimator 'lr' needs a native network objective (activation noise); quadratic black box "
                        + "is a black box. Use spsa or rge, or train a built-in model.");
    }

    @Test
    void rejectsMisuseOfAStep() {
        GradientEstimator est = Fixtures.estimator();
        EstimationStep step = est.begin(new StepContext(Fixtures.reference(), Fixtures.theta(), new int[] {0, 1},
                SEED, 0));
        assertThatThrownBy(() -> step.run(new int[] {1}, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("draws has 1 entries for a batch of 2");
        assertThatThrownBy(() -> step.run(new int[] {1, -1}, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("negative draw count -1 for point 1");
        step.run(new int[] {65535, 0}, false);
        assertThatThrownBy(() -> step.run(new int[] {2, 0}, true))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Estimator 'lr' gives a point at most 65536 draws per step, but point 0 would get 65537; "
                        + "lower the query budget or the allocator's maximum draws per point");
        GradientEstimate e = step.finish();
        assertThat(e.draws()).containsExactly(0, 0);
        assertThat(e.gradient()).containsOnly(0f);
        assertThatThrownBy(step::finish).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> step.run(new int[] {1, 1}, true)).isInstanceOf(IllegalStateException.class);

        assertThatThrownBy(() -> est.begin(new StepContext(Fixtures.reference(), Fixtures.theta(), new int[32768],
                SEED, 0))).isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Estimator 'lr' numbers its noise streams point * 65536 + draw, so a batch may have at "
                        + "most 32767 points, got 32768; lower the batch size");
    }

    @Test
    void aFailingEvaluationClosesTheEarlierPasses() {
        GradientEstimator est = Fixtures.estimator();
        CountingQueryEvaluator counting = new CountingQueryEvaluator(Fixtures.reference());
        QueryEvaluator eval = new QueryEvaluator() {
            @Override
            public Objective objective() {
                return counting.objective();
            }

            @Override
            public double[][] evaluate(float[] theta, WeightPlan plan) {
                return counting.evaluate(theta, plan);
            }


            @Override
            public ActivationPass evaluate(float[] theta, ActivationPlan plan) {
                if (!counting.activationPlans().isEmpty()) {
                    throw new IllegalStateException("device lost");
                }
                return counting.evaluate(theta, plan);
            }
        };
        EstimationStep step = est.begin(new StepContext(eval, Fixtures.theta(), new int[] {0, 1}, SEED, 0));
        step.run(new int[] {1, 1}, true);
        assertThatThrownBy(() -> step.run(new int[] {1, 1}, true)).hasMessage("device lost");
        assertThat(counting.openPasses()).as("the first round's pass was closed").isZero();
        assertThat(counting.activationPlans()).hasSize(1);
    }

    @Test
    void settingsAreValidatedTogether() {
        LrGradientEstimatorProvider provider = new LrGradientEstimatorProvider();
        assertThatThrownBy(() -> provider.create(Settings.of("sigma", "0", "antithetic", "maybe", "baseline", "mean",
                "learn-sigma", "yes", "sigma-lr", "2", "sigmaa", "0.1")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Invalid settings for estimator 'lr': sigma=0 is out of range; use a number in [1.0E-5, "
                        + "10.0]; antithetic=maybe is not a boolean; use true or false; baseline=mean is not one of "
                        + "[none, loo]; learn-sigma=yes is not a boolean; use true or false; sigma-lr=2 is out of "
                        + "range; use a number in [0.0, 1.0]; unknown setting 'sigmaa' (did you mean 'sigma'?); known settings are [sigma, "
                        + "antithetic, baseline, learn-sigma, sigma-lr]");
        assertThatThrownBy(() -> provider.create(Settings.of("sigma", "abc")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Invalid settings for estimator 'lr': sigma=abc is not a number; use a number in "
                        + "[1.0E-5, 10.0]");
        GradientEstimator single = provider.create(Settings.of("sigma", "0.2", "antithetic", "false", "baseline",
                "none", "learn-sigma", "true", "sigma-lr", "0.5"));
        assertThat(single.cost()).isEqualTo(new EstimatorCost(1, 0));
        assertThat(single.saveState().get("log-sigma")[0]).isCloseTo(Math.log(0.2),
                org.assertj.core.data.Offset.offset(1e-12));
        assertThat(provider.create(Settings.empty()).cost()).isEqualTo(new EstimatorCost(2, 0));
    }

    @Test
    void providerIsDiscoverable() {
        GradientEstimatorProvider found = ServiceLoader.load(GradientEstimatorProvider.class).stream()
                .map(ServiceLoader.Provider::get).filter(p -> p.name().equals("lr")).findFirst().orElseThrow();
        assertThat(found).isInstanceOf(LrGradientEstimatorProvider.class);
        assertThat(found.spiVersion()).isEqualTo(GradientEstimatorProvider.SPI_VERSION);
        assertThat(found.capabilities()).containsExactly(EstimatorCapability.ACTIVATION_NOISE);
        assertThat(found.description()).isNotBlank();
    }
}
