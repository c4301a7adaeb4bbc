package org.forward4j.allocator.spi;

/** What an allocator declares about itself; the engine reads each constant (docs/method.md §4). */
public enum AllocatorCapability {
    /**
     * The allocator ignores proxies, so the engine skips the pilot round and runs all draws in one round.
     * Allocators without it receive proxies from the configured proxy source (pilot, clean pass or previous visit).
     */
    IGNORES_PROXIES,
    /**
     * The allocator learns from the per-point statistics of each step: the engine calls
     * {@link org.forward4j.allocator.QueryAllocator#observe} after every step only for allocators that declare it.
     */
    LEARNS_FROM_STATISTICS
}
