package org.forward4j.estimator.spsa;

import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.weights.DirectionMode;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.Settings;

/**
 * Two-sided SPSA (method.md §2): {@code p_ij = (l_i(theta + s z_ij) - l_i(theta - s z_ij)) / (2 s)} and
 * {@code g = (1/B) sum_i (1/A_i) sum_j p_ij z_ij}. Stateless between steps; built only by
 * {@link SpsaGradientEstimatorProvider}.
 *
 * @param scale the perturbation size s
 * @param directions how draws are numbered
 * @param distribution the entries of z
 */
record SpsaGradientEstimator(float scale, DirectionMode directions, NoiseStream.Distribution distribution)
        implements GradientEstimator {

    private static final EstimatorCost COST = new EstimatorCost(2, 0);

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
        return new SpsaStep(context, scale, directions, distribution);
    }

    @Override
    public String toString() {
        return "spsa(scale=" + scale + ", directions=" + Settings.kebab(directions) + ", distribution="
                + Settings.kebab(distribution) + ")";
    }
}
