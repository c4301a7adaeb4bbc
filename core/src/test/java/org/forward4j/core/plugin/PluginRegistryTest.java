package org.forward4j.core.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.forward4j.allocator.UniformQueryAllocatorProvider;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.plugin.DuplicateProviderException;
import org.forward4j.plugin.ProviderNotFoundException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginRegistryTest {

    /** A class loader that sees an extra services file listing the given provider classes. */
    private static ClassLoader withServices(Path dir, String... classes) throws Exception {
        Path services = dir.resolve("META-INF/services");
        Files.createDirectories(services);
        Files.writeString(services.resolve(QueryAllocatorProvider.class.getName()), String.join("\n", classes) + "\n");
        return new URLClassLoader(new URL[] {dir.toUri().toURL()}, PluginRegistryTest.class.getClassLoader());
    }

    @Test
    void discoversTheBuiltInUniformAllocator() {
        PluginRegistry<QueryAllocatorProvider> r = PluginRegistry.discover(PluginKind.ALLOCATOR,
                getClass().getClassLoader());
        assertThat(r.providers()).containsKey("uniform");
        assertThat(r.get("uniform")).isInstanceOf(UniformQueryAllocatorProvider.class);
    }

    @Test
    void unknownNameListsWhatIsAvailableAndHowToFix() {
        PluginRegistry<QueryAllocatorProvider> r = PluginRegistry.of(PluginKind.ALLOCATOR,
                List.of(new UniformQueryAllocatorProvider(), new TestProviders.Alpha()));
        assertThatThrownBy(() -> r.get("optimall")).isInstanceOf(ProviderNotFoundException.class)
                .hasMessageStartingWith("No allocator named 'optimall'. Available: [alpha, uniform]. "
                        + "Add the jar that provides it or fix forward4j.allocator.");
    }

    @Test
    void duplicateNamesFailNamingBothClassesAndJarsButOthersStillWork(@TempDir Path dir) throws Exception {
        ClassLoader cl = withServices(dir, TestProviders.Alpha.class.getName(), TestProviders.AlphaTwin.class.getName());
        PluginRegistry<QueryAllocatorProvider> r = PluginRegistry.discover(PluginKind.ALLOCATOR, cl);
        assertThatThrownBy(() -> r.get("alpha")).isInstanceOf(DuplicateProviderException.class)
                .hasMessageContaining("Two or more allocator providers are named 'alpha'")
                .hasMessageContaining(TestProviders.Alpha.class.getName() + " (")
                .hasMessageContaining(" and " + TestProviders.AlphaTwin.class.getName() + " (")
                .hasMessageContaining("test-classes")
                .hasMessageContaining("Remove one of the jars from the classpath.");
        assertThat(r.get("uniform")).isNotNull();
    }

    @Test
    void aProviderThatThrowsIsReportedAndTheRestLoad(@TempDir Path dir) throws Exception {
        ClassLoader cl = withServices(dir, TestProviders.Exploding.class.getName(),
                TestProviders.Alpha.class.getName(), "org.example.DoesNotExist");
        PluginRegistry<QueryAllocatorProvider> r = PluginRegistry.discover(PluginKind.ALLOCATOR, cl);
        assertThat(r.providers()).containsKeys("alpha", "uniform");
        assertThat(r.problems()).anySatisfy(p -> assertThat(p)
                .contains("Skipped allocator provider " + TestProviders.Exploding.class.getName())
                .contains("its constructor failed").contains("boom in constructor"));
        assertThat(r.problems()).anySatisfy(p -> assertThat(p).contains("could not be loaded")
                .contains("org.example.DoesNotExist"));
        assertThatThrownBy(() -> r.get("exploding")).isInstanceOf(ProviderNotFoundException.class)
                .hasMessageContaining("boom in constructor");
    }

    @Test
    void spiVersionMismatchAndBadNamesAreSkippedWithAReason(@TempDir Path dir) throws Exception {
        ClassLoader cl = withServices(dir, TestProviders.FromTheFuture.class.getName(),
                TestProviders.BadName.class.getName());
        PluginRegistry<QueryAllocatorProvider> r = PluginRegistry.discover(PluginKind.ALLOCATOR, cl);
        assertThat(r.providers()).doesNotContainKeys("future", "Bad Name").containsKey("uniform");
        assertThat(r.problems()).anySatisfy(p -> assertThat(p)
                .contains("Skipped allocator 'future'").contains("implements allocator SPI version 3")
                .contains("this engine implements version 2"));
        assertThat(r.problems()).anySatisfy(p -> assertThat(p).contains("invalid name 'Bad Name'"));
        assertThatThrownBy(() -> r.get("future")).isInstanceOf(ProviderNotFoundException.class)
                .hasMessageContaining("SPI version 3");
    }
}
