package org.forward4j.cli;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.forward4j.allocator.Allocations;
import org.forward4j.allocator.QueryAllocator;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.spi.EstimatorCapability;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.plugin.Settings;

/**
 * Providers that break discovery in the ways real classpaths do. They are registered only in services files that
 * tests write into temporary directories, so they never leak into the module's other tests.
 */
public final class ScenarioProviders {

    private ScenarioProviders() {
    }

    /** An allocator whose constructor always throws (a plugin jar missing one of its own dependencies). */
    public static final class ThrowingAllocatorProvider implements QueryAllocatorProvider {
        /** Always fails. */
        public ThrowingAllocatorProvider() {
            throw new IllegalStateException("boom: a dependency of this plugin is missing");
        }

        @Override
        public String name() {
            return "throwing";
        }

        @Override
        public int spiVersion() {
            return SPI_VERSION;
        }

        @Override
        public QueryAllocator create(Settings settings) {
            throw new AssertionError("never constructed");
        }
    }

    /** An estimator built for a future estimator SPI. */
    public static final class FutureEstimatorProvider implements GradientEstimatorProvider {
        /** Creates the provider. */
        public FutureEstimatorProvider() {
        }

        @Override
        public String name() {
            return "future-estimator";
        }

        @Override
        public int spiVersion() {
            return SPI_VERSION + 1;
        }

        @Override
        public Set<EstimatorCapability> capabilities() {
            return Set.of(EstimatorCapability.BLACK_BOX);
        }

        @Override
        public GradientEstimator create(Settings settings) {
            throw new AssertionError("an incompatible provider must never be used");
        }
    }

    /** A second allocator claiming the built-in name {@code uniform}. */
    public static final class ShadowUniformAllocatorProvider implements QueryAllocatorProvider {
        /** Creates the provider. */
        public ShadowUniformAllocatorProvider() {
        }

        @Override
        public String name() {
            return "uniform";
        }

        @Override
        public int spiVersion() {
            return SPI_VERSION;
        }

        @Override
        public QueryAllocator create(Settings settings) {
            settings.reader("allocator 'uniform' (shadow)").finish();
            return Allocations::uniform;
        }
    }

    /**
     * Writes {@code META-INF/services/<spi>} under {@code dir} listing the given classes (one plugin "jar" as a
     * directory), adding to any entries written before.
     *
     * @param dir the directory
     * @param spi the provider interface
     * @param classNames provider class names, one per line
     * @return {@code dir}
     * @throws IOException if writing fails
     */
    public static Path register(Path dir, Class<?> spi, String... classNames) throws IOException {
        Path file = dir.resolve("META-INF/services/" + spi.getName());
        Files.createDirectories(file.getParent());
        String old = Files.exists(file) ? Files.readString(file) : "";
        Files.writeString(file, old + String.join("\n", classNames) + "\n");
        return dir;
    }

    /**
     * A class loader that sees the test classpath plus the given directories or jars.
     *
     * @param entries directories or jars
     * @return the loader
     * @throws MalformedURLException never for paths
     */
    static ClassLoader loader(Path... entries) throws MalformedURLException {
        URL[] urls = new URL[entries.length];
        for (int i = 0; i < entries.length; i++) {
            urls[i] = entries[i].toUri().toURL();
        }
        return new URLClassLoader(urls, ScenarioProviders.class.getClassLoader());
    }

    /**
     * Where a class was loaded from, as the engine prints it.
     *
     * @param c the class
     * @return its jar or directory path
     */
    public static String location(Class<?> c) {
        return c.getProtectionDomain().getCodeSource().getLocation().getPath();
    }
}
