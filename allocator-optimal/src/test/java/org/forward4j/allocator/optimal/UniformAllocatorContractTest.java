package org.forward4j.allocator.optimal;

import org.forward4j.allocator.UniformQueryAllocatorProvider;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.tck.AllocatorContractTest;

/**
 * The tck's allocator contract for {@code uniform}. It runs here because {@code uniform} lives in allocator-api, whose
 * own tests cannot depend on the tck (the tck depends on allocator-api: a reactor cycle).
 */
class UniformAllocatorContractTest extends AllocatorContractTest {
    @Override
    protected QueryAllocatorProvider provider() {
        return new UniformQueryAllocatorProvider();
    }
}
