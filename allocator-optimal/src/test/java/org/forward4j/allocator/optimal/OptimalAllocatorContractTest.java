package org.forward4j.allocator.optimal;

import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.tck.AllocatorContractTest;

/** The tck's allocator contract for {@code optimal}. */
class OptimalAllocatorContractTest extends AllocatorContractTest {
    @Override
    protected QueryAllocatorProvider provider() {
        return new OptimalQueryAllocatorProvider();
    }
}
