package org.forward4j.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.forward4j.backend.Backend;
import org.forward4j.backend.spi.BackendCapability;
import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.ActivationResult;
import org.forward4j.estimator.DirectionWeigher;
import org.forward4j.estimator.EvaluationMetrics;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.Streaming;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.BackendUnavailableException;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.Settings;
import org.forward4j.plugin.UnsupportedCapabilityException;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link BackendProvider} and its {@link Backend} must honour: a backend is interchangeable
 * with {@link ReferenceQueryEvaluator} (docs/method.md §4, §6), only faster. A plugin proves itself with a three-line
 * subclass in its tests:
 *
 * <pre>{@code
 * class MyBackendContractTest extends BackendContractTest {
 *     @Override protected BackendProvider provider() { return new MyBackendProvider(); }
 * }
 * }</pre>
 *
 * <p>Checked: registration and discovery, name and SPI version; {@code availability()} never throws and explains
 * itself; when unavailable, {@code create} throws {@link BackendUnavailableException} with a message (the
 * comparisons are then skipped); when available, unknown settings are rejected, and on small odd network shapes
 * weight plans (losses), activation plans (losses, gradient assembly and noise energy) agree with the reference
 * within {@value #RELATIVE_TOLERANCE} relative, black boxes are either evaluated like the reference or refused
 * with {@link UnsupportedCapabilityException}, and the parameters are never modified.
 */
public abstract class BackendContractTest {

    /** Relative tolerance of every comparison with the reference evaluator. */
    public static final double RELATIVE_TOLERANCE = 1e-5;

    /** Small odd shapes where blocking, tiling and chunking bugs show: sizes and activation. */
    private static final List<Object[]> SHAPES = List.of(
            new Object[] {new int[] {7, 13, 5}, Activation.RELU},
            new Object[] {new int[] {3, 1, 2}, Activation.TANH},
            new Object[] {new int[] {1, 1}, Activation.IDENTITY},
            new Object[] {new int[] {20, 33, 17, 4}, Activation.TANH});

    /** Creates the test. */
    protected BackendContractTest() {
    }

    /**
     * The provider under test, freshly constructed (as ServiceLoader would).
     *
     * @return the provider
     */
    protected abstract BackendProvider provider();

    /**
     * The settings the backend is created with (default: none). Override to force small chunks or a particular
     * device, so that the comparisons exercise the paths that matter.
     *
     * @return the backend's own settings, keys without the {@code forward4j.backend.} prefix
     */
    protected Settings settings() {
        return Settings.empty();
    }

    private BackendProvider.Availability availability() {
        BackendProvider.Availability a = provider().availability();
        assertThat(a).as("availability() of backend '%s'", provider().name()).isNotNull();
        return a;
    }

    private void assumeAvailable() {
        BackendProvider.Availability a = availability();
        assumeTrue(a.available(), "backend '" + provider().name() + "' is not available here: " + a.detail());
    }

    /** The provider is listed in {@code META-INF/services} and ServiceLoader finds it under its name. */
    @Test
    public void registeredInMetaInfServicesAndDiscoveredByName() {
        ProviderChecks.discoverable(BackendProvider.class, provider());
    }

    /** The name is lower-case kebab case and the SPI version is {@link BackendProvider#SPI_VERSION}. */
    @Test
    public void nameIsKebabCaseAndSpiVersionMatches() {
        ProviderChecks.nameAndVersion(provider(), BackendProvider.SPI_VERSION);
    }

    /**
     * {@code availability()} never throws, always explains itself (the device, or why not and how to fix it), and
     * gives the same answer when asked again.
     */
    @Test
    public void availabilityNeverThrowsAndExplainsItself() {
        BackendProvider.Availability first = availability();
        BackendProvider.Availability again = availability();
        assertThat(first.detail()).as("availability().detail() of '%s'", provider().name()).isNotBlank();
        assertThat(again.available()).as("availability() asked twice").isEqualTo(first.available());
    }

    /** An unavailable backend refuses to start with {@link BackendUnavailableException} and a message. */
    @Test
    public void unavailableBackendRefusesToStartWithAMessage() {
        BackendProvider.Availability a = availability();
        assumeFalse(a.available(), "backend '" + provider().name() + "' is available here (" + a.detail() + ")");
        assertThat(catchThrowable(() -> provider().create(settings()).close()))
                .as("create() of unavailable backend '%s'", provider().name())
                .isInstanceOf(BackendUnavailableException.class)
                .satisfies(e -> assertThat(e.getMessage()).isNotBlank());
    }

    /**
     * An unknown setting is rejected with an {@link InvalidConfigurationException} naming the key (an unavailable
     * backend may refuse with {@link BackendUnavailableException} first).
     */
    @Test
    public void unknownSettingIsRejectedNamingTheKey() {
        Settings typo = settings().with(Map.of(ProviderChecks.UNKNOWN_KEY, "1"));
        Throwable t = catchThrowable(() -> provider().create(typo).close());
        if (!availability().available() && t instanceof BackendUnavailableException) {
            return;
        }
        assertThat(t).as("create(%s) of backend '%s'", typo, provider().name())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining(ProviderChecks.UNKNOWN_KEY);
    }

    /** Weight-perturbation plans on network objectives give the reference losses. */
    @Test
    public void weightPlansMatchTheReference() {
        assumeAvailable();
        try (Backend backend = provider().create(settings())) {
            assertThat(backend.device()).as("device() of '%s'", provider().name()).isNotBlank();
            int seed = 5;
            for (Object[] shape : SHAPES) {
                NetworkObjective o = Fixtures.network((int[]) shape[0], (Activation) shape[1], 11, seed++);
                QueryEvaluator got = backend.evaluator(o);
                assertThat(got.objective()).as("evaluator(o).objective()").isSameAs(o);
                compareWeightPlans(got, new ReferenceQueryEvaluator(o), o, "network " + o);
            }
        }
    }

    /**
     * Clean evaluation of a whole data set (the engine's test-set accuracy) matches the plain-Java reference:
     * the mean loss within the relative tolerance and the accuracy exactly (the shapes' logits are far from ties),
     * on a data set larger than a typical evaluation chunk.
     */
    @Test
    public void cleanEvaluationMatchesTheReference() {
        assumeAvailable();
        try (Backend backend = provider().create(settings())) {
            int seed = 31;
            for (Object[] shape : SHAPES) {
                NetworkObjective o = Fixtures.network((int[]) shape[0], (Activation) shape[1], 2500, seed++);
                float[] theta = Fixtures.parameters(o.dimension(), seed, 0.3f);
                EvaluationMetrics want = Networks.metrics(o, theta);
                EvaluationMetrics got = backend.evaluator(o).evaluateClean(theta);
                assertThat(got.rows()).as("rows evaluated").isEqualTo(o.size());
                assertThat(Math.abs(got.loss() - want.loss())).as("mean clean loss %s vs reference %s", got.loss(),
                        want.loss()).isLessThanOrEqualTo(RELATIVE_TOLERANCE * Math.max(1, Math.abs(want.loss())));
                assertThat(got.accuracy()).as("accuracy").isEqualTo(want.accuracy());
            }
        }
    }

    /**
     * Black-box objectives are either evaluated like the reference (weight plans, no activation noise: asking
     * for it throws {@link UnsupportedCapabilityException}) or refused by {@code evaluator()} with
     * {@link UnsupportedCapabilityException}.
     */
    @Test
    public void blackBoxesAreEvaluatedLikeTheReferenceOrRefused() {
        assumeAvailable();
        Objective box = Fixtures.blackBox(Fixtures.quadratic());
        try (Backend backend = provider().create(settings())) {
            QueryEvaluator got;
            try {
                got = backend.evaluator(box);
            } catch (UnsupportedCapabilityException refused) {
                assertThat(refused.getMessage()).isNotBlank();
                return;
            }
            compareWeightPlans(got, new ReferenceQueryEvaluator(box), box, "black box");
            ActivationPlan plan = new ActivationPlan(1, 0, 0.1f, new int[] {0}, new int[] {0}, new boolean[] {false});
            assertThat(catchThrowable(() -> got.evaluate(Fixtures.quadraticTheta(), plan)))
                    .as("an activation plan on a black box").isInstanceOf(UnsupportedCapabilityException.class);
        }
    }

    private static void compareWeightPlans(QueryEvaluator got, QueryEvaluator ref, Objective o, String what) {
        int n = o.size();
        float[] theta = Fixtures.parameters(o.dimension(), 17, 0.3f);
        float[] before = theta.clone();
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = (i * 3) % n;
        }
        for (NoiseStream.Distribution dist : NoiseStream.Distribution.values()) {
            WeightPlan plan = new WeightPlan(42, 3, dist, List.of(
                    new WeightQuery(0, 1e-2f, all),
                    new WeightQuery(0, -1e-2f, all.clone()),
                    new WeightQuery(5, 0.5f, new int[] {n - 1}),
                    new WeightQuery(NoiseStream.pointStream(3, 2), 1e-3f, new int[] {1 % n, 1 % n, 0}),
                    new WeightQuery(0, 0f, new int[] {n / 2, n / 2, 0})));
            double[][] expected = ref.evaluate(theta, plan);
            for (int pass = 0; pass < 2; pass++) { // a second pass catches stale caches
                double[][] actual = got.evaluate(theta, plan);
                assertThat(actual.length).as("%s, %s plan: one loss array per query", what, dist).isEqualTo(expected.length);
                for (int q = 0; q < expected.length; q++) {
                    assertThat(actual[q]).as("%s, query %d", what, q).hasSameSizeAs(expected[q]);
                    for (int k = 0; k < expected[q].length; k++) {
                        double e = expected[q][k];
                        assertThat(Math.abs(actual[q][k] - e))
                                .as("%s, %s plan, pass %d, query %d row %d: %s vs reference %s", what, dist, pass, q,
                                        k, actual[q][k], e)
                                .isLessThanOrEqualTo(RELATIVE_TOLERANCE * Math.max(1, Math.abs(e)));
                    }
                }
            }
            // directions' terms added during evaluation: the reference's sum c_j z_j (regenerated), on a non-zero
            // starting gradient; the clean run is never weighed
            DirectionWeigher weigher = (from, to, losses) -> {
                if (plan.queries().get(from).scale() == 0f) {
                    throw new AssertionError("a run of clean queries was weighed");
                }
                return Math.cos(from + losses[from][0]);
            };
            float[] want = Fixtures.parameters(o.dimension(), 23, 0.1f);
            float[] have = want.clone();
            double[][] expectedLosses = Streaming.evaluateAndCombine(ref, theta, plan, weigher, want);
            double[][] actual = Streaming.evaluateAndCombine(got, theta, plan, weigher, have);
            for (int q = 0; q < expectedLosses.length; q++) {
                for (int k = 0; k < expectedLosses[q].length; k++) {
                    double e = expectedLosses[q][k];
                    assertThat(Math.abs(actual[q][k] - e)).as("%s, %s plan, evaluateAndCombine, query %d row %d", what,
                            dist, q, k).isLessThanOrEqualTo(RELATIVE_TOLERANCE * Math.max(1, Math.abs(e)));
                }
            }
            assertThat(Vectors.relativeDistance(have, want))
                    .as("%s, %s plan: evaluateAndCombine's gradient vs reference", what, dist)
                    .isLessThanOrEqualTo(RELATIVE_TOLERANCE);
        }
        assertThat(theta).as("%s: theta must be read-only", what).containsExactly(before);
    }

    /**
     * Activation-noise plans on network objectives give the reference losses, gradient assembly (added onto an
     * existing gradient, with some zero row weights) and noise energies; a plan longer than a typical chunk is
     * included. A backend whose network evaluators do not support activation noise must say so and refuse such
     * plans with {@link UnsupportedCapabilityException}.
     */
    @Test
    public void activationPlansMatchTheReference() {
        assumeAvailable();
        try (Backend backend = provider().create(settings())) {
            int seed = 6;
            for (Object[] shape : SHAPES) {
                NetworkObjective o = Fixtures.network((int[]) shape[0], (Activation) shape[1], 9, seed++);
                QueryEvaluator got = backend.evaluator(o);
                if (!provider().capabilities().contains(BackendCapability.ACTIVATION_NOISE)) {
                    assertThat(catchThrowable(() -> got.evaluate(Fixtures.parameters(o.dimension(), 1, 0.3f),
                            plan(3, o.size()))))
                            .as("backend '%s' says it does not support activation noise", provider().name())
                            .isInstanceOf(UnsupportedCapabilityException.class);
                    continue;
                }
                compareActivationPlan(got, new ReferenceQueryEvaluator(o), o, plan(10, o.size()));
                compareActivationPlan(got, new ReferenceQueryEvaluator(o), o, plan(301, o.size()));
            }
        }
    }

    /** n queries: rows repeat, streams come in antithetic pairs (some far apart), every fifth row weight is 0. */
    private static ActivationPlan plan(int n, int rowsAvailable) {
        int[] rows = new int[n];
        int[] streams = new int[n];
        boolean[] negate = new boolean[n];
        for (int r = 0; r < n; r++) {
            rows[r] = (r * 5) % rowsAvailable;
            streams[r] = r / 2 + (r / 2 % 3 == 0 ? 65536 : 0); // some above a point's 65536 stream block
            negate[r] = r % 2 == 1;
        }
        return new ActivationPlan(7, 2, 0.05f, rows, streams, negate);
    }

    private static void compareActivationPlan(QueryEvaluator got, QueryEvaluator ref, NetworkObjective o,
                                              ActivationPlan plan) {
        String what = "network " + o + ", activation plan of " + plan.size() + " queries";
        float[] theta = Fixtures.parameters(o.dimension(), 18, 0.3f);
        float[] before = theta.clone();
        int n = plan.size();
        double[] w = new double[n];
        for (int r = 0; r < n; r++) {
            w[r] = r % 5 == 4 ? 0.0 : Math.sin(r + 1.0);
        }
        List<Object> results = new ArrayList<>();
        for (QueryEvaluator e : List.of(ref, got)) {
            try (ActivationPass pass = e.evaluate(theta, plan)) {
                float[] g = Fixtures.parameters(o.dimension(), 19, 0.1f); // assembly must add, not overwrite
                pass.accumulateGradient(w, g);
                results.add(pass.losses());
                results.add(g);
                results.add(pass.noiseEnergy());
            }
        }
        double[] lr = (double[]) results.get(0);
        double[] lg = (double[]) results.get(3);
        assertThat(lg).as("%s: losses", what).hasSameSizeAs(lr);
        for (int r = 0; r < n; r++) {
            assertThat(Math.abs(lg[r] - lr[r])).as("%s: loss of query %d: %s vs reference %s", what, r, lg[r], lr[r])
                    .isLessThanOrEqualTo(RELATIVE_TOLERANCE * Math.max(1, Math.abs(lr[r])));
        }
        float[] gr = (float[]) results.get(1);
        float[] gg = (float[]) results.get(4);
        double diff = 0;
        double norm = 0;
        for (int k = 0; k < gr.length; k++) {
            diff += (gr[k] - (double) gg[k]) * (gr[k] - (double) gg[k]);
            norm += (double) gr[k] * gr[k];
        }
        assertThat(Math.sqrt(diff)).as("%s: |assembled gradient - reference| vs |reference| = %s", what,
                Math.sqrt(norm)).isLessThanOrEqualTo(RELATIVE_TOLERANCE * Math.sqrt(norm));
        double[] er = (double[]) results.get(2);
        double[] eg = (double[]) results.get(5);
        int units = 0;
        for (int l = 0; l < o.network().layers(); l++) {
            units += o.network().out(l);
        }
        assertThat(eg).as("%s: noise energies", what).hasSameSizeAs(er);
        for (int r = 0; r < n; r++) {
            // the energy sums `units` squared noise values, so its rounding error scales with their count
            assertThat(Math.abs(eg[r] - er[r])).as("%s: noise energy of query %d: %s vs reference %s", what, r,
                    eg[r], er[r]).isLessThanOrEqualTo(RELATIVE_TOLERANCE * Math.max(units, Math.abs(er[r])));
        }
        // the same weights given group by group while the plan runs: same losses, gradient and energies
        int[] groupEnds = new int[(n + 2) / 3];
        for (int g = 0; g < groupEnds.length; g++) {
            groupEnds[g] = Math.min(n, 3 * (g + 1));
        }
        float[] streamed = Fixtures.parameters(o.dimension(), 19, 0.1f);
        ActivationResult res = Streaming.evaluateAndAssemble(got, theta, plan, groupEnds,
                (from, to, losses, weights) -> System.arraycopy(w, from, weights, from, to - from), streamed, true);
        assertThat(res.weights()).as("%s: evaluateAndAssemble's weights", what).containsExactly(w);
        for (int r = 0; r < n; r++) {
            assertThat(Math.abs(res.losses()[r] - lr[r])).as("%s: evaluateAndAssemble, loss of query %d", what, r)
                    .isLessThanOrEqualTo(RELATIVE_TOLERANCE * Math.max(1, Math.abs(lr[r])));
            assertThat(Math.abs(res.noiseEnergy()[r] - er[r])).as("%s: evaluateAndAssemble, energy of query %d", what,
                    r).isLessThanOrEqualTo(RELATIVE_TOLERANCE * Math.max(units, Math.abs(er[r])));
        }
        assertThat(Vectors.relativeDistance(streamed, gr)).as("%s: evaluateAndAssemble's gradient vs reference", what)
                .isLessThanOrEqualTo(RELATIVE_TOLERANCE);
        assertThat(theta).as("%s: theta must be read-only", what).containsExactly(before);
    }
}
