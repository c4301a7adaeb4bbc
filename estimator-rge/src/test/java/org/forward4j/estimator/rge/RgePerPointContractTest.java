package org.forward4j.estimator.rge;

import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.plugin.Settings;
import org.forward4j.tck.EstimatorContractTest;

/** The tck's estimator contract for {@code rge} with per-point directions on the sphere of radius sqrt(d). */
class RgePerPointContractTest extends EstimatorContractTest {
    @Override
    protected GradientEstimatorProvider provider() {
        return new RgeGradientEstimatorProvider();
    }

    @Override
    protected Settings settings() {
        return Settings.of(RgeGradientEstimatorProvider.DIRECTIONS, "per-point",
                RgeGradientEstimatorProvider.DISTRIBUTION, "sphere");
    }
}
