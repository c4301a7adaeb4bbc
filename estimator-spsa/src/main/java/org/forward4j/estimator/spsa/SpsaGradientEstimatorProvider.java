package org.forward4j.estimator.spsa;

import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.weights.DirectionMode;
import org.forward4j.estimator.weights.WeightPerturbationEstimatorProvider;
import org.forward4j.noise.NoiseStream;

/**
 * Provides {@code spsa}: two-sided simultaneous-perturbation finite differences along random directions
 * (docs/method.md §2), {@code p_ij = (l_i(theta + s z_ij) - l_i(theta - s z_ij)) / (2 s)} and
 * {@code g = (1/B) sum_i (1/A_i) sum_j p_ij z_ij}. Works on any black-box objective and costs 2 queries per draw and
 * none per point.
 *
 * <p>Settings: {@code scale} (s, default 1e-3), {@code directions} ({@code shared} or {@code per-point}) as for
 * every {@link WeightPerturbationEstimatorProvider}, and {@code distribution}: {@code gaussian} (default) or
 * {@code rademacher} (plus or minus one, Spall's original SPSA) direction entries.
 *
 * <p>A point with no included draw contributes nothing (it is not renormalised away: its 1/B share stays zero).
 * Per point it reports {@code v_i = d * mean_j p_ij^2} over included draws (an estimate of {@code E|p z|^2}, the
 * trace of the per-draw covariance plus the |g_i|^2 term: |z|^2 concentrates at d and p = z^T grad l_i up to
 * O(s^2); 0 without included draws) and the proxy {@code mean_j (l+ + l-) / 2} over all its draws (NaN before any).
 */
public final class SpsaGradientEstimatorProvider
        extends WeightPerturbationEstimatorProvider<NoiseStream.Distribution> {

    /** Creates the provider; ServiceLoader needs this constructor. */
    public SpsaGradientEstimatorProvider() {
        super("spsa", "s", NoiseStream.Distribution.class, NoiseStream.Distribution.GAUSSIAN, new EstimatorCost(2, 0));
    }

    @Override
    public String description() {
        return "two-sided SPSA finite differences along random directions (black box, 2 queries per draw)";
    }

    @Override
    protected EstimationStep step(StepContext context, float scale, DirectionMode directions,
                                  NoiseStream.Distribution distribution) {
        return new SpsaStep(context, scale, directions, distribution);
    }
}
