package org.forward4j.backend.opencl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The device's noise-regenerating gradient assembly and noise energies match the reference
 * {@link ActivationPass} (1e-5 relative, norm-wise), on every path: layer inputs still resident, recomputed after
 * another plan, several chunks, and a simulated stale device buffer.
 */
class GradientParityTest {

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

    @Test
    void residentGradientMatchesTheReference() {
        long seed = 41;
        for (DenseNetwork net : LossParityTest.shapes()) {
            NetworkObjective obj = Fixtures.objective(net, 40, seed);
            float[] theta = Fixtures.theta(net, seed + 1);
            QueryEvaluator dev = backend.evaluator(obj);
            QueryEvaluator ref = new ReferenceQueryEvaluator(obj);
            for (ActivationPlan plan : LossParityTest.activationPlans(obj.size(), seed)) {
                double[] w = weights(plan.size(), seed);
                try (ActivationPass p = dev.evaluate(theta, plan)) {
                    ActivationPass r = ref.evaluate(theta, plan);
                    compare(p, r, w, net, seed, "resident");
                    assertEnergies(p.noiseEnergy(), r.noiseEnergy(), net, seed);
                }
            }
        }
    }

    @Test
    void gradientAddsToTheGivenVector() {
        long seed = 43;
        DenseNetwork net = Fixtures.net(Activation.RELU, 7, 13, 5);
        NetworkObjective obj = Fixtures.objective(net, 20, seed);
        float[] theta = Fixtures.theta(net, seed + 1);
        ActivationPlan plan = LossParityTest.activationPlans(obj.size(), seed).get(2);
        double[] w = weights(plan.size(), seed);
        float[] start = Fixtures.theta(net, seed + 2);
        float[] got = start.clone();
        float[] want = start.clone();
        backend.evaluator(obj).evaluate(theta, plan).accumulateGradient(w, got);
        new ReferenceQueryEvaluator(obj).evaluate(theta, plan).accumulateGradient(w, want);
        assertThat(relativeError(got, want)).as("seed %d", seed).isLessThan(TOL);
        float[] zero = new float[net.dimension()];
        backend.evaluator(obj).evaluate(theta, plan).accumulateGradient(new double[plan.size()], zero);
        assertThat(zero).as("all-zero row weights leave the gradient alone").containsOnly(0f);
    }

    @Test
    void supersededPassRecomputesItsForward() {
        long seed = 47;
        DenseNetwork net = Fixtures.net(Activation.TANH, 784, 33, 10);
        NetworkObjective obj = Fixtures.objective(net, 60, seed);
        float[] theta = Fixtures.theta(net, seed + 1);
        List<ActivationPlan> plans = LossParityTest.activationPlans(obj.size(), seed);
        QueryEvaluator dev = backend.evaluator(obj);
        QueryEvaluator ref = new ReferenceQueryEvaluator(obj);
        ActivationPass first = dev.evaluate(theta, plans.get(2));
        float[] other = Fixtures.theta(net, seed + 9);
        ActivationPass second = dev.evaluate(other, plans.get(3));
        double[] w = weights(plans.get(2).size(), seed);
        compare(first, ref.evaluate(theta, plans.get(2)), w, net, seed, "superseded");
        assertEnergies(first.noiseEnergy(), ref.evaluate(theta, plans.get(2)).noiseEnergy(), net, seed);
        compare(second, ref.evaluate(other, plans.get(3)), weights(plans.get(3).size(), seed + 1), net, seed,
                "superseded by the recomputation");
    }

    @Test
    void severalChunksMatchTheReference() {
        long seed = 53;
        DenseNetwork net = Fixtures.net(Activation.RELU, 70, 65, 64, 3);
        NetworkObjective obj = Fixtures.objective(net, 60, seed);
        float[] theta = Fixtures.theta(net, seed + 1);
        ActivationPlan plan = LossParityTest.activationPlans(obj.size(), seed).get(3);
        try (Backend small = Fixtures.backend("chunk-rows", "64")) {
            ActivationPass p = small.evaluator(obj).evaluate(theta, plan);
            ActivationPass r = new ReferenceQueryEvaluator(obj).evaluate(theta, plan);
            compare(p, r, weights(plan.size(), seed), net, seed, "chunks of 64 rows");
            assertEnergies(p.noiseEnergy(), r.noiseEnergy(), net, seed);
        }
    }

