package org.forward4j.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.forward4j.backend.Backend;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.ActivationResult;
import org.forward4j.estimator.DirectionWeigher;
import org.forward4j.estimator.EvaluationMetrics;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.RowWeigher;
import org.forward4j.estimator.Streaming;
import org.forward4j.estimator.StreamingQueryEvaluator;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.Settings;
import org.forward4j.tck.Vectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@code cpu} backend's layer-graph evaluator against the plain-Java reference ({@link ReferenceQueryEvaluator}'s
 * graph pass, {@code GraphForward} and {@code SiteGradients}) on every tiny graph and trainable selection: losses
 * within 1e-5 relative, gradients within 1e-5 norm-wise relative (the tck's tolerances), noise energies, clean
 * metrics, bit-identical results for 1 and 2 threads, frozen tensors never perturbed, the frozen prefix cached
 * without changing a bit, and memory flat in the draws.
 */
class CpuGraphEvaluatorTest {

    private static final double TOL = 1e-5;

    /**
     * Every tiny graph with each selection: all, last:1, biases, and a named tail with a frozen prefix; and the vit
     * with its last two blocks (the final norm and the head) trainable.
     */
    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        long seed = 11;
        for (String g : TinyGraphs.NAMES) {
            for (String sel : List.of("all", "last:1", "biases", TinyGraphs.namedTail(g))) {
                out.add(Arguments.of(g, sel, seed++));
            }
        }
        // a frozen prefix that ends right after the last attention, whose output keeps only the class token
        out.add(Arguments.of("vit", "last:2", seed));
        return out.stream();
    }

    private static Backend backend(int chunk, int threads, int cacheMb) {
        return new CpuBackendProvider().create(Settings.of("chunk-rows", Integer.toString(chunk), "threads",
                Integer.toString(threads), "prefix-cache-mb", Integer.toString(cacheMb)));
    }

    private static CpuGraphEvaluator graphEvaluator(Backend b, GraphObjective o) {
        QueryEvaluator e = b.evaluator(o);
        assertThat(e).isInstanceOf(CpuGraphEvaluator.class);
        assertThat(e.objective()).isSameAs(o);
        return (CpuGraphEvaluator) e;
    }

    private static WeightPlan weightPlan(int n) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = (i * 4) % n;
        }
        return new WeightPlan(42, 3, NoiseStream.Distribution.GAUSSIAN, List.of(
                new WeightQuery(0, 1e-2f, all),
                new WeightQuery(0, -1e-2f, all.clone()),
                new WeightQuery(5, 0.5f, new int[] {n - 1}),
                new WeightQuery(NoiseStream.pointStream(3, 2), 1e-3f, new int[] {1, 1, 0}),
                new WeightQuery(7, 0f, new int[] {n / 2, n / 2, 0}),
                new WeightQuery(9, 3e-2f, new int[] {2, 3, 4, 5, 6})));
    }

    /** n queries: rows repeat, antithetic pairs, some streams above a point's 65536 block. */
    private static ActivationPlan activationPlan(int n, int rowsAvailable, long step) {
        int[] rows = new int[n];
        int[] streams = new int[n];
        boolean[] negate = new boolean[n];
        for (int r = 0; r < n; r++) {
            rows[r] = (r * 5) % rowsAvailable;
            streams[r] = r / 2 + (r / 2 % 3 == 0 ? 65536 : 0);
            negate[r] = r % 2 == 1;
        }
        return new ActivationPlan(7, step, 0.05f, rows, streams, negate);
    }

    private static void assertLossesClose(double[] got, double[] want, String what) {
        assertThat(got).as("%s: losses", what).hasSameSizeAs(want);
        for (int r = 0; r < want.length; r++) {
            assertThat(Math.abs(got[r] - want[r])).as("%s: loss %d: %s vs reference %s", what, r, got[r], want[r])
                    .isLessThanOrEqualTo(TOL * Math.max(1, Math.abs(want[r])));
        }
    }

    private static void assertGradientClose(float[] got, float[] want, String what) {
        double norm = 0;
        for (float v : want) {
            norm += (double) v * v;
        }
        assertThat(norm).as("%s: the reference gradient is not zero", what).isGreaterThan(0.0);
        assertThat(Vectors.relativeDistance(got, want)).as("%s: |gradient - reference| / |reference|", what)
                .isLessThanOrEqualTo(TOL);
    }

    @ParameterizedTest(name = "{0} trainable={1} seed={2}")
    @MethodSource("cases")
    void weightPlansAndDirectionTermsMatchTheReference(String graph, String selection, long seed) {
        GraphObjective o = TinyGraphs.objective(graph, selection, 9, seed);
        String what = graph + " trainable=" + selection + " seed=" + seed;
        float[] theta = TinyGraphs.gaussian(o.dimension(), seed + 7, 0.5f);
        float[] before = theta.clone();
        WeightPlan plan = weightPlan(o.size());
        ReferenceQueryEvaluator ref = new ReferenceQueryEvaluator(o);
        double[][] want = ref.evaluate(theta, plan);
        DirectionWeigher weigher = (from, to, losses) -> Math.cos(from + losses[from][0]);
        float[] wantGradient = TinyGraphs.gaussian(o.dimension(), seed + 8, 0.1f);
        float[][] gradients = new float[2][];
        for (int threads = 1; threads <= 2; threads++) {
            try (Backend b = backend(3, threads, 16)) {
                CpuGraphEvaluator e = graphEvaluator(b, o);
                for (int pass = 0; pass < 2; pass++) { // the second pass starts from the cached prefix
                    double[][] got = e.evaluate(theta, plan);
                    for (int q = 0; q < want.length; q++) {
                        assertLossesClose(got[q], want[q], what + ", " + threads + " threads, pass " + pass
                                + ", query " + q);
                    }
                }
                gradients[threads - 1] = wantGradient.clone();
                double[][] got = e.evaluateAndCombine(theta, plan, weigher, gradients[threads - 1]);
                for (int q = 0; q < want.length; q++) {
                    assertLossesClose(got[q], want[q], what + ", evaluateAndCombine, query " + q);
                }
            }
        }
        Streaming.evaluateAndCombine(ref, theta, plan, weigher, wantGradient);
        assertGradientClose(gradients[0], wantGradient, what + ", evaluateAndCombine");
        assertThat(gradients[1]).as("%s: 1 vs 2 threads", what).containsExactly(gradients[0]);
        assertThat(theta).as("%s: theta is read-only", what).containsExactly(before);
    }

    @ParameterizedTest(name = "{0} trainable={1} seed={2}")
    @MethodSource("cases")
    void activationPlansMatchTheReference(String graph, String selection, long seed) {
        GraphObjective o = TinyGraphs.objective(graph, selection, 9, seed);
        float[] theta = TinyGraphs.gaussian(o.dimension(), seed + 7, 0.5f);
        float[] before = theta.clone();
        for (int n : new int[] {10, 31}) {
            String what = graph + " trainable=" + selection + " seed=" + seed + ", plan of " + n;
            ActivationPlan plan = activationPlan(n, o.size(), seed);
            double[] w = new double[n];
            for (int r = 0; r < n; r++) {
                w[r] = r % 5 == 4 ? 0.0 : Math.sin(r + 1.0);
            }
            float[] want = TinyGraphs.gaussian(o.dimension(), seed + 9, 0.1f); // assembly adds, never overwrites
            float[] got = want.clone();
            double[] wantLosses;
            double[] wantEnergy;
            try (ActivationPass ref = new ReferenceQueryEvaluator(o).evaluate(theta, plan)) {
                wantLosses = ref.losses();
                wantEnergy = ref.noiseEnergy();
                ref.accumulateGradient(w, want);
            }
            float[] oneThread = TinyGraphs.gaussian(o.dimension(), seed + 9, 0.1f);
            try (Backend b = backend(4, 1, 16); ActivationPass pass = graphEvaluator(b, o).evaluate(theta, plan)) {
                pass.accumulateGradient(w, oneThread);
            }
            try (Backend b = backend(4, 2, 16); ActivationPass pass = graphEvaluator(b, o).evaluate(theta, plan)) {
                assertLossesClose(pass.losses(), wantLosses, what);
                pass.accumulateGradient(w, got);
                double[] energy = pass.noiseEnergy();
                int units = 0;
                for (GraphObjective.Site s : o.sites()) {
                    units += s.out().size();
                }
                for (int r = 0; r < n; r++) {
                    assertThat(Math.abs(energy[r] - wantEnergy[r])).as("%s: noise energy %d", what, r)
                            .isLessThanOrEqualTo(TOL * Math.max(units, Math.abs(wantEnergy[r])));
                }
            }
            float[] start = TinyGraphs.gaussian(o.dimension(), seed + 9, 0.1f);
            assertThat(Vectors.relativeDistance(want, start)).as("%s: the gradient has terms", what)
                    .isGreaterThan(0.0);
            assertGradientClose(got, want, what + ", accumulateGradient");
            assertThat(got).as("%s: 1 vs 2 threads", what).containsExactly(oneThread);
        }
        assertThat(theta).containsExactly(before);
    }

    /**
     * The opt-in float kernels (GELU, layer norm, softmax in float lanes) keep every graph within the same tolerances
     * of the reference, and the same bits for 1 and 2 threads.
     */
    @ParameterizedTest(name = "{0} trainable={1} seed={2}")
    @MethodSource("cases")
    void floatKernelsStayWithinTheReferenceTolerance(String graph, String selection, long seed) {
        org.junit.jupiter.api.Assumptions.assumeTrue(FastNoise.vectorized(),
                "jdk.incubator.vector is not resolved in this JVM");
        GraphObjective o = TinyGraphs.objective(graph, selection, 9, seed);
        String what = graph + " trainable=" + selection + " seed=" + seed + ", float kernels";
        float[] theta = TinyGraphs.gaussian(o.dimension(), seed + 7, 0.5f);
        WeightPlan weights = weightPlan(o.size());
        double[][] wantWeights = new ReferenceQueryEvaluator(o).evaluate(theta, weights);
        ActivationPlan plan = activationPlan(31, o.size(), seed);
        double[] w = new double[31];
        for (int r = 0; r < w.length; r++) {
            w[r] = Math.sin(r + 1.0);
        }
        float[] want = new float[o.dimension()];
        double[] wantLosses;
        try (ActivationPass ref = new ReferenceQueryEvaluator(o).evaluate(theta, plan)) {
            wantLosses = ref.losses();
            ref.accumulateGradient(w, want);
        }
        boolean was = GraphKernels.floatMath(true);
        try {
            assertThat(GraphKernels.floatMath()).isTrue();
            float[][] got = new float[2][];
            for (int threads = 1; threads <= 2; threads++) {
                try (Backend b = backend(4, threads, 16)) {
                    CpuGraphEvaluator e = graphEvaluator(b, o);
                    double[][] losses = e.evaluate(theta, weights);
                    for (int q = 0; q < wantWeights.length; q++) {
                        assertLossesClose(losses[q], wantWeights[q], what + ", weight query " + q);
                    }
                    got[threads - 1] = new float[o.dimension()];
                    try (ActivationPass pass = e.evaluate(theta, plan)) {
                        assertLossesClose(pass.losses(), wantLosses, what + ", " + threads + " threads");
                        pass.accumulateGradient(w, got[threads - 1]);
                    }
                }
            }
            assertGradientClose(got[1], want, what);
            assertThat(got[1]).as("%s: 1 vs 2 threads", what).containsExactly(got[0]);
        } finally {
            GraphKernels.floatMath(was);
        }
    }

    /**
     * Weight plans reuse their layers' arrays from chunk to chunk and from plan to plan: the losses are those of new
     * arrays, bit for bit, on every tiny graph, with queries of 1 to 9 rows in chunks of 4 (so arrays of another
     * length replace reused ones), and again when the same plan runs a second time over the stale values.
     */
    @Test
    void reusedArraysGiveTheBitsOfNewOnes() {
        for (String graph : TinyGraphs.NAMES) {
            GraphObjective o = TinyGraphs.objective(graph, "all", 9, 5);
            float[] theta = TinyGraphs.gaussian(o.dimension(), 29, 0.5f);
            WeightPlan plan = weightPlan(o.size());
            double[][] fresh;
            double[][] reused;
            double[][] again;
            boolean was = CpuGraphEvaluator.reuseArrays(false);
            try (Backend b = backend(4, 2, 0)) {
                fresh = graphEvaluator(b, o).evaluate(theta, plan);
                CpuGraphEvaluator.reuseArrays(true);
                CpuGraphEvaluator e = graphEvaluator(b, o);
                reused = e.evaluate(theta, plan);
                again = e.evaluate(theta, plan);
            } finally {
                CpuGraphEvaluator.reuseArrays(was);
            }
            for (int q = 0; q < fresh.length; q++) {
                assertThat(reused[q]).as("%s, query %d, reused arrays", graph, q).containsExactly(fresh[q]);
                assertThat(again[q]).as("%s, query %d, second run", graph, q).containsExactly(fresh[q]);
            }
        }
    }

    /** The float switch is live: on the vit (GELU, layer norm, attention) it changes losses, in the last bits. */
    @Test
    void theFloatSwitchChangesTheVitsLossesInTheLastBitsOnly() {
        org.junit.jupiter.api.Assumptions.assumeTrue(FastNoise.vectorized(),
                "jdk.incubator.vector is not resolved in this JVM");
        GraphObjective o = TinyGraphs.objective("vit", "all", 9, 12);
        float[] theta = TinyGraphs.gaussian(o.dimension(), 19, 0.5f);
        WeightPlan plan = weightPlan(o.size());
        double[][] exact;
        double[][] fast;
        boolean was = GraphKernels.floatMath(false);
        try (Backend b = backend(4, 2, 0)) {
            exact = graphEvaluator(b, o).evaluate(theta, plan);
            GraphKernels.floatMath(true);
            fast = graphEvaluator(b, o).evaluate(theta, plan);
        } finally {
            GraphKernels.floatMath(was);
        }
        int differ = 0;
        for (int q = 0; q < exact.length; q++) {
            assertLossesClose(fast[q], exact[q], "float against double kernels, query " + q);
            for (int r = 0; r < exact[q].length; r++) {
                differ += exact[q][r] != fast[q][r] ? 1 : 0;
            }
        }
        assertThat(differ).as("losses that differ between the two modes").isPositive();
    }

    /** Groups of 2, 6, 4, 2 and 5 queries, one data row each: a group can be larger than a chunk. */
    private static ActivationPlan groupedPlan(int[] groupEnds, int rowsAvailable, long step) {
        int n = groupEnds[groupEnds.length - 1];
        int[] rows = new int[n];
        int[] streams = new int[n];
        boolean[] negate = new boolean[n];
        int g = 0;
        for (int r = 0; r < n; r++) {
            while (r >= groupEnds[g]) {
                g++;
            }
            rows[r] = (2 * g + 1) % rowsAvailable;
            streams[r] = NoiseStream.pointStream(g, r / 2);
            negate[r] = r % 2 == 1;
        }
        return new ActivationPlan(7, step, 0.05f, rows, streams, negate);
    }

    @ParameterizedTest(name = "{0} trainable={1} seed={2}")
    @MethodSource("cases")
    void assemblyWhileRunningMatchesTheReferenceAndAnyThreadCount(String graph, String selection, long seed) {
        GraphObjective o = TinyGraphs.objective(graph, selection, 9, seed);
        String what = graph + " trainable=" + selection + " seed=" + seed;
        float[] theta = TinyGraphs.gaussian(o.dimension(), seed + 7, 0.5f);
        int[] groupEnds = {2, 8, 12, 14, 19};
        ActivationPlan plan = groupedPlan(groupEnds, o.size(), seed);
        int n = plan.size();
        RowWeigher weigher = (from, to, losses, weights) -> {
            double mean = 0;
            for (int r = from; r < to; r++) {
                mean += losses[r] / (to - from);
            }
            for (int r = from; r < to; r++) {
                weights[r] = (losses[r] - mean + 0.1 * r) / n;
            }
        };
        float[] want = new float[o.dimension()];
        ActivationResult ref = Streaming.evaluateAndAssemble(new ReferenceQueryEvaluator(o), theta, plan, groupEnds,
                weigher, want, true);
        float[][] got = new float[2][o.dimension()];
        ActivationResult[] res = new ActivationResult[2];
        for (int threads = 1; threads <= 2; threads++) {
            try (Backend b = backend(4, threads, 16)) {
                StreamingQueryEvaluator e = graphEvaluator(b, o);
                res[threads - 1] = e.evaluateAndAssemble(theta, plan, groupEnds, weigher, got[threads - 1], true);
            }
        }
        assertLossesClose(res[0].losses(), ref.losses(), what);
        for (int r = 0; r < n; r++) {
            assertThat(res[0].weights()[r]).as("%s: weight %d", what, r).isCloseTo(ref.weights()[r],
                    org.assertj.core.api.Assertions.within(1e-5));
            assertThat(Math.abs(res[0].noiseEnergy()[r] - ref.noiseEnergy()[r])).as("%s: energy %d", what, r)
                    .isLessThanOrEqualTo(1e-4 * Math.max(1, Math.abs(ref.noiseEnergy()[r])));
        }
        assertGradientClose(got[0], want, what + ", evaluateAndAssemble");
        assertThat(got[1]).as("%s: 1 vs 2 threads", what).containsExactly(got[0]);
        assertThat(res[1].losses()).containsExactly(res[0].losses());
        assertThat(res[1].noiseEnergy()).containsExactly(res[0].noiseEnergy());
    }

    @ParameterizedTest(name = "{0} trainable={1} seed={2}")
    @MethodSource("cases")
    void cleanEvaluationMatchesTheReference(String graph, String selection, long seed) {
        GraphObjective o = TinyGraphs.objective(graph, selection, 23, seed);
        float[] theta = TinyGraphs.gaussian(o.dimension(), seed + 7, 0.5f);
        EvaluationMetrics want = Networks.metrics(o, theta);
        try (Backend b = backend(5, 2, 16)) {
            CpuGraphEvaluator e = graphEvaluator(b, o);
            for (int pass = 0; pass < 2; pass++) {
                EvaluationMetrics got = e.evaluateClean(theta);
                assertThat(got.rows()).isEqualTo(o.size());
                assertThat(Math.abs(got.loss() - want.loss())).as("%s %s seed %d: mean loss %s vs %s", graph,
                        selection, seed, got.loss(), want.loss()).isLessThanOrEqualTo(TOL * Math.max(1, want.loss()));
                assertThat(got.accuracy()).as("%s %s seed %d: accuracy", graph, selection, seed)
                        .isEqualTo(want.accuracy());
            }
        }
    }

    @Test
    void frozenTensorsAreNeverPerturbed() {
        // only the head trains; a direction of scale 1 (twice the parameters' spread) would wreck every loss if it reached a frozen tensor,
        // and a frozen tensor changed in a reused parameter buffer would show in the next clean evaluation
        for (String graph : List.of("pool", "vit")) {
            GraphObjective o = TinyGraphs.objective(graph, "head", 9, 3);
            float[] theta = o.initial();
            WeightPlan plan = new WeightPlan(5, 1, NoiseStream.Distribution.GAUSSIAN, List.of(
                    new WeightQuery(0, 1f, new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8}),
                    new WeightQuery(0, -1f, new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8}),
                    new WeightQuery(1, 0f, new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8})));
            double[][] want = new ReferenceQueryEvaluator(o).evaluate(theta, plan);
            try (Backend b = backend(4, 2, 0)) {
                CpuGraphEvaluator e = graphEvaluator(b, o);
                double[][] got = e.evaluate(theta, plan);
                for (int q = 0; q < want.length; q++) {
                    assertLossesClose(got[q], want[q], graph + " query " + q);
                }
                // the clean query equals the loss of the unperturbed model, computed apart
                double[] clean = new double[9];
                o.losses(theta, new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8}, clean);
                assertLossesClose(got[2], clean, graph + " clean query");
                EvaluationMetrics m = e.evaluateClean(theta);
                assertThat(m.loss()).isCloseTo(Networks.metrics(o, theta).loss(),
                        org.assertj.core.api.Assertions.within(TOL * 10));
            }
            assertThat(o.dimension()).as("θ holds the head only").isEqualTo(o.graph().tensor("head.weight").size()
                    + o.graph().tensor("head.bias").size());
        }
    }

    @Test
    void trainableEmbeddingsWithoutANoiseSiteGetWeightTermsButNoActivationTerms() {
        // a class token and a position embedding are trainable but are no noise site: lr has nothing to perturb
        GraphObjective o = TinyGraphs.objective("vit", "names:cls\\.token|pos\\.embedding", 9, 4);
        assertThat(o.sites()).isEmpty();
        float[] theta = TinyGraphs.gaussian(o.dimension(), 5, 0.5f);
        WeightPlan wp = weightPlan(o.size());
        ActivationPlan ap = activationPlan(10, o.size(), 1);
        ReferenceQueryEvaluator ref = new ReferenceQueryEvaluator(o);
        try (Backend b = backend(3, 2, 16)) {
            CpuGraphEvaluator e = graphEvaluator(b, o);
            double[][] want = ref.evaluate(theta, wp);
            double[][] got = e.evaluate(theta, wp);
            for (int q = 0; q < want.length; q++) {
                assertLossesClose(got[q], want[q], "embeddings, query " + q);
            }
            float[] g = new float[o.dimension()];
            try (ActivationPass r = ref.evaluate(theta, ap); ActivationPass pass = e.evaluate(theta, ap)) {
                assertLossesClose(pass.losses(), r.losses(), "embeddings, activation plan");
                pass.accumulateGradient(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, g);
                assertThat(pass.noiseEnergy()).containsOnly(0.0);
            }
            assertThat(g).containsOnly(0f);
        }
    }

    @Test
    void theFrozenPrefixRunsOncePerRowAndChangesNoBit() {
        GraphObjective o = TinyGraphs.objective("vit", TinyGraphs.namedTail("vit"), 9, 5);
        assertThat(o.frozenPrefix()).isEqualTo(2);
        float[] theta = TinyGraphs.gaussian(o.dimension(), 6, 0.5f);
        WeightPlan wp = weightPlan(o.size());
        ActivationPlan ap = activationPlan(31, o.size(), 2);
        int[] groupEnds = {2, 8, 12, 14, 19};
        ActivationPlan grouped = groupedPlan(groupEnds, o.size(), 3);
        RowWeigher weigher = (from, to, losses, weights) -> {
            for (int r = from; r < to; r++) {
                weights[r] = losses[r] - 1;
            }
        };
        List<Object> results = new ArrayList<>();
        long[] computed = new long[2];
        for (int cacheMb : new int[] {16, 0}) {
            try (Backend b = backend(4, 2, cacheMb)) {
                CpuGraphEvaluator e = graphEvaluator(b, o);
                List<Object> mine = new ArrayList<>();
                for (int step = 0; step < 2; step++) {
                    mine.add(e.evaluate(theta, wp));
                    try (ActivationPass pass = e.evaluate(theta, ap)) {
                        float[] g = new float[o.dimension()];
                        pass.accumulateGradient(new double[ap.size()], g);
                        mine.add(pass.losses());
                    }
                    float[] g = new float[o.dimension()];
                    mine.add(e.evaluateAndAssemble(theta, grouped, groupEnds, weigher, g, true).losses());
                    mine.add(g);
                }
                computed[cacheMb == 0 ? 1 : 0] = e.prefixRowsComputed();
                if (cacheMb > 0) {
                    assertThat(e.prefixCache().size()).as("every row of the data set is cached").isEqualTo(o.size());
                }
                results.add(mine);
            }
        }
        // with the cache every distinct row goes through the prefix once; without, once per plan and row
        assertThat(computed[0]).isEqualTo(o.size());
        assertThat(computed[1]).isGreaterThan(3 * computed[0]);
        List<?> cached = (List<?>) results.get(0);
        List<?> uncached = (List<?>) results.get(1);
        for (int k = 0; k < cached.size(); k++) {
            assertThat(cached.get(k)).as("result %d with and without the cache", k).usingRecursiveComparison()
                    .isEqualTo(uncached.get(k));
        }
    }

    @Test
    void thePrefixCacheBudgetIsASettingOfTheBackend() {
        assertThatThrownBy(() -> new CpuBackendProvider().validate(Settings.of("prefix-cache-mb", "-1")))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("prefix-cache-mb=-1");
        GraphObjective o = TinyGraphs.objective("vit", TinyGraphs.namedTail("vit"), 9, 5);
        try (Backend b = new CpuBackendProvider().create(Settings.empty())) {
            // the default: 512 MB, at most a quarter of the heap
            long budget = Math.min(512L << 20, Runtime.getRuntime().maxMemory() / 4 / (1 << 20) << 20);
            long perRow = 4L * o.graph().blockShapes().get(o.frozenPrefix()).size() + PrefixCache.ENTRY_OVERHEAD;
            assertThat(graphEvaluator(b, o).prefixCache().capacity()).isEqualTo((int) (budget / perRow));
        }
    }

    @Test
    void thePrefixCacheKeepsItsBudgetLeastRecentlyUsedFirst() {
        PrefixCache c = new PrefixCache(3L * (4 * 10 + PrefixCache.ENTRY_OVERHEAD), 10);
        assertThat(c.capacity()).isEqualTo(3);
        for (int row = 0; row < 3; row++) {
            c.put(row, new float[10]);
        }
        assertThat(c.get(0)).isNotNull(); // row 0 is now the most recently used
        c.put(3, new float[10]);
        assertThat(c.size()).isEqualTo(3);
        assertThat(c.get(1)).as("the least recently used row is evicted").isNull();
        assertThat(c.get(0)).isNotNull();
        PrefixCache off = new PrefixCache(0, 10);
        off.put(1, new float[10]);
        assertThat(off.get(1)).isNull();
    }

    @Test
    void assemblyMemoryIsFlatInTheDraws() {
        GraphObjective o = TinyGraphs.objective("vit", "all", 9, 8);
        float[] theta = o.initial();
        int[] draws = {16, 64};
        long[][] peak = new long[3][2];
        for (int threads = 1; threads <= 2; threads++) {
            try (Backend b = backend(64, threads, 16)) {
                CpuGraphEvaluator e = graphEvaluator(b, o);
                for (int k = 0; k < 2; k++) {
                    int points = 9;
                    int n = points * draws[k];
                    int[] rows = new int[n];
                    int[] streams = new int[n];
                    for (int r = 0; r < n; r++) {
                        rows[r] = r / draws[k];
                        streams[r] = NoiseStream.pointStream(r / draws[k], r % draws[k]);
                    }
                    int[] groupEnds = new int[points];
                    for (int p = 0; p < points; p++) {
                        groupEnds[p] = (p + 1) * draws[k];
                    }
                    ActivationPlan plan = new ActivationPlan(1, k, 0.05f, rows, streams, new boolean[n]);
                    e.evaluateAndAssemble(theta, plan, groupEnds, (from, to, losses, weights) -> {
                        for (int r = from; r < to; r++) {
                            weights[r] = losses[r];
                        }
                    }, new float[o.dimension()], false);
                    peak[threads][k] = e.takePeakKeptValues();
                }
            }
        }
        // 144 and 576 queries in chunks of 64 rows: one chunk alive per thread, whatever the draws
        assertThat(peak[1][0]).isGreaterThan(0);
        assertThat(peak[1][1]).as("1 thread: peak floats kept with %d vs %d draws", draws[1], draws[0])
                .isLessThanOrEqualTo(peak[1][0]);
        assertThat(peak[2][1]).as("2 threads: at most two chunks alive").isLessThanOrEqualTo(2 * peak[1][1]);
    }
}
