package org.forward4j.core.plugin;

import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.plugin.PluginProvider;

/**
 * The kinds of plugin the engine discovers, with the configuration key that selects each.
 *
 * @param <P> the provider interface
 */
public final class PluginKind<P extends PluginProvider<?>> {

    /** Query allocators, selected by {@code forward4j.allocator}. */
    public static final PluginKind<QueryAllocatorProvider> ALLOCATOR =
            new PluginKind<>("allocator", QueryAllocatorProvider.class, QueryAllocatorProvider.SPI_VERSION);
    /** Gradient estimators, selected by {@code forward4j.estimator}. */
    public static final PluginKind<GradientEstimatorProvider> ESTIMATOR =
            new PluginKind<>("estimator", GradientEstimatorProvider.class, GradientEstimatorProvider.SPI_VERSION);
    /** Evaluation backends, selected by {@code forward4j.backend}. */
    public static final PluginKind<BackendProvider> BACKEND =
            new PluginKind<>("backend", BackendProvider.class, BackendProvider.SPI_VERSION);

    private final String name;
    private final Class<P> type;
    private final int spiVersion;

    private PluginKind(String name, Class<P> type, int spiVersion) {
        this.name = name;
        this.type = type;
        this.spiVersion = spiVersion;
    }

    /**
     * The kind's name, as used in configuration keys and messages.
     *
     * @return for example {@code allocator}
     */
    public String name() {
        return name;
    }

    /**
     * The provider interface.
     *
     * @return the SPI type
     */
    public Class<P> type() {
        return type;
    }

    /**
     * The SPI version the engine implements for this kind.
     *
     * @return the version
     */
    public int spiVersion() {
        return spiVersion;
    }

    /**
     * The configuration key selecting the implementation.
     *
     * @return for example {@code forward4j.allocator}
     */
    public String configKey() {
        return "forward4j." + name;
    }

    @Override
    public String toString() {
        return name;
    }
}
