package org.forward4j.estimator.spi;

import java.util.Set;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.plugin.PluginProvider;

/**
 * Discoverable factory of a {@link GradientEstimator}; register implementations in
 * {@code META-INF/services/org.forward4j.estimator.spi.GradientEstimatorProvider}.
 */
public interface GradientEstimatorProvider extends PluginProvider<GradientEstimator> {

    /** The estimator SPI version this engine implements. */
    int SPI_VERSION = 2;

    /**
     * What the estimator declares; the engine checks the objective and the backend against it before training.
     *
     * @return the declared capabilities (none by default)
     */
    @Override
    default Set<EstimatorCapability> capabilities() {
        return Set.of();
    }
}
