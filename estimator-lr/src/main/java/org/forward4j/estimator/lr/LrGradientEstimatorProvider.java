package org.forward4j.estimator.lr;

import java.util.Set;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.spi.EstimatorCapability;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.plugin.Settings;

/**
 * Provides {@code lr}: the likelihood-ratio estimator with activation noise (docs/method.md §2, "LR").
 *
 * <p>Settings (all optional):
 * <ul>
 *   <li>{@code sigma} (default {@value #DEFAULT_SIGMA}): the noise scale s added to every layer's pre-activation,
 *       in [{@value LrGradientEstimator#MIN_SIGMA}, {@value LrGradientEstimator#MAX_SIGMA}];</li>
 *   <li>{@code antithetic} (default {@code true}): a draw is a pair of queries with noise {@code +eps} and
 *       {@code -eps} (2 queries per draw) instead of one query;</li>
 *   <li>{@code baseline} (default {@code loo}): {@code none} or {@code loo}, the loss baseline (see
 *       {@link #create(Settings)});</li>
 *   <li>{@code learn-sigma} (default {@code false}): learn log s online by a gradient step on the smoothed
 *       loss;</li>
 *   <li>{@code sigma-lr} (default {@value #DEFAULT_SIGMA_LR}): the step size of that update, in [0, 1].</li>
 * </ul>
 */
public final class LrGradientEstimatorProvider implements GradientEstimatorProvider {

    /** Default noise scale s. */
    public static final double DEFAULT_SIGMA = 1e-2;

    /** Default step size of the log-sigma update. */
    public static final double DEFAULT_SIGMA_LR = 1e-3;

    /** Creates the provider; ServiceLoader needs this constructor. */
    public LrGradientEstimatorProvider() {
    }

    @Override
    public String name() {
        return "lr";
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String description() {
        return "likelihood ratio with activation noise (native models; antithetic pairs, leave-one-out baseline)";
    }

    @Override
    public Set<EstimatorCapability> capabilities() {
        return Set.of(EstimatorCapability.ACTIVATION_NOISE);
    }

    /**
     * Builds the estimator. The {@code loo} baseline subtracts from each query's loss the mean loss of the same
     * point's other draws in the step; with antithetic pairs a pair's partner is left out of that mean too, since
     * the partner's loss depends on the same noise and would bias the estimate.
     *
     * @param settings {@code sigma}, {@code antithetic}, {@code baseline}, {@code learn-sigma}, {@code sigma-lr}
     * @return a new estimator
     * @throws org.forward4j.plugin.InvalidConfigurationException listing every invalid or unknown setting
     */
    @Override
    public GradientEstimator create(Settings settings) {
        Settings.Reader r = settings.reader("estimator 'lr'");
        double sigma = r.doubleValue("sigma", DEFAULT_SIGMA, LrGradientEstimator.MIN_SIGMA,
                LrGradientEstimator.MAX_SIGMA);
        boolean antithetic = r.booleanValue("antithetic", true);
        Baseline baseline = r.enumValue("baseline", Baseline.class, Baseline.LOO);
        boolean learnSigma = r.booleanValue("learn-sigma", false);
        double sigmaLr = r.doubleValue("sigma-lr", DEFAULT_SIGMA_LR, 0.0, 1.0);
        r.finish();
        return new LrGradientEstimator(sigma, antithetic, baseline, learnSigma, sigmaLr);
    }
}
