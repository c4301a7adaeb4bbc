package org.forward4j.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.ActivationResult;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.DirectionWeigher;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.RowWeigher;
import org.forward4j.estimator.Streaming;
import org.forward4j.estimator.StreamingQueryEvaluator;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.Settings;
import org.forward4j.plugin.UnsupportedCapabilityException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The ND4J backend must agree with the plain-Java reference on every plan kind. */
class CpuBackendParityTest {

    private static NetworkObjective objective(int[] sizes, Activation act, int rows, long seed) {
        DenseNetwork net = new DenseNetwork(sizes, act);
        float[] x = new float[rows * sizes[0]];
        new NoiseStream(seed, 9, 9, 9).fill(NoiseStream.Distribution.GAUSSIAN, x, 0, x.length, 0);
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = (i * 7 + 3) % net.classes();
        }
        return Networks.objective(net, x, labels);
    }

    private static float[] theta(int d, long seed) {
        float[] t = new float[d];
        new NoiseStream(seed, 1, 2, 3).fill(NoiseStream.Distribution.GAUSSIAN, t, 0, d, 0);
        for (int i = 0; i < d; i++) {
            t[i] *= 0.3f;
        }
        return t;
    }

    private static QueryEvaluator cpu(Objective o, int chunk) {
        return new CpuBackendProvider().create(Settings.of("chunk-rows", Integer.toString(chunk))).evaluator(o);
    }

    @ParameterizedTest
    @CsvSource({"7-13-5,RELU,3", "3-1-2,TANH,1", "1-1,IDENTITY,2", "20-33-17-4,RELU,5"})
    void weightPlansMatchReference(String shape, Activation act, int chunk) {
        int[] sizes = java.util.Arrays.stream(shape.split("-")).mapToInt(Integer::parseInt).toArray();
        NetworkObjective o = objective(sizes, act, 11, 5);
        float[] theta = theta(o.dimension(), 17);
        WeightPlan plan = new WeightPlan(42, 3, NoiseStream.Distribution.GAUSSIAN, List.of(
                new WeightQuery(0, 1e-2f, new int[] {0, 1, 2, 10}),
                new WeightQuery(0, -1e-2f, new int[] {0, 1, 2, 10}),
                new WeightQuery(5, 0.5f, new int[] {4}),
                new WeightQuery(0, 0f, new int[] {3, 3, 9})));
        double[][] ref = new ReferenceQueryEvaluator(o).evaluate(theta, plan);
        double[][] got = cpu(o, chunk).evaluate(theta, plan);
        for (int q = 0; q < ref.length; q++) {
            for (int k = 0; k < ref[q].length; k++) {
                assertThat(got[q][k]).as("query %d row %d", q, k).isCloseTo(ref[q][k],
                        within(1e-5 * Math.max(1, Math.abs(ref[q][k]))));
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"7-13-5,RELU,4", "3-1-2,TANH,1", "20-33-17-4,TANH,64"})
    void activationPlansAndGradientAssemblyMatchReference(String shape, Activation act, int chunk) {
        int[] sizes = java.util.Arrays.stream(shape.split("-")).mapToInt(Integer::parseInt).toArray();
        NetworkObjective o = objective(sizes, act, 9, 6);
        float[] theta = theta(o.dimension(), 18);
        int n = 10;
        int[] rows = new int[n];
        int[] streams = new int[n];
        boolean[] neg = new boolean[n];
        double[] w = new double[n];
        for (int r = 0; r < n; r++) {
            rows[r] = (r * 5) % 9;
            streams[r] = r / 2;
            neg[r] = r % 2 == 1;
            w[r] = Math.sin(r + 1.0);
        }
        ActivationPlan plan = new ActivationPlan(7, 2, 0.05f, rows, streams, neg);
        ActivationPass ref = new ReferenceQueryEvaluator(o).evaluate(theta, plan);
        ActivationPass got = cpu(o, chunk).evaluate(theta, plan);
        double[] lr = ref.losses();
        double[] lg = got.losses();
        for (int r = 0; r < n; r++) {
            assertThat(lg[r]).as("row %d", r).isCloseTo(lr[r], within(1e-5 * Math.max(1, Math.abs(lr[r]))));
        }
        float[] gr = new float[o.dimension()];
        float[] gg = new float[o.dimension()];
        ref.accumulateGradient(w, gr);
        got.accumulateGradient(w, gg);
        double diff = 0;
        double norm = 0;
        for (int k = 0; k < gr.length; k++) {
            diff += (gr[k] - gg[k]) * (double) (gr[k] - gg[k]);
            norm += gr[k] * (double) gr[k];
        }
        assertThat(Math.sqrt(diff)).isLessThanOrEqualTo(1e-5 * Math.sqrt(norm));
        double[] er = ref.noiseEnergy();
        double[] eg = got.noiseEnergy();
        for (int r = 0; r < n; r++) {
            assertThat(eg[r]).isCloseTo(er[r], within(1e-4 * Math.max(1, Math.abs(er[r]))));
        }
    }

    @ParameterizedTest
    @CsvSource({"7-13-5,RELU,4", "3-1-2,TANH,1", "20-33-17-4,TANH,64", "20-33-17-4,RELU,3"})
    void activationPlansAssembledWhileRunningMatchReferenceAndAnyThreadCount(String shape, Activation act,
            int chunk) {
        int[] sizes = java.util.Arrays.stream(shape.split("-")).mapToInt(Integer::parseInt).toArray();
        NetworkObjective o = objective(sizes, act, 9, 6);
        float[] theta = theta(o.dimension(), 19);
        // groups of 2, 6 and 4 rows (one point each: same data row), so a group can exceed the chunk
        int[] groupEnds = {2, 8, 12};
        int n = 12;
        int[] rows = new int[n];
        int[] streams = new int[n];
        boolean[] neg = new boolean[n];
        for (int r = 0; r < n; r++) {
            int g = r < 2 ? 0 : r < 8 ? 1 : 2;
            rows[r] = 2 * g + 1;
            streams[r] = r / 2;
            neg[r] = r % 2 == 1;
        }
        ActivationPlan plan = new ActivationPlan(7, 2, 0.05f, rows, streams, neg);
        // a weigher that needs the whole group: each row minus its group's mean loss
        RowWeigher weigher = (from, to, losses, weights) -> {
            double mean = 0;
            for (int r = from; r < to; r++) {
                mean += losses[r] / (to - from);
            }
            for (int r = from; r < to; r++) {
                weights[r] = (losses[r] - mean + 0.1 * r) / n;
            }
        };
        float[] gr = new float[o.dimension()];
        ActivationResult ref = Streaming.evaluateAndAssemble(new ReferenceQueryEvaluator(o), theta, plan, groupEnds, weigher,
                gr, true);
        float[] one = new float[o.dimension()];
        ActivationResult got = streaming(new CpuBackendProvider().create(Settings.of("chunk-rows",
                Integer.toString(chunk), "threads", "1")).evaluator(o)).evaluateAndAssemble(theta, plan, groupEnds, weigher, one, true);
        float[] two = new float[o.dimension()];
        ActivationResult got2 = streaming(new CpuBackendProvider().create(Settings.of("chunk-rows",
                Integer.toString(chunk), "threads", "2")).evaluator(o)).evaluateAndAssemble(theta, plan, groupEnds, weigher, two, true);
        assertThat(two).as("1 vs 2 threads").containsExactly(one);
        assertThat(got2.losses()).containsExactly(got.losses());
        for (int r = 0; r < n; r++) {
            double want = ref.losses()[r];
            assertThat(got.losses()[r]).as("row %d", r).isCloseTo(want, within(1e-5 * Math.max(1, Math.abs(want))));
            assertThat(got.weights()[r]).as("weight %d", r).isCloseTo(ref.weights()[r], within(1e-5));
            assertThat(got.noiseEnergy()[r]).as("energy %d", r).isCloseTo(ref.noiseEnergy()[r],
                    within(1e-4 * Math.max(1, Math.abs(ref.noiseEnergy()[r]))));
        }
        double diff = 0;
        double norm = 0;
        for (int k = 0; k < gr.length; k++) {
            diff += (gr[k] - one[k]) * (double) (gr[k] - one[k]);
            norm += gr[k] * (double) gr[k];
        }
        assertThat(norm).isGreaterThan(0.0);
        assertThat(Math.sqrt(diff)).isLessThanOrEqualTo(1e-5 * Math.sqrt(norm));
    }

    @ParameterizedTest
    @CsvSource({"7-13-5,RELU,3", "20-33-17-4,TANH,2"})
    void directionTermsAddedWhileEvaluatingMatchRegenerationAndAnyThreadCount(String shape, Activation act,
            int chunk) {
        int[] sizes = java.util.Arrays.stream(shape.split("-")).mapToInt(Integer::parseInt).toArray();
        NetworkObjective o = objective(sizes, act, 11, 5);
        float[] theta = theta(o.dimension(), 21);
        List<WeightQuery> queries = new java.util.ArrayList<>();
        for (int j = 0; j < 6; j++) {
            int[] rows = {j, (j + 3) % 11, 10};
            queries.add(new WeightQuery(j, 1e-2f, rows));
            queries.add(new WeightQuery(j, -1e-2f, rows));
        }
        queries.add(new WeightQuery(99, 0f, new int[] {1, 2})); // a clean run: never weighed
        WeightPlan plan = new WeightPlan(42, 3, NoiseStream.Distribution.GAUSSIAN, queries);
        DirectionWeigher weigher = (from, to, losses) -> {
            double c = 0;
            for (int k = 0; k < losses[from].length; k++) {
                c += (losses[from][k] - losses[from + 1][k]) / 2e-2;
            }
            return from == 4 ? 0.0 : c; // direction 2 adds nothing
        };
        float[] want = new float[o.dimension()];
        double[][] ref = Streaming.evaluateAndCombine(new ReferenceQueryEvaluator(o), theta, plan, weigher, want);
        float[][] got = new float[2][o.dimension()];
        for (int t = 1; t <= 2; t++) {
            double[][] losses = streaming(new CpuBackendProvider().create(Settings.of("chunk-rows",
                    Integer.toString(chunk), "threads", Integer.toString(t))).evaluator(o)).evaluateAndCombine(theta, plan, weigher, got[t - 1]);
            for (int q = 0; q < ref.length; q++) {
                for (int k = 0; k < ref[q].length; k++) {
                    assertThat(losses[q][k]).isCloseTo(ref[q][k], within(1e-5 * Math.max(1, Math.abs(ref[q][k]))));
                }
            }
        }
        assertThat(got[1]).as("1 vs 2 threads").containsExactly(got[0]);
        double diff = 0;
        double norm = 0;
        for (int k = 0; k < want.length; k++) {
            diff += (want[k] - got[0][k]) * (double) (want[k] - got[0][k]);
            norm += want[k] * (double) want[k];
        }
        assertThat(norm).isGreaterThan(0.0);
        assertThat(Math.sqrt(diff)).isLessThanOrEqualTo(1e-4 * Math.sqrt(norm));
    }

    @Test
    void groupEndsThatDoNotPartitionThePlanAreRejected() {
        NetworkObjective o = objective(new int[] {3, 4, 2}, Activation.RELU, 5, 3);
        ActivationPlan plan = new ActivationPlan(1, 0, 0.1f, new int[] {0, 1, 2}, new int[] {0, 1, 2},
                new boolean[3]);
        float[] g = new float[o.dimension()];
        StreamingQueryEvaluator cpu = streaming(cpu(o, 2));
        assertThatThrownBy(() -> cpu.evaluateAndAssemble(new float[o.dimension()], plan, new int[] {2, 2, 3},
                (a, b, c, d) -> { }, g, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("group end 1 is 2");
        assertThatThrownBy(() -> cpu.evaluateAndAssemble(new float[o.dimension()], plan, new int[] {1, 2},
                (a, b, c, d) -> { }, g, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("groups end at row 2 but the plan has 3 rows");
    }

    @Test
    void blackBoxObjectivesRunThroughLossesAndRejectActivationNoise() {
        Objective quad = new Objective() {
            @Override
            public int dimension() {
                return 3;
            }

            @Override
            public int size() {
                return 2;
            }

            @Override
            public void losses(float[] p, int[] rows, double[] out) {
                for (int k = 0; k < rows.length; k++) {
                    out[k] = p[0] * p[0] + p[1] + rows[k] * p[2];
                }
            }

            @Override
            public String toString() {
                return "quadratic";
            }
        };
        QueryEvaluator ev = cpu(quad, 8);
        WeightPlan plan = new WeightPlan(1, 0, NoiseStream.Distribution.RADEMACHER,
                List.of(new WeightQuery(2, 0.5f, new int[] {0, 1}), new WeightQuery(0, 0f, new int[] {1})));
        float[] theta = {1f, 2f, 3f};
        assertThat(ev.evaluate(theta, plan)).isDeepEqualTo(new ReferenceQueryEvaluator(quad).evaluate(theta, plan));
        assertThatThrownBy(() -> ev.evaluate(theta, new ActivationPlan(1, 0, 0.1f, new int[] {0}, new int[] {0},
                new boolean[] {false}))).isInstanceOf(UnsupportedCapabilityException.class)
                .hasMessageContaining("quadratic is a black box").hasMessageContaining("spsa or rge");
    }

    /** The cpu backend's network evaluators stream (the optional interface of the SPI). */
    private static StreamingQueryEvaluator streaming(QueryEvaluator evaluator) {
        assertThat(evaluator).isInstanceOf(StreamingQueryEvaluator.class);
        return (StreamingQueryEvaluator) evaluator;
    }
}
