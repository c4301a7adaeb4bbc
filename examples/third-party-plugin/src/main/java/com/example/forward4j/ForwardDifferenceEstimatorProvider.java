package com.example.forward4j;

import java.util.Set;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.spi.EstimatorCapability;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.plugin.Settings;

/**
 * Provides {@code forward-diff}: one-sided simultaneous-perturbation differences from each point's clean loss,
 * {@code p_ij = (l_i(theta + s z_ij) - l_i(theta)) / s} and {@code g = (1/B) sum_i (1/A_i) sum_j p_ij z_ij}, with
 * independent Rademacher directions per point. Works on any black-box objective; costs 1 query per draw plus 1
 * clean query per point and step.
 *
 * <p>Setting (optional): {@code scale}, the step s, a number in [1e-6, 1], default 1e-3.
 */
public final class ForwardDifferenceEstimatorProvider implements GradientEstimatorProvider {

    /** Creates the provider; ServiceLoader needs this public no-arg constructor. */
    public ForwardDifferenceEstimatorProvider() {
    }

    @Override
    public String name() {
        return "forward-diff";
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String description() {
        return "one-sided differences from the clean loss, per-point Rademacher directions (example third-party "
                + "plugin)";
    }

    @Override
    public Set<EstimatorCapability> capabilities() {
        return Set.of(EstimatorCapability.BLACK_BOX);
    }

    @Override
    public GradientEstimator create(Settings settings) {
        Settings.Reader reader = settings.reader("estimator 'forward-diff'");
        double scale = reader.doubleValue("scale", 1e-3, 1e-6, 1.0);
        reader.finish();
        return new ForwardDifferenceEstimator((float) scale);
    }
}
