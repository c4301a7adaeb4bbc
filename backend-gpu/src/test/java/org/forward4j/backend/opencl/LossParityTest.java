package org.forward4j.backend.opencl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.forward4j.backend.Backend;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.noise.NoiseStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Per-query losses on the device match {@link ReferenceQueryEvaluator} (1e-5 relative, or absolute near 0). */
class LossParityTest {

    private static final double TOL = 1e-5;
    private static Backend backend;

    @BeforeAll
    static void setUp() {
        Fixtures.assumeOpenCl();
        backend = Fixtures.backend();
    }

    @AfterAll
    static void tearDown() {
        if (backend != null) {
            backend.close();
        }
    }

    static List<DenseNetwork> shapes() {
        return List.of(
                Fixtures.net(Activation.RELU, 7, 13, 5),
                Fixtures.net(Activation.TANH, 7, 13, 5),
                Fixtures.net(Activation.RELU, 3, 1, 2),
                Fixtures.net(Activation.IDENTITY, 1, 1),
                Fixtures.net(Activation.TANH, 784, 33, 10),
                Fixtures.net(Activation.RELU, 70, 65, 64, 3));
    }

    @Test
    void activationPlansMatchTheReference() {
        long seed = 11;
        for (DenseNetwork net : shapes()) {
            NetworkObjective obj = Fixtures.objective(net, 40, seed);
            float[] theta = Fixtures.theta(net, seed + 1);
            QueryEvaluator dev = backend.evaluator(obj);
            QueryEvaluator ref = new ReferenceQueryEvaluator(obj);
            for (ActivationPlan plan : activationPlans(obj.size(), seed)) {
                double[] got;
                try (ActivationPass p = dev.evaluate(theta, plan)) {
                    got = p.losses();
                }
                double[] want = ref.evaluate(theta, plan).losses();
                assertThat(got).hasSameSizeAs(want);
                for (int i = 0; i < want.length; i++) {
                    assertThat(Fixtures.close(got[i], want[i], TOL))
                            .as("seed %d, %s, plan of %d rows, sigma %s, query %d: %s vs reference %s", seed, net,
                                    plan.size(), plan.sigma(), i, got[i], want[i])
                            .isTrue();
                }
            }
        }
    }

    @Test
    void weightPlansMatchTheReference() {
        long seed = 23;
        for (DenseNetwork net : shapes()) {
            NetworkObjective obj = Fixtures.objective(net, 50, seed);
            float[] theta = Fixtures.theta(net, seed + 1);
            QueryEvaluator dev = backend.evaluator(obj);
            QueryEvaluator ref = new ReferenceQueryEvaluator(obj);
            for (NoiseStream.Distribution dist : NoiseStream.Distribution.values()) {
                WeightPlan plan = weightPlan(obj.size(), seed, dist);
                double[][] got = dev.evaluate(theta, plan);
                double[][] want = ref.evaluate(theta, plan);
                assertThat(got.length).isEqualTo(want.length);
                for (int q = 0; q < want.length; q++) {
                    assertThat(got[q]).hasSameSizeAs(want[q]);
                    for (int i = 0; i < want[q].length; i++) {
                        assertThat(Fixtures.close(got[q][i], want[q][i], TOL))
                                .as("seed %d, %s, %s directions, query %d row %d: %s vs reference %s", seed, net,
                                        dist, q, i, got[q][i], want[q][i])
                                .isTrue();
                    }
                }
            }
        }
    }

    @Test
    void plainForwardMatchesTheObjective() {
        DenseNetwork net = Fixtures.net(Activation.RELU, 784, 33, 10);
        NetworkObjective obj = Fixtures.objective(net, 70, 5);
        float[] theta = Fixtures.theta(net, 6);
        NetworkEvaluator dev = (NetworkEvaluator) backend.evaluator(obj);
        int[] rows = Fixtures.rows(130, obj.size(), 7);
        double[] got = dev.plainLosses(theta, rows);
        double[] want = new double[rows.length];
        obj.losses(theta, rows, want);
        for (int i = 0; i < rows.length; i++) {
            assertThat(Fixtures.close(got[i], want[i], TOL)).as("seed 5, row %d: %s vs %s", i, got[i], want[i])
                    .isTrue();
        }
    }

    @Test
    void smallChunksGiveTheSameLosses() {
        DenseNetwork net = Fixtures.net(Activation.TANH, 9, 70, 4);
        NetworkObjective obj = Fixtures.objective(net, 30, 3);
        float[] theta = Fixtures.theta(net, 4);
        try (Backend small = Fixtures.backend("chunk-rows", "64", "weight-buffer-mb", "1")) {
            QueryEvaluator dev = small.evaluator(obj);
            QueryEvaluator ref = new ReferenceQueryEvaluator(obj);
            ActivationPlan plan = activationPlans(obj.size(), 3).get(3);
            double[] got = dev.evaluate(theta, plan).losses();
            double[] want = ref.evaluate(theta, plan).losses();
            for (int i = 0; i < want.length; i++) {
                assertThat(Fixtures.close(got[i], want[i], TOL)).as("seed 3, query %d", i).isTrue();
            }
            WeightPlan wp = weightPlan(obj.size(), 3, NoiseStream.Distribution.GAUSSIAN);
            double[][] gw = dev.evaluate(theta, wp);
            double[][] ww = ref.evaluate(theta, wp);
            for (int q = 0; q < ww.length; q++) {
                for (int i = 0; i < ww[q].length; i++) {
                    assertThat(Fixtures.close(gw[q][i], ww[q][i], TOL)).as("seed 3, query %d row %d", q, i).isTrue();
                }
            }
        }
    }

    /** One row; repeated rows; antithetic pairs; a large mixed plan; a tiny and a large sigma. */
    static List<ActivationPlan> activationPlans(int size, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<ActivationPlan> plans = new ArrayList<>();
        plans.add(new ActivationPlan(seed, 3, 0.1f, new int[] {size - 1}, new int[] {0}, new boolean[] {false}));
        plans.add(new ActivationPlan(seed, 4, 0.5f, new int[] {2, 2, 2, 2}, new int[] {0, 1, 2, 0},
                new boolean[] {false, false, true, true}));
        int n = 150;
        int[] rows = new int[n];
        int[] streams = new int[n];
        boolean[] neg = new boolean[n];
        for (int i = 0; i < n; i++) {
            rows[i] = rnd.nextInt(size);
            streams[i] = i / 2 + 7;
            neg[i] = i % 2 == 1;
        }
        plans.add(new ActivationPlan(seed ^ 0x5DEECE66DL, 1 << 20, 0.01f, rows, streams, neg));
        plans.add(new ActivationPlan(-seed, 9, 2f, rows, streams, neg));
        return plans;
    }

    /** Shared directions, repeated directions with +-scale, a clean query, a one-row query, an empty query. */
    static WeightPlan weightPlan(int size, long seed, NoiseStream.Distribution dist) {
        List<WeightQuery> q = new ArrayList<>();
        int[] batch = Fixtures.rows(90, size, seed);
        q.add(new WeightQuery(0, 1e-2f, batch));
        q.add(new WeightQuery(0, -1e-2f, batch));
        q.add(new WeightQuery(5, 0f, batch));
        q.add(new WeightQuery(3, 0.3f, new int[] {1}));
        q.add(new WeightQuery(4, 0.3f, new int[0]));
        q.add(new WeightQuery(1, 1e-3f, new int[] {0, 0, 1, 1, size - 1}));
        return new WeightPlan(seed, 17, dist, q);
    }
}
