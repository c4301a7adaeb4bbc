package org.forward4j.estimator.rge;

import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.weights.DirectionMode;
import org.forward4j.estimator.weights.WeightPerturbationEstimatorProvider;

/**
 * Provides {@code rge}: one-sided random gradient estimation, forward differences from the clean loss along random
 * directions (docs/method.md §2), {@code p_ij = (l_i(theta + m u_ij) - l_i(theta)) / m} and
 * {@code g = (1/B) sum_i (1/A_i) sum_j p_ij u_ij}. Works on any black-box objective and costs 1 query per draw
 * plus 1 clean query per point and step.
 *
 * <p>Settings: {@code scale} (m, default 1e-3), {@code directions} ({@code shared} or {@code per-point}) as for
 * every {@link WeightPerturbationEstimatorProvider}, and {@code distribution}: {@code gaussian} (default,
 * u ~ N(0, I)) or {@code sphere} (u uniform on the sphere of radius sqrt(d)).
 *
 * <p>The first round's plan also measures every point's clean loss, which is the estimator's proxy lambda_i. For
 * symmetric u the O(m) curvature term {@code (m/2) E[u u^T H u]} vanishes (odd moments), so the bias is O(m^2).
 * Per point it reports {@code v_i = d * mean_j p_ij^2} over included draws (an estimate of {@code E|p u|^2}: |u|^2
 * is d for the sphere and concentrates at d for the Gaussian; 0 without included draws) and as mean loss the mean
 * perturbed loss of its draws (NaN without any).
 */
public final class RgeGradientEstimatorProvider extends WeightPerturbationEstimatorProvider<RgeDistribution> {

    /** Creates the provider; ServiceLoader needs this constructor. */
    public RgeGradientEstimatorProvider() {
        super("rge", "m", RgeDistribution.class, RgeDistribution.GAUSSIAN, new EstimatorCost(1, 1));
    }

    @Override
    public String description() {
        return "one-sided random gradient estimation from the clean loss (black box, 1 query per draw + 1 per "
                + "point)";
    }

    @Override
    protected EstimationStep step(StepContext context, float scale, DirectionMode directions,
                                  RgeDistribution distribution) {
        return new RgeStep(context, scale, directions, distribution);
    }
}
