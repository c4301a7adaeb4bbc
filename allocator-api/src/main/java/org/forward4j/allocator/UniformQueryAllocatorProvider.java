package org.forward4j.allocator;

import org.forward4j.allocator.spi.AllocatorCapability;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.plugin.Settings;

/** Provides {@code uniform}: every point gets D/B draws, largest-remainder rounded (docs/method.md §3.3). */
public final class UniformQueryAllocatorProvider implements QueryAllocatorProvider {

    /** Creates the provider; ServiceLoader needs this constructor. */
    public UniformQueryAllocatorProvider() {
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
    public String description() {
        return "equal draws for every point (the baseline of every comparison)";
    }

    @Override
    public java.util.Set<AllocatorCapability> capabilities() {
        return java.util.Set.of(AllocatorCapability.IGNORES_PROXIES);
    }

    @Override
    public QueryAllocator create(Settings settings) {
        settings.reader("allocator 'uniform'").finish();
        return new UniformQueryAllocator();
    }
}
