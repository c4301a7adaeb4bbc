package org.forward4j.allocator;

/** D/B draws per point with largest-remainder rounding; ignores proxies (docs/method.md §3.3). */
final class UniformQueryAllocator implements QueryAllocator {
    @Override
    public Allocation allocate(AllocationRequest request) {
        return Allocations.uniform(request);
    }
}
