package org.forward4j.estimator.weights;

import java.util.Set;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.spi.EstimatorCapability;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.plugin.Settings;

/**
 * The provider of a weight-perturbation estimator, written once: it works on black boxes and reads the three
 * settings every such estimator has, all optional:
 * <ul>
 *   <li>{@value #SCALE}: the perturbation size, a number in (0, 1e6] that does not round to 0 as a float; default
 *       {@value #DEFAULT_SCALE};</li>
 *   <li>{@value #DIRECTIONS}: {@code shared} (default; draw j of every point uses direction j, so a native backend
 *       evaluates all points of a direction in one batched pass, but per-point estimates are correlated) or
 *       {@code per-point} (point i's draw j uses its own stream, {@link org.forward4j.noise.NoiseStream#pointStream}:
 *       independent per-point estimates, which non-uniform allocators need, docs/method.md §3.1; at most 32767
 *       points per batch and 65536 draws per point and step);</li>
 *   <li>{@value #DISTRIBUTION}: the distribution of the directions, an enum of the estimator's own.</li>
 * </ul>
 *
 * @param <D> the estimator's distribution enum (written in kebab-case in settings)
 */
public abstract class WeightPerturbationEstimatorProvider<D extends Enum<D>> implements GradientEstimatorProvider {

    /** Setting: the perturbation size. */
    public static final String SCALE = "scale";
    /** Setting: {@code shared} or {@code per-point} directions. */
    public static final String DIRECTIONS = DirectionMode.SETTING;
    /** Setting: the distribution of the directions. */
    public static final String DISTRIBUTION = "distribution";
    /** Default perturbation size (docs/method.md §2). */
    public static final double DEFAULT_SCALE = 1e-3;

    private static final double MAX_SCALE = 1e6;

    private final String name;
    private final String scaleSymbol;
    private final Class<D> distributions;
    private final D defaultDistribution;
    private final EstimatorCost cost;

    /**
     * Describes the estimator.
     *
     * @param name its permanent name
     * @param scaleSymbol what the method calls the perturbation size, for messages ({@code s}, {@code m})
     * @param distributions its distribution enum
     * @param defaultDistribution the default distribution
     * @param cost queries per draw and per point
     */
    protected WeightPerturbationEstimatorProvider(String name, String scaleSymbol, Class<D> distributions,
                                                  D defaultDistribution, EstimatorCost cost) {
        this.name = name;
        this.scaleSymbol = scaleSymbol;
        this.distributions = distributions;
        this.defaultDistribution = defaultDistribution;
        this.cost = cost;
    }

    /**
     * Starts one step with the validated settings.
     *
     * @param context the step
     * @param scale the perturbation size
     * @param directions how draws are numbered
     * @param distribution the distribution of the directions
     * @return the step
     */
    protected abstract EstimationStep step(StepContext context, float scale, DirectionMode directions,
                                           D distribution);

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public final Set<EstimatorCapability> capabilities() {
        return Set.of(EstimatorCapability.BLACK_BOX);
    }

    @Override
    public final GradientEstimator create(Settings settings) {
        Settings.Reader reader = settings.reader("estimator '" + name + "'");
        double scale = reader.doubleValue(SCALE, DEFAULT_SCALE, 0.0, MAX_SCALE);
        reader.check((float) scale > 0f, SCALE + "=" + settings.raw(SCALE).orElse("") + " must be > 0 (and not "
                + "round to 0 as a float): it is the finite-difference step " + scaleSymbol + "; the default is "
                + DEFAULT_SCALE);
        DirectionMode directions = reader.enumValue(DIRECTIONS, DirectionMode.class, DirectionMode.SHARED);
        D distribution = reader.enumValue(DISTRIBUTION, distributions, defaultDistribution);
        reader.finish();
        float s = (float) scale;
        return new WeightPerturbationEstimator(cost, directions, context -> step(context, s, directions, distribution),
                name + "(scale=" + s + ", directions=" + Settings.kebab(directions) + ", distribution="
                        + Settings.kebab(distribution) + ")");
    }
}
