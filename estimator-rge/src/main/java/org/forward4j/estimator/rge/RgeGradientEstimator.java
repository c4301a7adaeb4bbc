package org.forward4j.estimator.rge;

import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.StepContext;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.Settings;

/**
 * One-sided RGE (method.md §2): {@code p_ij = (l_i(theta + m u_ij) - l_i(theta)) / m} and
 * {@code g = (1/B) sum_i (1/A_i) sum_j p_ij u_ij}, with the clean loss l_i(theta) measured once per point and
 * step. Stateless between steps; built only by {@link RgeGradientEstimatorProvider}.
 */
final class RgeGradientEstimator implements GradientEstimator {

    private static final EstimatorCost COST = new EstimatorCost(1, 1);

    private final float scale;
    private final DirectionMode directions;
    private final RgeDistribution distribution;

    RgeGradientEstimator(float scale, DirectionMode directions, RgeDistribution distribution) {
        this.scale = scale;
        this.directions = directions;
        this.distribution = distribution;
    }

    @Override
    public EstimatorCost cost() {
        return COST;
    }

    @Override
    public boolean independentPerPoint() {
        return directions == DirectionMode.PER_POINT;
    }

    @Override
    public EstimationStep begin(StepContext context) {
        int dimension = context.evaluator().objective().dimension();
        if (context.theta().length != dimension) {
            throw new IllegalArgumentException("theta has " + context.theta().length
                    + " values but the objective has dimension " + dimension);
        }
        if (directions == DirectionMode.PER_POINT && context.batchSize() > DirectionMode.MAX_PER_POINT_BATCH) {
            throw new InvalidConfigurationException("estimator 'rge' with directions=per-point numbers point i's "
                    + "draw j as direction i * " + DirectionMode.STRIDE + " + j, which allows batches of at most "
                    + DirectionMode.MAX_PER_POINT_BATCH + " points, got " + context.batchSize()
                    + "; use directions=shared or a smaller batch");
        }
        return new RgeStep(context, dimension, scale, directions, distribution);
    }

    @Override
    public String toString() {
        return "rge(scale=" + scale + ", directions=" + Settings.kebab(directions) + ", distribution="
                + Settings.kebab(distribution) + ")";
    }
}
