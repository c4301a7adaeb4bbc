package org.forward4j.estimator.rge;

import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.tck.EstimatorContractTest;

/** The tck's estimator contract for {@code rge} with its defaults (shared Gaussian directions). */
class RgeSharedContractTest extends EstimatorContractTest {
    @Override
    protected GradientEstimatorProvider provider() {
        return new RgeGradientEstimatorProvider();
    }
}
