package org.forward4j.estimator.spsa;

import java.util.Set;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.estimator.weights.DirectionMode;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.Settings;

/**
 * Provides {@code spsa}: two-sided simultaneous-perturbation finite differences along random directions
 * (method.md §2). Works on any black-box objective and costs 2 queries per draw and none per point.
 *
 * <p>Settings (all optional):
 * <ul>
 *   <li>{@value #SCALE}: the perturbation size s, a number in (0, 1e6]; default {@value #DEFAULT_SCALE}.</li>
 *   <li>{@value #DIRECTIONS}: {@code shared} (default; draw j of every point uses direction j, so a native
 *       backend evaluates all points of a direction in one batched pass, but per-point estimates are
 *       correlated) or {@code per-point} (point i's draw j uses direction {@code i * 65536 + j}: independent
 *       per-point estimates, which non-uniform allocators need, method.md §3.1; at most 32767 points per batch
 *       and 65536 draws per point and step).</li>
 *   <li>{@value #DISTRIBUTION}: {@code gaussian} (default) or {@code rademacher} (plus or minus one) direction
 *       entries.</li>
 * </ul>
 *
 * <p>The estimate is {@code g = (1/B) sum_i (1/A_i) sum_j p_ij z_ij} over the draws run with
 * {@code includeInEstimate = true}; a point with no included draw contributes nothing (it is not renormalised
 * away: its 1/B share stays zero). Per point it reports {@code v_i = d * mean_j p_ij^2} over included draws (an
 * estimate of {@code E|p z|^2}, the trace of the per-draw covariance plus the |g_i|^2 term, 0 without included
 * draws) and the proxy {@code mean_j (l+ + l-) / 2} over all its draws (NaN before any).
 */
public final class SpsaGradientEstimatorProvider implements GradientEstimatorProvider {

    /** Setting: the perturbation size s. */
    public static final String SCALE = "scale";
    /** Setting: {@code shared} or {@code per-point} directions. */
    public static final String DIRECTIONS = DirectionMode.SETTING;
    /** Setting: {@code gaussian} or {@code rademacher} direction entries. */
    public static final String DISTRIBUTION = "distribution";
    /** Default perturbation size s (method.md §2). */
    public static final double DEFAULT_SCALE = 1e-3;

    private static final double MAX_SCALE = 1e6;

    /** Creates the provider; ServiceLoader needs this constructor. */
    public SpsaGradientEstimatorProvider() {
    }

    @Override
    public String name() {
        return "spsa";
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String description() {
        return "two-sided SPSA finite differences along random directions (black box, 2 queries per draw)";
    }

    @Override
    public Set<String> capabilities() {
        return Set.of(BLACK_BOX);
    }

    @Override
    public GradientEstimator create(Settings settings) {
        Settings.Reader reader = settings.reader("estimator 'spsa'");
        double scale = reader.doubleValue(SCALE, DEFAULT_SCALE, 0.0, MAX_SCALE);
        reader.check((float) scale > 0f, SCALE + "=" + settings.raw(SCALE).orElse("") + " must be > 0 (and not "
                + "round to 0 as a float): it is the finite-difference step s; the default is " + DEFAULT_SCALE);
        DirectionMode directions = reader.enumValue(DIRECTIONS, DirectionMode.class, DirectionMode.SHARED);
        NoiseStream.Distribution distribution = reader.enumValue(DISTRIBUTION, NoiseStream.Distribution.class,
                NoiseStream.Distribution.GAUSSIAN);
        reader.finish();
        return new SpsaGradientEstimator((float) scale, directions, distribution);
    }
}
