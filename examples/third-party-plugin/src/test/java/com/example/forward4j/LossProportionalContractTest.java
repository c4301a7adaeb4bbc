package com.example.forward4j;

import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.tck.AllocatorContractTest;

/** Runs the forward4j allocator contract on {@code loss-proportional}. */
class LossProportionalContractTest extends AllocatorContractTest {
    @Override
    protected QueryAllocatorProvider provider() {
        return new LossProportionalAllocatorProvider();
    }
}
