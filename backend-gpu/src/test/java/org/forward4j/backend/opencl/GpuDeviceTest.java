package org.forward4j.backend.opencl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.forward4j.backend.Backend;
import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Needs a real GPU: {@code auto} must pick it, report it as a GPU, and compute the same as the reference there. */
@Tag("gpu")
class GpuDeviceTest {

    @Test
    void autoPrefersTheGpuAndMatchesTheReference() {
        BackendProvider.Availability a = new OpenClBackendProvider().availability();
        assumeTrue(a.available() && a.gpu(), () -> "no OpenCL GPU: " + a.detail());
        DenseNetwork net = new DenseNetwork(new int[] {784, 256, 10}, Activation.RELU);
        NetworkObjective obj = Fixtures.objective(net, 300, 61);
        float[] theta = Fixtures.theta(net, 62);
        try (Backend b = Fixtures.backend("device-type", "gpu")) {
            assertThat(b.device()).contains("(GPU,");
            ActivationPlan plan = LossParityTest.activationPlans(obj.size(), 61).get(3);
            try (ActivationPass p = b.evaluator(obj).evaluate(theta, plan)) {
                ActivationPass r = new ReferenceQueryEvaluator(obj).evaluate(theta, plan);
                double[] got = p.losses();
                double[] want = r.losses();
                for (int i = 0; i < want.length; i++) {
                    assertThat(Fixtures.close(got[i], want[i], 1e-5)).as("seed 61, query %d", i).isTrue();
                }
                float[] g = new float[net.dimension()];
                float[] w = new float[net.dimension()];
                double[] rw = GradientParityTest.weights(plan.size(), 61);
                p.accumulateGradient(rw, g);
                r.accumulateGradient(rw, w);
                assertThat(GradientParityTest.relativeError(g, w)).as("seed 61").isLessThan(1e-5);
            }
        }
    }
}
