package org.forward4j.core;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.MapBinder;
import com.google.inject.name.Names;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.plugin.Settings;

/**
 * The Guice bindings an application's modules build on: the resolved configuration
 * ({@code @Named("forward4j") Settings}, which a bound provider may inject) and one {@link MapBinder} per plugin
 * kind, keyed by provider name. An application adds a provider with
 * {@code MapBinder.newMapBinder(binder(), String.class, QueryAllocatorProvider.class).addBinding("mine")
 * .to(MyProvider.class)} in a module passed to {@link Forward4j.Builder#module}. The engine reads these maps and
 * puts every bound provider through the same checks as a discovered one (valid name, key equal to the name, SPI
 * version, duplicates with jars), so duplicates are permitted here and reported there, with the project's
 * messages instead of Guice's.
 */
final class Forward4jModule extends AbstractModule {

    private final Settings config;

    Forward4jModule(Settings config) {
        this.config = config;
    }

    @Override
    protected void configure() {
        bind(Settings.class).annotatedWith(Names.named("forward4j")).toInstance(config);
        MapBinder.newMapBinder(binder(), String.class, QueryAllocatorProvider.class).permitDuplicates();
        MapBinder.newMapBinder(binder(), String.class, GradientEstimatorProvider.class).permitDuplicates();
        MapBinder.newMapBinder(binder(), String.class, BackendProvider.class).permitDuplicates();
    }
}
