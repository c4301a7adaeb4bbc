package org.forward4j.core;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.MapBinder;
import com.google.inject.name.Names;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.core.plugin.PluginRegistry;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.plugin.Settings;

/**
 * Guice bindings of forward4j: one {@link MapBinder} per plugin kind, keyed by provider name and filled from the
 * discovered registries, plus the resolved configuration ({@code @Named("forward4j") Settings}). An application
 * module can add providers with {@code MapBinder.newMapBinder(binder(), String.class, QueryAllocatorProvider.class)
 * .addBinding("mine").to(MyProvider.class)} without any ServiceLoader file.
 */
public final class Forward4jModule extends AbstractModule {

    private final Settings config;
    private final PluginRegistry<QueryAllocatorProvider> allocators;
    private final PluginRegistry<GradientEstimatorProvider> estimators;
    private final PluginRegistry<BackendProvider> backends;

    /**
     * Creates the module.
     *
     * @param config the resolved configuration
     * @param allocators discovered allocator providers
     * @param estimators discovered estimator providers
     * @param backends discovered backend providers
     */
    public Forward4jModule(Settings config, PluginRegistry<QueryAllocatorProvider> allocators,
                           PluginRegistry<GradientEstimatorProvider> estimators,
                           PluginRegistry<BackendProvider> backends) {
        this.config = config;
        this.allocators = allocators;
        this.estimators = estimators;
        this.backends = backends;
    }

    @Override
    protected void configure() {
        bind(Settings.class).annotatedWith(Names.named("forward4j")).toInstance(config);
        MapBinder<String, QueryAllocatorProvider> a =
                MapBinder.newMapBinder(binder(), String.class, QueryAllocatorProvider.class);
        allocators.providers().forEach((name, p) -> a.addBinding(name).toInstance(p));
        MapBinder<String, GradientEstimatorProvider> e =
                MapBinder.newMapBinder(binder(), String.class, GradientEstimatorProvider.class);
        estimators.providers().forEach((name, p) -> e.addBinding(name).toInstance(p));
        MapBinder<String, BackendProvider> b = MapBinder.newMapBinder(binder(), String.class, BackendProvider.class);
        backends.providers().forEach((name, p) -> b.addBinding(name).toInstance(p));
    }
}
