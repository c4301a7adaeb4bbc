package org.forward4j.estimator;

/**
 * Estimates a gradient from forward queries only (docs/method.md §2). One {@link EstimationStep} per mini-batch:
 * the engine runs the pilot round, asks the allocator, runs the rest, and finishes (docs/method.md §4).
 * Implementations hold per-run state (for example a learned noise scale) and are used from one thread.
 */
public interface GradientEstimator {

    /**
     * What a draw and a point cost in queries; the engine converts the query budget N into draws with it:
     * {@code N = B * queriesPerPoint + D * queriesPerDraw}.
     *
     * @return the cost model
     */
    EstimatorCost cost();

    /**
     * Whether per-point estimates are statistically independent, so that per-point allocation is meaningful
     * (docs/method.md §2, direction sharing; §3.1). False for shared directions.
     *
     * @return true if a non-uniform allocator can lower the variance
     */
    boolean independentPerPoint();

    /**
     * Starts the estimate for one mini-batch.
     *
     * @param context evaluator, parameters, rows and noise key of the step
     * @return the step
     */
    EstimationStep begin(StepContext context);

    /**
     * The estimator's learned state for checkpoints (for example lr's log sigma).
     *
     * @return named arrays; empty when stateless
     */
    default java.util.Map<String, double[]> saveState() {
        return java.util.Map.of();
    }

    /**
     * Restores state produced by {@link #saveState()}.
     *
     * @param state the saved arrays
     */
    default void restoreState(java.util.Map<String, double[]> state) {
    }
}