    @Test
    void gradientSplitIntoRowRangesMatchesTheReference() {
        // Plans of >= 512 rows split each layer's reduction over rows into several partial slices (the tiny
        // layers here have one output x input tile, far fewer than the device has compute units).
        long seed = 67;
        DenseNetwork net = Fixtures.net(Activation.TANH, 7, 13, 5);
        NetworkObjective obj = Fixtures.objective(net, 50, seed);
        float[] theta = Fixtures.theta(net, seed + 1);
        QueryEvaluator dev = backend.evaluator(obj);
        QueryEvaluator ref = new ReferenceQueryEvaluator(obj);
        for (int n : new int[] {1000, 1300}) {
            int[] rows = Fixtures.rows(n, obj.size(), seed + n);
            int[] streams = new int[n];
            boolean[] neg = new boolean[n];
            for (int i = 0; i < n; i++) {
                streams[i] = i / 2;
                neg[i] = i % 2 == 1;
            }
            ActivationPlan plan = new ActivationPlan(seed, 2, 0.05f, rows, streams, neg);
            try (ActivationPass p = dev.evaluate(theta, plan)) {
                compare(p, ref.evaluate(theta, plan), weights(n, seed), net, seed, n + " rows in row ranges");
            }
        }
    }

    @Test
    void staleDeviceBufferIsDetectedAndRecomputed() {
        long seed = 59;
        DenseNetwork net = Fixtures.net(Activation.TANH, 7, 13, 5);
        NetworkObjective obj = Fixtures.objective(net, 30, seed);
        float[] theta = Fixtures.theta(net, seed + 1);
        ActivationPlan plan = LossParityTest.activationPlans(obj.size(), seed).get(2);
        NetworkEvaluator dev = (NetworkEvaluator) backend.evaluator(obj);
        ActivationPass p = dev.evaluate(theta, plan);
        // What a buffer re-created from its Java array looks like on a discrete GPU: stale contents and stamp.
        NetworkKernel k = dev.kernel();
        Arrays.fill(k.acts, 0f);
        k.put(k.acts);
        compare(p, new ReferenceQueryEvaluator(obj).evaluate(theta, plan), weights(plan.size(), seed), net, seed,
                "stale layer inputs");
    }

    private static void compare(ActivationPass dev, ActivationPass ref, double[] w, DenseNetwork net, long seed,
                                String path) {
        float[] got = new float[net.dimension()];
        float[] want = new float[net.dimension()];
        dev.accumulateGradient(w, got);
        ref.accumulateGradient(w, want);
        assertThat(norm(want)).as("seed %d: reference gradient is not trivially zero", seed).isPositive();
        assertThat(relativeError(got, want)).as("seed %d, %s, %s path", seed, net, path).isLessThan(TOL);
    }

    private static void assertEnergies(double[] got, double[] want, DenseNetwork net, long seed) {
        assertThat(got).hasSameSizeAs(want);
        // The energy is sum(eps^2) - M for M noise elements: the difference of two numbers near M, so its error is
        // relative to M + |energy| (the float sum of squares), not to the small difference.
        int m = 0;
        for (int l = 0; l < net.layers(); l++) {
            m += net.out(l);
        }
        for (int i = 0; i < want.length; i++) {
            double scale = Math.max(1.0, m + Math.abs(want[i]));
            assertThat(Math.abs(got[i] - want[i])).as("seed %d, %s, query %d: energy %s vs %s", seed, net, i, got[i],
                    want[i]).isLessThanOrEqualTo(TOL * scale);
        }
    }

    /** Row weights like a baseline-subtracted loss: mixed signs, some zeros. */
    static double[] weights(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed * 31 + n);
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = i % 5 == 3 ? 0.0 : (rnd.nextDouble() - 0.4) * 3;
        }
        if (n == 1) {
            w[0] = 0.7;
        }
        return w;
    }

    static double relativeError(float[] got, float[] want) {
        double d = 0;
        for (int i = 0; i < want.length; i++) {
            double e = got[i] - want[i];
            d += e * e;
        }
        return Math.sqrt(d) / norm(want);
    }

    static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }
}
