package org.forward4j.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.PluginProvider;
import org.forward4j.plugin.Settings;

/** The provider checks shared by the three contract tests: registration, discovery, name, version, settings. */
final class ProviderChecks {

    /** A key no plugin reads, so {@code Settings.Reader#finish()} must report it. */
    static final String UNKNOWN_KEY = "tck-no-such-setting";

    private ProviderChecks() {
    }

    /**
     * The provider's class is listed in {@code META-INF/services/<spi>} on the test classpath, ServiceLoader can
     * instantiate it, the instance reports the same name, and no other provider of the kind claims that name.
     */
    static <P extends PluginProvider<?>> void discoverable(Class<P> spi, P provider) {
        Class<?> type = provider.getClass();
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) {
            loader = type.getClassLoader();
        }
        String servicesFile = "META-INF/services/" + spi.getName();
        List<ServiceLoader.Provider<P>> handles = new ArrayList<>();
        List<String> broken = new ArrayList<>();
        var it = ServiceLoader.load(spi, loader).stream().iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                handles.add(it.next());
            } catch (ServiceConfigurationError e) {
                broken.add(e.toString());
            }
        }
        ServiceLoader.Provider<P> own = handles.stream().filter(h -> h.type() == type).findFirst().orElse(null);
        assertThat(own)
                .as("%s is not registered: add a line '%s' to src/main/resources/%s (other entries that failed to "
                        + "load: %s)", type.getName(), type.getName(), servicesFile, broken)
                .isNotNull();
        P discovered = own.get();
        assertThat(discovered.name())
                .as("the instance ServiceLoader built from %s reports another name than provider()", servicesFile)
                .isEqualTo(provider.name());
        for (ServiceLoader.Provider<P> h : handles) {
            if (h.type() == type) {
                continue;
            }
            String other;
            try {
                other = h.get().name();
            } catch (RuntimeException | ServiceConfigurationError | LinkageError e) {
                continue; // someone else's broken provider is not this plugin's problem
            }
            assertThat(other)
                    .as("%s and %s both claim the %s name '%s'; the engine would reject both (names are permanent "
                            + "and unique)", type.getName(), h.type().getName(), spi.getSimpleName(), other)
                    .isNotEqualTo(provider.name());
        }
    }

    /** The name is lower-case kebab case, the SPI version is the engine's, and the listing texts exist. */
    static void nameAndVersion(PluginProvider<?> provider, int spiVersion) {
        String name = provider.name();
        assertThat(PluginProvider.isValidName(name))
                .as("name '%s' of %s must be lower-case kebab case like 'my-allocator' ([a-z][a-z0-9]*(-[a-z0-9]+)*)",
                        name, provider.getClass().getName())
                .isTrue();
        assertThat(provider.spiVersion())
                .as("spiVersion() of '%s' must return the SPI_VERSION constant of its provider interface", name)
                .isEqualTo(spiVersion);
        assertThat(provider.description()).as("description() of '%s'", name).isNotBlank();
        assertThat(provider.capabilities()).as("capabilities() of '%s'", name).isNotNull();
    }

    /**
     * {@code create} accepts the test's settings, returns a new instance each time, and rejects an unknown key
     * with an {@link InvalidConfigurationException} naming it.
     */
    static void validatesSettings(PluginProvider<?> provider, Settings settings) {
        Object first = provider.create(settings);
        Object second = provider.create(settings);
        assertThat(first).as("create(%s) of '%s'", settings, provider.name()).isNotNull();
        assertThat(second).as("create must return a new instance each time (instances hold per-run state)")
                .isNotSameAs(first);
        Settings typo = settings.with(Map.of(UNKNOWN_KEY, "1"));
        Throwable thrown = catchThrowable(() -> provider.create(typo));
        assertThat(thrown)
                .as("create(%s) of '%s' must reject the unknown key: read settings with settings.reader(...) and "
                        + "call finish()", typo, provider.name())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining(UNKNOWN_KEY);
    }
}
