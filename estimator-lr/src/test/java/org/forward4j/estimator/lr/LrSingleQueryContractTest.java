package org.forward4j.estimator.lr;

import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.plugin.Settings;
import org.forward4j.tck.EstimatorContractTest;

/**
 * The tck's estimator contract for {@code lr} with one query per draw (no antithetic pairs) and the leave-one-out
 * baseline. Without a pair partner the estimate's variance grows like 1/s^2 (at s = 0.01, 6000 estimates could not
 * resolve a bias of |g|/4), so this runs at s = 0.1 with 20,000 estimates (about 2 s); the O(s^2) smoothing shift
 * stays below the check's resolution (worst coordinate 2.5 standard errors from the exact gradient, bound 5).
 */
class LrSingleQueryContractTest extends EstimatorContractTest {
    @Override
    protected GradientEstimatorProvider provider() {
        return new LrGradientEstimatorProvider();
    }

    @Override
    protected Settings settings() {
        return Settings.of("antithetic", "false", "sigma", "0.1");
    }

    @Override
    protected int unbiasednessSteps() {
        return 20000;
    }
}
