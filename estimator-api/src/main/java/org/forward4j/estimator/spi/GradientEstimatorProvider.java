package org.forward4j.estimator.spi;

import org.forward4j.estimator.GradientEstimator;
import org.forward4j.plugin.PluginProvider;

/**
 * Discoverable factory of a {@link GradientEstimator}; register implementations in
 * {@code META-INF/services/org.forward4j.estimator.spi.GradientEstimatorProvider}.
 */
public interface GradientEstimatorProvider extends PluginProvider<GradientEstimator> {

    /** The estimator SPI version this engine implements. */
    int SPI_VERSION = 1;

    /** Capability: works on any black-box {@link org.forward4j.estimator.Objective}. */
    String BLACK_BOX = "black-box";

    /** Capability: needs a {@link org.forward4j.estimator.NetworkObjective} and activation-noise plans. */
    String ACTIVATION_NOISE = "activation-noise";
}
