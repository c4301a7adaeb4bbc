package org.forward4j.allocator.spi;

import java.util.Set;
import org.forward4j.allocator.QueryAllocator;
import org.forward4j.plugin.PluginProvider;

/**
 * Discoverable factory of a {@link QueryAllocator}; register implementations in
 * {@code META-INF/services/org.forward4j.allocator.spi.QueryAllocatorProvider}.
 */
public interface QueryAllocatorProvider extends PluginProvider<QueryAllocator> {

    /** The allocator SPI version this engine implements. */
    int SPI_VERSION = 2;

    /**
     * What the allocator declares; the engine skips the pilot round for {@link AllocatorCapability#IGNORES_PROXIES}
     * and calls {@link QueryAllocator#observe} only with {@link AllocatorCapability#LEARNS_FROM_STATISTICS}.
     *
     * @return the declared capabilities (none by default)
     */
    @Override
    default Set<AllocatorCapability> capabilities() {
        return Set.of();
    }
}
