package com.example.forward4j;

import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.tck.EstimatorContractTest;

/** Runs the forward4j estimator contract on {@code forward-diff}. */
class ForwardDifferenceContractTest extends EstimatorContractTest {
    @Override
    protected GradientEstimatorProvider provider() {
        return new ForwardDifferenceEstimatorProvider();
    }
}
