package com.example.forward4j;

import org.forward4j.allocator.Allocation;
import org.forward4j.allocator.AllocationRequest;
import org.forward4j.allocator.Allocations;
import org.forward4j.allocator.QueryAllocator;

/** {@code A_i ∝ max(lambda_i, 0)^exponent}; stateless, so it needs neither observe nor saved state. */
final class LossProportionalAllocator implements QueryAllocator {

    private final double exponent;

    LossProportionalAllocator(double exponent) {
        this.exponent = exponent;
    }

    @Override
    public Allocation allocate(AllocationRequest request) {
        int b = request.batchSize();
        // scale by the largest proxy first, so that a power of a large loss cannot overflow; the maximum does not
        // depend on the batch order, so neither do the weights
        double largest = 0;
        for (int i = 0; i < b; i++) {
            largest = Math.max(largest, request.proxy(i));
        }
        double[] weights = new double[b];
        for (int i = 0; i < b; i++) {
            // a negative proxy carries no loss to chase; all-zero weights make Allocations allocate uniformly
            weights[i] = largest > 0 ? Math.pow(Math.max(request.proxy(i), 0.0) / largest, exponent) : 0.0;
        }
        // clamps to [minDraws, maxDraws], meets the budget exactly, and breaks ties by point id, not batch order
        return Allocations.proportional(weights, request);
    }
}
