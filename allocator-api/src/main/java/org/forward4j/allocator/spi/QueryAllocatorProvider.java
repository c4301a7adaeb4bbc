package org.forward4j.allocator.spi;

import org.forward4j.allocator.QueryAllocator;
import org.forward4j.plugin.PluginProvider;

/**
 * Discoverable factory of a {@link QueryAllocator}; register implementations in
 * {@code META-INF/services/org.forward4j.allocator.spi.QueryAllocatorProvider}.
 */
public interface QueryAllocatorProvider extends PluginProvider<QueryAllocator> {

    /** The allocator SPI version this engine implements. */
    int SPI_VERSION = 1;

    /** Capability: the allocator learns from {@link QueryAllocator#observe} statistics. */
    String LEARNS_FROM_STATISTICS = "learns-from-statistics";

    /**
     * Capability: the allocator ignores proxies, so the engine skips the pilot round (method.md §4) and runs all
     * draws in one round. Allocators without it receive proxies from the configured proxy source.
     */
    String IGNORES_PROXIES = "ignores-proxies";
}
