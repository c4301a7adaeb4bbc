package org.forward4j.estimator.spsa;

import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.tck.EstimatorContractTest;

/** The tck's estimator contract for {@code spsa} with its defaults (shared directions, Gaussian). */
class SpsaSharedContractTest extends EstimatorContractTest {
    @Override
    protected GradientEstimatorProvider provider() {
        return new SpsaGradientEstimatorProvider();
    }
}
