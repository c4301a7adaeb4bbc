package org.forward4j.estimator.rge;

import java.util.Set;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.estimator.weights.DirectionMode;
import org.forward4j.plugin.Settings;

/**
 * Provides {@code rge}: one-sided random gradient estimation, forward differences from the clean loss along
 * random directions (method.md §2). Works on any black-box objective and costs 1 query per draw plus 1 clean query
 * per point and step.
 *
 * <p>Settings (all optional):
 * <ul>
 *   <li>{@value #SCALE}: the perturbation size m, a number in (0, 1e6]; default {@value #DEFAULT_SCALE}.</li>
 *   <li>{@value #DIRECTIONS}: {@code shared} (default; draw j of every point uses direction j, so a native
 *       backend evaluates all points of a direction in one batched pass, but per-point estimates are
 *       correlated) or {@code per-point} (point i's draw j uses direction {@code i * 65536 + j}: independent
 *       per-point estimates, which non-uniform allocators need, method.md §3.1; at most 32767 points per batch
 *       and 65536 draws per point and step).</li>
 *   <li>{@value #DISTRIBUTION}: {@code gaussian} (default, u ~ N(0, I)) or {@code sphere} (u uniform on the
 *       sphere of radius sqrt(d)).</li>
 * </ul>
 *
 * <p>The first round's plan also measures every point's clean loss (one query with scale 0 over the whole batch),
 * which is the estimator's proxy lambda_i. The estimate is {@code g = (1/B) sum_i (1/A_i) sum_j p_ij u_ij} over the
 * draws run with {@code includeInEstimate = true}; a point with no included draw contributes nothing (its 1/B
 * share stays zero). For symmetric u the O(m) curvature term {@code (m/2) E[u u^T H u]} vanishes (odd moments),
 * so the bias is O(m^2). Per point it reports {@code v_i = d * mean_j p_ij^2} over included draws (an estimate of
 * {@code E|p u|^2}, the trace of the per-draw covariance plus the |g_i|^2 term, 0 without included draws) and as
 * mean loss the mean perturbed loss of its draws (NaN without any).
 */
public final class RgeGradientEstimatorProvider implements GradientEstimatorProvider {

    /** Setting: the perturbation size m. */
    public static final String SCALE = "scale";
    /** Setting: {@code shared} or {@code per-point} directions. */
    public static final String DIRECTIONS = DirectionMode.SETTING;
    /** Setting: {@code gaussian} or {@code sphere} directions. */
    public static final String DISTRIBUTION = "distribution";
    /** Default perturbation size m (method.md §2). */
    public static final double DEFAULT_SCALE = 1e-3;

    private static final double MAX_SCALE = 1e6;

    /** Creates the provider; ServiceLoader needs this constructor. */
    public RgeGradientEstimatorProvider() {
    }

    @Override
    public String name() {
        return "rge";
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String description() {
        return "one-sided random gradient estimation from the clean loss (black box, 1 query per draw + 1 per "
                + "point)";
    }

    @Override
    public Set<String> capabilities() {
        return Set.of(BLACK_BOX);
    }

    @Override
    public GradientEstimator create(Settings settings) {
        Settings.Reader reader = settings.reader("estimator 'rge'");
        double scale = reader.doubleValue(SCALE, DEFAULT_SCALE, 0.0, MAX_SCALE);
        reader.check((float) scale > 0f, SCALE + "=" + settings.raw(SCALE).orElse("") + " must be > 0 (and not "
                + "round to 0 as a float): it is the finite-difference step m; the default is " + DEFAULT_SCALE);
        DirectionMode directions = reader.enumValue(DIRECTIONS, DirectionMode.class, DirectionMode.SHARED);
        RgeDistribution distribution = reader.enumValue(DISTRIBUTION, RgeDistribution.class,
                RgeDistribution.GAUSSIAN);
        reader.finish();
        return new RgeGradientEstimator((float) scale, directions, distribution);
    }
}
