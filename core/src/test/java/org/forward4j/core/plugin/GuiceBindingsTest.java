package org.forward4j.core.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.inject.AbstractModule;
import com.google.inject.Module;
import com.google.inject.multibindings.MapBinder;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.core.Forward4j;
import org.forward4j.plugin.DuplicateProviderException;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.ProviderNotFoundException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Providers an application binds through a Guice module pass the same checks as providers a jar registers for
 * ServiceLoader, and fail with the same exceptions and messages: a bad name, another SPI version, a name a jar also
 * provides; plus the one check only a binding needs, its key equal to its name.
 */
class GuiceBindingsTest {

    /** A module binding one allocator provider class under a key. */
    private static Module binding(String key, Class<? extends QueryAllocatorProvider> type) {
        return new AbstractModule() {
            @Override
            protected void configure() {
                MapBinder.newMapBinder(binder(), String.class, QueryAllocatorProvider.class).addBinding(key).to(type);
            }
        };
    }

    /** A class loader that also sees a services file registering the given allocator providers. */
    private static ClassLoader jarWith(Path dir, Class<?>... providers) throws Exception {
        Path services = dir.resolve("META-INF/services");
        Files.createDirectories(services);
        StringBuilder b = new StringBuilder();
        for (Class<?> p : providers) {
            b.append(p.getName()).append('\n');
        }
        Files.writeString(services.resolve(QueryAllocatorProvider.class.getName()), b);
        return new URLClassLoader(new URL[] {dir.toUri().toURL()}, GuiceBindingsTest.class.getClassLoader());
    }

    private static Forward4j.Builder engine() {
        return Forward4j.builder().environment(java.util.Map.of()).systemProperties(new Properties())
                .set("backend", "reference");
    }

    /** The problems reported for the allocator kind, and the error selecting {@code name}. */
    private static List<String> problems(Forward4j.Builder builder) {
        return builder.build().discoveryProblems();
    }

    @Test
    void aBadNameIsSkippedWithTheSameMessageEitherWay(@TempDir Path dir) throws Exception {
        List<String> fromJar = problems(engine().classLoader(jarWith(dir, TestProviders.BadName.class)));
        List<String> fromGuice = problems(engine().module(binding("Bad Name", TestProviders.BadName.class)));
        assertThat(fromJar).singleElement().asString().contains("invalid name 'Bad Name'");
        assertThat(fromGuice).containsExactlyElementsOf(fromJar);
    }

    @Test
    void anotherSpiVersionIsSkippedWithTheSameMessageEitherWay(@TempDir Path dir) throws Exception {
        List<String> fromJar = problems(engine().classLoader(jarWith(dir, TestProviders.FromTheFuture.class)));
        List<String> fromGuice = problems(engine().module(binding("future", TestProviders.FromTheFuture.class)));
        assertThat(fromJar).singleElement().asString().contains("Skipped allocator 'future'")
                .contains("implements allocator SPI version " + (QueryAllocatorProvider.SPI_VERSION + 1));
        assertThat(fromGuice).containsExactlyElementsOf(fromJar);
        for (Forward4j.Builder b : List.of(engine().classLoader(jarWith(dir.resolve("2"),
                TestProviders.FromTheFuture.class)), engine().module(binding("future",
                TestProviders.FromTheFuture.class)))) {
            Throwable e = catchThrowable(() -> b.set("allocator", "future").build());
            assertThat(e).isInstanceOf(ProviderNotFoundException.class)
                    .hasMessageStartingWith("No allocator named 'future'. Available: [neyman, optimal, uniform]")
                    .hasMessageContaining("SPI version " + (QueryAllocatorProvider.SPI_VERSION + 1));
        }
    }

    @Test
    void aNameThatAJarAlsoProvidesIsADuplicateNamingBothClassesAndJars(@TempDir Path dir) throws Exception {
        ClassLoader jar = jarWith(dir, TestProviders.Alpha.class);
        Throwable twoJars = catchThrowable(() -> engine().classLoader(jarWith(dir.resolve("twins"),
                TestProviders.Alpha.class, TestProviders.AlphaTwin.class)).set("allocator", "alpha").build());
        Throwable jarAndBinding = catchThrowable(() -> engine().classLoader(jar)
                .module(binding("alpha", TestProviders.AlphaTwin.class)).set("allocator", "alpha").build());
        for (Throwable e : List.of(twoJars, jarAndBinding)) {
            assertThat(e).isInstanceOf(DuplicateProviderException.class)
                    .hasMessageStartingWith("Two or more allocator providers are named 'alpha': "
                            + TestProviders.Alpha.class.getName() + " (")
                    .hasMessageContaining(" and " + TestProviders.AlphaTwin.class.getName() + " (")
                    .hasMessageEndingWith("Remove one of the jars from the classpath.");
        }
        // the rest keeps working, and says what happened
        assertThat(engine().classLoader(jar).module(binding("alpha", TestProviders.AlphaTwin.class)).build()
                .discoveryProblems()).singleElement().asString()
                .startsWith("Two or more allocator providers are named 'alpha'");
    }

    @Test
    void twoBindingsOfOneNameAreADuplicateToo() {
        assertThatThrownBy(() -> engine().module(binding("alpha", TestProviders.Alpha.class))
                .module(binding("alpha", TestProviders.AlphaTwin.class)).set("allocator", "alpha").build())
                .isInstanceOf(DuplicateProviderException.class)
                .hasMessageContaining(TestProviders.Alpha.class.getName())
                .hasMessageContaining(TestProviders.AlphaTwin.class.getName());
    }

    @Test
    void aKeyThatIsNotTheNameIsSkippedSayingBoth() {
        Forward4j f4j = engine().module(binding("alfa", TestProviders.Alpha.class)).build();
        assertThat(f4j.discoveryProblems()).containsExactly("Skipped allocator provider "
                + TestProviders.Alpha.class.getName() + " from " + PluginRegistry.location(TestProviders.Alpha.class)
                + ": it is bound under the key 'alfa' but named 'alpha'; bind it under its name, "
                + "addBinding(\"alpha\")");
        assertThatThrownBy(() -> engine().module(binding("alfa", TestProviders.Alpha.class)).set("allocator", "alfa")
                .build()).isInstanceOf(ProviderNotFoundException.class)
                .hasMessageContaining("bound under the key 'alfa' but named 'alpha'");
    }

    @Test
    void aValidBindingIsSelectableByName() {
        Forward4j f4j = engine().module(binding("alpha", TestProviders.Alpha.class)).set("allocator", "alpha").build();
        assertThat(f4j.discoveryProblems()).isEmpty();
        assertThat(f4j.available().get("allocator")).containsKeys("alpha", "uniform", "neyman", "optimal");
        assertThat(f4j.newAllocator()).isNotNull();
    }

    @Test
    void aModuleThatGuiceRejectsIsOneCleanConfigurationError() {
        Module broken = new AbstractModule() {
            @Override
            protected void configure() {
                bind(Runnable.class).to(Runnable.class);
            }
        };
        assertThatThrownBy(() -> engine().module(broken).build()).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("A Guice module given to Forward4j.builder().module(...) failed:")
                .hasMessageEndingWith("Fix the module's bindings");
    }
}
