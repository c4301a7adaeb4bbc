package org.forward4j.allocator;

import java.util.Map;

/**
 * Decides, per mini-batch, how many draws each data point gets (docs/method.md §3).
 *
 * <p>The engine calls {@link #allocate} once per step (after the pilot round, docs/method.md §4) and
 * {@link #observe} after the estimator has combined the step's queries. Implementations are not thread-safe;
 * the engine calls them from one thread. All randomness must come from {@link AllocationRequest#seed()} and
 * {@link AllocationRequest#step()} so a run is reproducible.
 */
public interface QueryAllocator {

    /**
     * Allocates the request's draws among its points.
     *
     * @param request the batch's proxies, budget and bounds
     * @return integer draws per point with {@code minDraws <= A_i <= maxDraws} and {@code sum A_i == totalDraws}
     */
    Allocation allocate(AllocationRequest request);

    /**
     * Receives the per-point statistics the estimator measured in the step that used the last allocation.
     *
     * @param statistics per-point draws and observed per-draw variances
     */
    default void observe(PointStatistics statistics) {
    }

    /**
     * The allocator's learned state, for checkpoints (for example the optimal allocator's four parameters).
     *
     * @return named arrays; empty for stateless allocators
     */
    default Map<String, double[]> saveState() {
        return Map.of();
    }

    /**
     * Restores state produced by {@link #saveState()} of an allocator with the same settings.
     *
     * @param state the saved arrays
     */
    default void restoreState(Map<String, double[]> state) {
    }
}
