package com.example.forward4j;

import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.StepContext;
import org.forward4j.plugin.InvalidConfigurationException;

/** The {@code forward-diff} estimator: stateless between steps, so one step object per mini-batch does the work. */
final class ForwardDifferenceEstimator implements GradientEstimator {

    /** One query per draw, one clean query per point. */
    private static final EstimatorCost COST = new EstimatorCost(1, 1);

    private final float scale;

    ForwardDifferenceEstimator(float scale) {
        this.scale = scale;
    }

    @Override
    public EstimatorCost cost() {
        return COST;
    }

    /** Every point draws its own directions, so a non-uniform allocator can lower the variance. */
    @Override
    public boolean independentPerPoint() {
        return true;
    }

    @Override
    public EstimationStep begin(StepContext context) {
        if (context.theta().length != context.evaluator().objective().dimension()) {
            throw new IllegalArgumentException("theta has " + context.theta().length + " values but the objective "
                    + "has dimension " + context.evaluator().objective().dimension());
        }
        if (context.batchSize() > ForwardDifferenceStep.MAX_BATCH) {
            throw new InvalidConfigurationException("estimator 'forward-diff' allows batches of at most "
                    + ForwardDifferenceStep.MAX_BATCH + " points, got " + context.batchSize()
                    + "; lower batch-size");
        }
        return new ForwardDifferenceStep(context, scale);
    }
}
