package org.forward4j.allocator.optimal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.forward4j.allocator.spi.AllocatorCapability;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.PluginProvider;
import org.forward4j.plugin.Settings;
import org.junit.jupiter.api.Test;

/** Provider metadata, discovery and settings validation of {@code optimal} and {@code neyman}. */
class ProvidersTest {

    @Test
    void bothAreDiscoveredThroughServiceLoader() {
        var byName = ServiceLoader.load(QueryAllocatorProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .collect(Collectors.toMap(QueryAllocatorProvider::name, p -> p));
        assertThat(byName).containsKeys("optimal", "neyman", "uniform");
        assertThat(byName.get("optimal")).isInstanceOf(OptimalQueryAllocatorProvider.class);
        assertThat(byName.get("neyman")).isInstanceOf(NeymanQueryAllocatorProvider.class);
    }

    @Test
    void metadata() {
        for (QueryAllocatorProvider p : new QueryAllocatorProvider[] {new OptimalQueryAllocatorProvider(),
                new NeymanQueryAllocatorProvider()}) {
            assertThat(PluginProvider.isValidName(p.name())).isTrue();
            assertThat(p.spiVersion()).isEqualTo(QueryAllocatorProvider.SPI_VERSION);
            assertThat(p.capabilities()).containsExactly(AllocatorCapability.LEARNS_FROM_STATISTICS);
            assertThat(p.description()).isNotBlank();
        }
    }

    @Test
    void optimalReportsEveryBadSettingAtOnce() {
        assertThatThrownBy(() -> new OptimalQueryAllocatorProvider().create(
                Settings.of("beta", "-1", "jitter", "abc", "betta", "0.2", "initial-log-s", "9")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("Invalid settings for allocator 'optimal': ")
                .hasMessageContaining("beta=-1 must be positive; use a learning rate such as 0.1")
                .hasMessageContaining("jitter=abc is not a number")
                .hasMessageContaining("initial-log-s=9 is out of range; use a number in [-10.0, 5.0]")
                .hasMessageContaining("unknown setting 'betta' (did you mean 'beta'?); known settings are [beta, jitter, initial-a, "
                        + "initial-b, initial-log-s, initial-log-l]");
    }

    @Test
    void optimalRejectsANonNumericBeta() {
        assertThatThrownBy(() -> new OptimalQueryAllocatorProvider().create(Settings.of("beta", "abc")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Invalid settings for allocator 'optimal': beta=abc is not a number; use a number in ["
                        + -Double.MAX_VALUE + ", " + Double.MAX_VALUE + "]");
    }

    @Test
    void optimalRejectsAZeroJitter() {
        assertThatThrownBy(() -> new OptimalQueryAllocatorProvider().create(Settings.of("jitter", "0")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Invalid settings for allocator 'optimal': jitter=0 must be positive; use a small value "
                        + "such as 0.001");
    }

    @Test
    void optimalAcceptsItsSettings() {
        var allocator = (OptimalQueryAllocator) new OptimalQueryAllocatorProvider().create(Settings.of("beta", "0.05",
                "jitter", "1e-4", "initial-a", "0.5", "initial-b", "2", "initial-log-s", "-2", "initial-log-l", "0.3"));
        assertThat(allocator.phi()).containsExactly(0.5, 2, -2, 0.3);
        assertThat(((OptimalQueryAllocator) new OptimalQueryAllocatorProvider().create(Settings.empty())).phi())
                .containsExactly(0, 1, -1.5, 0);
    }

    @Test
    void neymanReportsEveryBadSettingAtOnce() {
        assertThatThrownBy(() -> new NeymanQueryAllocatorProvider().create(
                Settings.of("decay", "1", "floor", "2", "flor", "0.1")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Invalid settings for allocator 'neyman': decay=1 would never update a point's variance; "
                        + "use a number in [0, 1), such as 0.5; floor=2 is out of range; use a number in [0.0, 1.0]; "
                        + "unknown setting 'flor' (did you mean 'floor'?); known settings are [decay, floor]");
    }
}
