package org.forward4j.estimator.rge;

import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.weights.DirectionMode;
import org.forward4j.plugin.Settings;

/**
 * One-sided RGE (method.md §2): {@code p_ij = (l_i(theta + m u_ij) - l_i(theta)) / m} and
 * {@code g = (1/B) sum_i (1/A_i) sum_j p_ij u_ij}, with the clean loss l_i(theta) measured once per point and
 * step. Stateless between steps; built only by {@link RgeGradientEstimatorProvider}.
 *
 * @param scale the perturbation size m
 * @param directions how draws are numbered
 * @param distribution the distribution of u
 */
record RgeGradientEstimator(float scale, DirectionMode directions, RgeDistribution distribution)
        implements GradientEstimator {

    private static final EstimatorCost COST = new EstimatorCost(1, 1);

    @Override
    public EstimatorCost cost() {
        return COST;
    }

    @Override
    public boolean independentPerPoint() {
        return directions.independentPerPoint();
    }

    @Override
    public EstimationStep begin(StepContext context) {
        return new RgeStep(context, scale, directions, distribution);
    }

    @Override
    public String toString() {
        return "rge(scale=" + scale + ", directions=" + Settings.kebab(directions) + ", distribution="
                + Settings.kebab(distribution) + ")";
    }
}
