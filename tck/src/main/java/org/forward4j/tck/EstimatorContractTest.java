package org.forward4j.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.Arrays;
import org.forward4j.estimator.CountingQueryEvaluator;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.spi.EstimatorCapability;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.plugin.Settings;
import org.forward4j.plugin.UnsupportedCapabilityException;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link GradientEstimatorProvider} and its {@link GradientEstimator} must honour (docs/method.md §1,
 * §2, §4). A plugin proves itself with a three-line subclass in its tests:
 *
 * <pre>{@code
 * class MyEstimatorContractTest extends EstimatorContractTest {
 *     @Override protected GradientEstimatorProvider provider() { return new MyEstimatorProvider(); }
 * }
 * }</pre>
 *
 * <p>Checked: registration and discovery, name, SPI version and settings validation; exact query accounting
 * (every query goes through the {@link org.forward4j.estimator.QueryEvaluator}, the count matches
 * {@link GradientEstimate#queries()} and the cost model, and the objective is never called behind the evaluator's
 * back, which also rules out any backward pass: the objective exposes losses only); the shape of the estimate;
 * unbiasedness (the mean of many seeded estimates lies within {@value #STANDARD_ERRORS} standard errors, plus
 * 0.1% of the gradient's norm for float32 rounding, of the exact gradient in every coordinate); determinism for a seed; and capabilities: an estimator that does not
 * declare {@link GradientEstimatorProvider#ACTIVATION_NOISE} must work on a pure black box, one that declares it
 * must refuse a black box with {@link UnsupportedCapabilityException}.
 *
 * <p>Fixtures: black-box estimators run on {@link Fixtures#quadratic()} hidden behind
 * {@link Fixtures#blackBox(Objective)} (and, for accounting, also on {@link Fixtures#tanhNetwork()}, since a
 * black-box estimator trains native models too); activation-noise estimators run on {@link Fixtures#tanhNetwork()}.
 * Every step follows the engine's shape (docs/method.md §4): a pilot round of one draw per point, then an uneven
 * allocation of the rest.
 *
 * <p>Activation-noise estimators estimate the gradient of a smoothed loss, which differs from the exact gradient
 * by O(s^2) in the noise scale s; {@link #settings()} must choose s small enough that this shift is well below
 * the resolution of the unbiasedness check (the built-in {@code lr} passes with its default s = 0.01).
 */
public abstract class EstimatorContractTest {

    /** The bound of the unbiasedness check, in standard errors of the mean of the seeded estimates. */
    public static final double STANDARD_ERRORS = 5.0;

    /**
     * Allowance for float32 arithmetic, relative to the gradient's norm, added to the unbiasedness bound: a
     * deterministic or nearly noiseless estimator still rounds its finite differences.
     */
    private static final double ROUNDING = 1e-3;

    /** Pilot round: one draw per point (docs/method.md §4). */
    private static final int[] PILOT = {1, 1, 1, 1, 1, 1};
    /** The allocated rest: uneven, with points that get nothing more. */
    private static final int[] REST = {0, 2, 1, 3, 0, 1};
    /** A third round, as a two-stage allocation might run. */
    private static final int[] EXTRA = {1, 0, 0, 0, 2, 0};
    /** The rest when the pilot is left out of the estimate: every point gets at least one included draw. */
    private static final int[] REST_AFTER_EXCLUDED_PILOT = {1, 2, 1, 3, 1, 1};

    /** Creates the test. */
    protected EstimatorContractTest() {
    }

    /**
     * The provider under test, freshly constructed (as ServiceLoader would).
     *
     * @return the provider
     */
    protected abstract GradientEstimatorProvider provider();

    /**
     * The settings the estimator is created with in every check (default: none, so the defaults are tested).
     * Override to test a non-default mode, or to pick a perturbation scale that suits the fixtures.
     *
     * @return the estimator's own settings, keys without the {@code forward4j.estimator.} prefix
     */
    protected Settings settings() {
        return Settings.empty();
    }

    /**
     * The seed of every check; failures print it.
     *
     * @return the seed
     */
    protected long seed() {
        return 20250101L;
    }

    /**
     * How many seeded estimates the unbiasedness check averages. The default suits estimators whose variance is
     * within a small factor of SPSA's; a noisier estimator needs more (the check fails with a message saying so
     * when its resolution is too coarse to catch a bias).
     *
     * @return the number of estimates (steps 0 .. n-1 of {@link #seed()})
     */
    protected int unbiasednessSteps() {
        return 6000;
    }

    private boolean activationNoise() {
        return provider().capabilities().contains(EstimatorCapability.ACTIVATION_NOISE);
    }

    /** The fixture of this estimator: a pure black box, or the tanh network for activation-noise estimators. */
    private Objective fixture() {
        return activationNoise() ? Fixtures.tanhNetwork() : Fixtures.blackBox(Fixtures.quadratic());
    }

    private float[] fixtureTheta() {
        return activationNoise() ? Fixtures.tanhNetworkTheta() : Fixtures.quadraticTheta();
    }

    private int[] fixtureRows() {
        return activationNoise() ? Fixtures.tanhNetworkRows() : Fixtures.quadraticRows();
    }

    private String what() {
        return "estimator '" + provider().name() + "' with " + settings() + ", seed " + seed();
    }

    /** The provider is listed in {@code META-INF/services} and ServiceLoader finds it under its name. */
    @Test
    public void registeredInMetaInfServicesAndDiscoveredByName() {
        ProviderChecks.discoverable(GradientEstimatorProvider.class, provider());
    }

    /** The name is lower-case kebab case and the SPI version is {@link GradientEstimatorProvider#SPI_VERSION}. */
    @Test
    public void nameIsKebabCaseAndSpiVersionMatches() {
        ProviderChecks.nameAndVersion(provider(), GradientEstimatorProvider.SPI_VERSION);
    }

    /** {@code create} builds new instances and rejects an unknown setting, naming the key. */
    @Test
    public void settingsAreValidatedAndUnknownKeysRejected() {
        ProviderChecks.validatesSettings(provider(), settings());
    }

    /**
     * Every query goes through the evaluator and is counted: the evaluator's count, the estimate's
     * {@link GradientEstimate#queries()} and {@link EstimatorCost#queries(int, long)} of all draws run agree
     * exactly, with the pilot in and out of the estimate; the objective is never called directly; the parameters
     * are not modified; and the estimate has the documented shape (one gradient entry per parameter, all finite;
     * per point the included draws, a finite non-negative variance and a finite mean loss; finite proxies after
     * the pilot).
     */
    @Test
    public void everyQueryIsCountedAndMatchesTheCostModel() {
        checkAccounting(fixture(), fixtureTheta(), fixtureRows());
        if (!activationNoise()) {
            // a black-box estimator trains native models too, through weight plans
            checkAccounting(Fixtures.tanhNetwork(), Fixtures.tanhNetworkTheta(), Fixtures.tanhNetworkRows());
        }
    }

    private void checkAccounting(Objective objective, float[] theta, int[] rows) {
        runAndCheck(objective, theta, rows, 0, new int[][] {PILOT, REST, EXTRA}, new boolean[] {true, true, true});
        runAndCheck(objective, theta, rows, 1, new int[][] {PILOT, REST_AFTER_EXCLUDED_PILOT},
                new boolean[] {false, true});
    }

    private void runAndCheck(Objective objective, float[] theta, int[] rows, int step, int[][] rounds,
                             boolean[] include) {
        GradientEstimator estimator = provider().create(settings());
        CountingQueryEvaluator evaluator = new CountingQueryEvaluator(new ReferenceQueryEvaluator(objective));
        float[] before = theta.clone();
        String where = what() + " on " + objective + ", step " + step + ", rounds "
                + Arrays.deepToString(rounds) + " included " + Arrays.toString(include);
        int b = rows.length;
        EstimationStep s = estimator.begin(new StepContext(evaluator, theta, rows.clone(), seed(), step));
        long totalDraws = 0;
        int[] included = new int[b];
        for (int k = 0; k < rounds.length; k++) {
            s.run(rounds[k].clone(), include[k]);
            for (int i = 0; i < b; i++) {
                totalDraws += rounds[k][i];
                included[i] += include[k] ? rounds[k][i] : 0;
            }
            if (k == 0) {
                double[] proxies = s.proxies();
                assertThat(proxies).as("proxies() after the pilot, %s", where).hasSize(b);
                for (int i = 0; i < b; i++) {
                    assertThat(Double.isFinite(proxies[i])).as("proxy of point %d after the pilot is %s, %s", i,
                            proxies[i], where).isTrue();
                }
            }
        }
        GradientEstimate e = s.finish();
        long expected = estimator.cost().queries(b, totalDraws);
        assertThat(evaluator.directRows())
                .as("rows evaluated by calling Objective.losses directly instead of through the QueryEvaluator "
                        + "(such queries escape the engine's count), %s", where)
                .isZero();
        assertThat(evaluator.queries())
                .as("queries counted by the evaluator vs cost() = %s for B = %d and %d draws, %s", estimator.cost(),
                        b, totalDraws, where)
                .isEqualTo(expected);
        assertThat(e.queries()).as("GradientEstimate.queries(), %s", where).isEqualTo(expected);
        assertThat(theta).as("theta must be read-only, %s", where).containsExactly(before);
        assertThat(e.gradient()).as("gradient length, %s", where).hasSize(objective.dimension());
        for (int k = 0; k < e.gradient().length; k++) {
            assertThat(Float.isFinite(e.gradient()[k])).as("gradient[%d] = %s, %s", k, e.gradient()[k], where)
                    .isTrue();
        }
        assertThat(e.draws()).as("GradientEstimate.draws() are the draws that entered the estimate, %s", where)
                .containsExactly(included);
        assertThat(e.perDrawVariance()).as("perDrawVariance length, %s", where).hasSize(b);
        assertThat(e.meanLoss()).as("meanLoss length, %s", where).hasSize(b);
        for (int i = 0; i < b; i++) {
            double v = e.perDrawVariance()[i];
            assertThat(Double.isFinite(v) && v >= 0).as("perDrawVariance[%d] = %s must be finite and >= 0, %s", i,
                    v, where).isTrue();
            assertThat(Double.isFinite(e.meanLoss()[i])).as("meanLoss[%d] = %s, %s", i, e.meanLoss()[i], where)
                    .isTrue();
        }
    }

    /**
     * The batch estimate is unbiased (docs/method.md §2): over {@link #unbiasednessSteps()} seeded steps (pilot in the
     * estimate, then an uneven allocation), the mean lies within {@value #STANDARD_ERRORS} standard errors (plus
     * 0.1% of the gradient's norm for float32 rounding) of the exact batch gradient in every coordinate, and the
     * check is sharp enough to catch a bias of a quarter of the gradient's norm.
     */
    @Test
    public void meanOfSeededEstimatesIsTheExactGradient() {
        Objective objective = fixture();
        float[] theta = fixtureTheta();
        int[] rows = fixtureRows();
        double[] truth = activationNoise()
                ? Fixtures.referenceGradient((NetworkObjective) objective, theta, rows)
                : Fixtures.quadratic().batchGradient(theta, rows);
        GradientEstimator estimator = provider().create(settings());
        ReferenceQueryEvaluator evaluator = new ReferenceQueryEvaluator(objective);
        int n = unbiasednessSteps();
        int d = truth.length;
        long started = System.nanoTime();
        // sums of deviations from the exact gradient: shifting by it keeps the variance free of cancellation
        double[] sum = new double[d];
        double[] sumSq = new double[d];
        for (int t = 0; t < n; t++) {
            EstimationStep s = estimator.begin(new StepContext(evaluator, theta, rows, seed(), t));
            s.run(PILOT.clone(), true);
            s.run(REST.clone(), true);
            float[] g = s.finish().gradient();
            for (int k = 0; k < d; k++) {
                double e = g[k] - truth[k];
                sum[k] += e;
                sumSq[k] += e * e;
            }
        }
        double norm = 0;
        for (int k = 0; k < d; k++) {
            norm += truth[k] * truth[k];
        }
        norm = Math.sqrt(norm);
        double[] bias = new double[d];
        double[] se = new double[d];
        double worstSe = 0;
        double worstZ = 0;
        for (int k = 0; k < d; k++) {
            bias[k] = sum[k] / n;
            se[k] = Math.sqrt(Math.max(0, (sumSq[k] - n * bias[k] * bias[k]) / (n - 1)) / n);
            worstSe = Math.max(worstSe, se[k]);
            worstZ = Math.max(worstZ, Math.abs(bias[k]) / Math.max(se[k], Double.MIN_NORMAL));
        }
        System.out.printf(java.util.Locale.ROOT, "tck unbiasedness: %s: %d estimates in %.1f s, worst |mean - exact| "
                        + "= %.2f SE, bound %.0f SE = %.3f |g| at the largest SE%n", what(), n,
                (System.nanoTime() - started) / 1e9, worstZ, STANDARD_ERRORS, STANDARD_ERRORS * worstSe / norm);
        for (int k = 0; k < d; k++) {
            assertThat(Math.abs(bias[k]))
                    .as("%s: coordinate %d: mean of %d estimates %.6f vs exact %.6f (standard error %.2e)", what(), k,
                            n, truth[k] + bias[k], truth[k], se[k])
                    .isLessThanOrEqualTo(STANDARD_ERRORS * se[k] + ROUNDING * norm);
        }
        assertThat(STANDARD_ERRORS * worstSe)
                .as("%s: the check cannot resolve a bias of a quarter of |g| = %.4f with %d estimates (largest "
                        + "standard error %.2e); override unbiasednessSteps() to average more", what(), norm, n,
                        worstSe)
                .isLessThanOrEqualTo(0.25 * norm);
    }

    /**
     * Two estimators created with the same settings give bit-identical estimates for the same step: all noise is
     * keyed by (seed, step) (docs/method.md §5).
     */
    @Test
    public void sameSeedGivesTheSameEstimate() {
        Objective objective = fixture();
        float[] theta = fixtureTheta();
        int[] rows = fixtureRows();
        GradientEstimate[] e = new GradientEstimate[2];
        for (int k = 0; k < 2; k++) {
            GradientEstimator estimator = provider().create(settings());
            EstimationStep s = estimator.begin(new StepContext(new ReferenceQueryEvaluator(objective), theta, rows,
                    seed(), 3));
            s.run(PILOT.clone(), true);
            s.run(REST.clone(), true);
            e[k] = s.finish();
        }
        assertThat(e[1].gradient()).as("gradient, %s", what()).containsExactly(e[0].gradient());
        assertThat(e[1].draws()).as("draws, %s", what()).containsExactly(e[0].draws());
        assertThat(e[1].perDrawVariance()).as("perDrawVariance, %s", what()).containsExactly(e[0].perDrawVariance());
        assertThat(e[1].meanLoss()).as("meanLoss, %s", what()).containsExactly(e[0].meanLoss());
        assertThat(e[1].queries()).as("queries, %s", what()).isEqualTo(e[0].queries());
    }

    /**
     * Ending a step with {@code finish(draws, include)} (how the engine ends every step) gives the estimate of
     * {@code run(draws, include)} followed by {@code finish()}: the same draws, statistics and query count, and the
     * same gradient up to float summation order (an estimator may assemble the last round while it runs, adding the
     * same terms in another order). Checked after a pilot round, on the reference evaluator and on the tck's
     * fixture, over 5 steps.
     */
    @Test
    public void endingAStepWithItsLastRoundEqualsRunThenFinish() {
        Objective objective = fixture();
        float[] theta = fixtureTheta();
        int[] rows = fixtureRows();
        GradientEstimator oneCall = provider().create(settings());
        GradientEstimator twoCalls = provider().create(settings());
        for (int step = 0; step < 5; step++) {
            EstimationStep a = twoCalls.begin(new StepContext(new ReferenceQueryEvaluator(objective), theta, rows,
                    seed(), step));
            a.run(PILOT.clone(), true);
            a.run(REST.clone(), true);
            GradientEstimate want = a.finish();
            EstimationStep b = oneCall.begin(new StepContext(new ReferenceQueryEvaluator(objective), theta, rows,
                    seed(), step));
            b.run(PILOT.clone(), true);
            GradientEstimate got = b.runLastRoundAndFinish(REST.clone());
            assertThat(Vectors.relativeDistance(got.gradient(), want.gradient()))
                    .as("gradient of step %d, %s", step, what()).isLessThanOrEqualTo(1e-5);
            assertThat(got.draws()).as("draws, %s", what()).containsExactly(want.draws());
            assertThat(got.queries()).as("queries, %s", what()).isEqualTo(want.queries());
            for (int i = 0; i < rows.length; i++) {
                assertThat(got.perDrawVariance()[i]).as("perDrawVariance of point %d, %s", i, what())
                        .isCloseTo(want.perDrawVariance()[i], org.assertj.core.api.Assertions.within(
                                1e-6 * Math.max(1, Math.abs(want.perDrawVariance()[i]))));
                assertThat(got.meanLoss()[i]).as("meanLoss of point %d, %s", i, what())
                        .isCloseTo(want.meanLoss()[i], org.assertj.core.api.Assertions.within(1e-9));
            }
        }
    }

    /**
     * Capabilities mean what they say: without {@link GradientEstimatorProvider#ACTIVATION_NOISE} the estimator
     * must estimate on a pure black box (an {@link Objective} and nothing else); with it, it must refuse a black
     * box with {@link UnsupportedCapabilityException} and a message, from {@code begin} or the first
     * {@code run}, having spent no query.
     */
    @Test
    public void undeclaredCapabilitiesFailWithTheDocumentedError() {
        Objective box = Fixtures.blackBox(Fixtures.quadratic());
        CountingQueryEvaluator evaluator = new CountingQueryEvaluator(new ReferenceQueryEvaluator(box));
        GradientEstimator estimator = provider().create(settings());
        StepContext ctx = new StepContext(evaluator, Fixtures.quadraticTheta(), Fixtures.quadraticRows(), seed(), 0);
        if (activationNoise()) {
            Throwable thrown = catchThrowable(() -> {
                EstimationStep s = estimator.begin(ctx);
                s.run(PILOT.clone(), true);
                s.finish();
            });
            assertThat(thrown).as("%s declares %s, so it must refuse a black box", what(), EstimatorCapability.ACTIVATION_NOISE)
                    .isInstanceOf(UnsupportedCapabilityException.class)
                    .satisfies(ex -> assertThat(ex.getMessage()).isNotBlank());
            assertThat(evaluator.queries()).as("queries spent before refusing, %s", what()).isZero();
        } else {
            EstimationStep s = estimator.begin(ctx);
            s.run(PILOT.clone(), true);
            s.run(REST.clone(), true);
            GradientEstimate e = s.finish();
            assertThat(e.gradient()).as("%s on a pure black box", what()).hasSize(box.dimension());
        }
    }
}
