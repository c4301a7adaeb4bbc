package org.forward4j.estimator.spsa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.spi.EstimatorCapability;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.Settings;
import org.junit.jupiter.api.Test;

/** Defaults and settings validation (discovery, name and SPI version: the tck contract tests) of {@code spsa}. */
class SpsaGradientEstimatorProviderTest {

    private final SpsaGradientEstimatorProvider provider = new SpsaGradientEstimatorProvider();

    @Test
    void defaultsAreSharedGaussianWithScaleOneThousandth() {
        GradientEstimator estimator = provider.create(Settings.empty());
        assertThat(provider.capabilities()).containsExactly(EstimatorCapability.BLACK_BOX);
        assertThat(estimator).hasToString("spsa(scale=0.001, directions=shared, distribution=gaussian)");
        assertThat(estimator.cost()).isEqualTo(new EstimatorCost(2, 0));
        assertThat(estimator.independentPerPoint()).isFalse();
    }

    @Test
    void readsEverySetting() {
        GradientEstimator estimator = provider.create(Settings.of("scale", "0.01", "directions", "per-point",
                "distribution", "rademacher"));
        assertThat(estimator).hasToString("spsa(scale=0.01, directions=per-point, distribution=rademacher)");
        assertThat(estimator.independentPerPoint()).isTrue();
    }

    @Test
    void aZeroScaleIsRejected() {
        assertThatThrownBy(() -> provider.create(Settings.of("scale", "0")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Invalid settings for estimator 'spsa': scale=0 must be > 0 (and not round to 0 as a "
                        + "float): it is the finite-difference step s; the default is 0.001");
        assertThatThrownBy(() -> provider.create(Settings.of("scale", "1e-50")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("scale=1e-50 must be > 0");
    }

    @Test
    void aNegativeOrMalformedScaleIsRejected() {
        assertThatThrownBy(() -> provider.create(Settings.of("scale", "-1")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Invalid settings for estimator 'spsa': scale=-1 is out of range; use a number in "
                        + "[0.0, 1000000.0]");
        assertThatThrownBy(() -> provider.create(Settings.of("scale", "small")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("scale=small is not a number");
    }

    @Test
    void unknownChoicesListTheAlternatives() {
        assertThatThrownBy(() -> provider.create(Settings.of("directions", "diagonal")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Invalid settings for estimator 'spsa': directions=diagonal is not one of "
                        + "[shared, per-point]");
        assertThatThrownBy(() -> provider.create(Settings.of("distribution", "sphere")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Invalid settings for estimator 'spsa': distribution=sphere is not one of "
                        + "[gaussian, rademacher]");
    }

    @Test
    void everyProblemIsReportedAtOnceIncludingUnknownKeys() {
        assertThatThrownBy(() -> provider.create(Settings.of("scale", "-1", "directions", "x", "sigma", "0.1")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("scale=-1 is out of range")
                .hasMessageContaining("directions=x is not one of [shared, per-point]")
                .hasMessageContaining("unknown setting 'sigma'; known settings are [scale, directions, "
                        + "distribution]");
    }
}
