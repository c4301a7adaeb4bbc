package org.forward4j.estimator.spsa;

import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.plugin.Settings;
import org.forward4j.tck.EstimatorContractTest;

/** The tck's estimator contract for {@code spsa} with per-point Rademacher directions. */
class SpsaPerPointContractTest extends EstimatorContractTest {
    @Override
    protected GradientEstimatorProvider provider() {
        return new SpsaGradientEstimatorProvider();
    }

    @Override
    protected Settings settings() {
        return Settings.of(SpsaGradientEstimatorProvider.DIRECTIONS, "per-point",
                SpsaGradientEstimatorProvider.DISTRIBUTION, "rademacher");
    }
}
