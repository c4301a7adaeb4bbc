package org.forward4j.allocator;

import java.util.Arrays;
import org.forward4j.plugin.PluginContractException;

/**
 * Draws per point of a batch, in batch order.
 *
 * @param draws A_i for each batch position
 */
public record Allocation(int[] draws) {

    /**
     * Copies the array.
     *
     * @param draws A_i for each batch position
     */
    public Allocation {
        draws = draws.clone();
    }

    @Override
    public int[] draws() {
        return draws.clone();
    }

    /**
     * Draws of one point.
     *
     * @param i batch position
     * @return A_i
     */
    public int draws(int i) {
        return draws[i];
    }

    /**
     * The number of points.
     *
     * @return B
     */
    public int size() {
        return draws.length;
    }

    /**
     * The sum of all draws.
     *
     * @return sum_i A_i
     */
    public long total() {
        long s = 0;
        for (int a : draws) {
            s += a;
        }
        return s;
    }

    /**
     * Checks the allocation against the request it answers.
     *
     * @param request the request
     * @param allocatorName the allocator's name, for the message
     * @return this allocation
     * @throws PluginContractException naming the allocator if the length, a bound or the sum is wrong
     */
    public Allocation validate(AllocationRequest request, String allocatorName) {
        if (draws.length != request.batchSize()) {
            throw new PluginContractException("Allocator '" + allocatorName + "' returned " + draws.length
                    + " entries for a batch of " + request.batchSize() + " points");
        }
        for (int i = 0; i < draws.length; i++) {
            if (draws[i] < request.minDraws() || draws[i] > request.maxDraws()) {
                throw new PluginContractException("Allocator '" + allocatorName + "' gave point " + i + " "
                        + draws[i] + " draws, outside [" + request.minDraws() + ", " + request.maxDraws() + "]");
            }
        }
        if (total() != request.totalDraws()) {
            throw new PluginContractException("Allocator '" + allocatorName + "' allocated " + total()
                    + " draws but the budget is exactly " + request.totalDraws());
        }
        return this;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Allocation a && Arrays.equals(a.draws, draws);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(draws);
    }

    @Override
    public String toString() {
        return "Allocation" + Arrays.toString(draws);
    }
}
