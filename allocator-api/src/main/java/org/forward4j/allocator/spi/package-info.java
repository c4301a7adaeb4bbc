/**
 * Service-provider interface for allocators: implement {@link org.forward4j.allocator.spi.QueryAllocatorProvider}
 * and register it with {@link java.util.ServiceLoader}.
 */
package org.forward4j.allocator.spi;
