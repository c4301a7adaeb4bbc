package org.forward4j.estimator.lr;

import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.tck.EstimatorContractTest;

/**
 * The tck's estimator contract for {@code lr} with its defaults (s = 0.01, antithetic pairs, leave-one-out
 * baseline): at s = 0.01 the smoothing shift of the estimated gradient, O(s^2), is far below the check's
 * resolution.
 */
class LrContractTest extends EstimatorContractTest {
    @Override
    protected GradientEstimatorProvider provider() {
        return new LrGradientEstimatorProvider();
    }
}
