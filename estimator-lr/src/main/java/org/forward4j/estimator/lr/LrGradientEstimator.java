package org.forward4j.estimator.lr;

import java.util.Map;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.StepContext;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.InvalidDataException;
import org.forward4j.plugin.UnsupportedCapabilityException;

/**
 * Likelihood-ratio gradients with activation noise (docs/method.md §2, "LR"). Every layer's pre-activation of a query
 * gets {@code s * eps}, and {@code grad_W E[L] = E[L * (eps / s) x^T]}, {@code grad_b E[L] = E[L * eps / s]}: the
 * gradient of the smoothed loss {@code E[L(v + s eps)]}, assembled from losses alone. All queries of a round share
 * the weights, so a backend evaluates them as one batched forward pass (docs/method.md §6).
 *
 * <p>Holds the noise scale between steps (learned when {@code learn-sigma} is on); used from one thread.
 */
final class LrGradientEstimator implements GradientEstimator {

    /** Smallest noise scale: below it float losses cannot resolve the {@code O(s)} loss differences. */
    static final double MIN_SIGMA = 1e-5;

    /** Largest noise scale: beyond it the smoothed loss has little to do with the model's loss. */
    static final double MAX_SIGMA = 10.0;

    /** The state key of log s. */
    static final String LOG_SIGMA = "log-sigma";

    private final boolean antithetic;
    private final Baseline baseline;
    private final boolean learnSigma;
    private final double sigmaLr;
    private double logSigma;

    LrGradientEstimator(double sigma, boolean antithetic, Baseline baseline, boolean learnSigma, double sigmaLr) {
        this.logSigma = Math.log(sigma);
        this.antithetic = antithetic;
        this.baseline = baseline;
        this.learnSigma = learnSigma;
        this.sigmaLr = sigmaLr;
    }

    @Override
    public EstimatorCost cost() {
        return new EstimatorCost(antithetic ? 2 : 1, 0);
    }

    /** Noise is drawn per query row, never shared between points (docs/method.md §2, direction sharing). */
    @Override
    public boolean independentPerPoint() {
        return true;
    }

    @Override
    public EstimationStep begin(StepContext context) {
        Objective objective = context.evaluator().objective();
        if (!(objective instanceof NetworkObjective) && !(objective instanceof GraphObjective)) {
            throw new UnsupportedCapabilityException("Estimator 'lr' needs a native network objective (activation "
                    + "noise); " + objective + " is a black box. Use spsa or rge, or train a built-in model.");
        }
        if (context.batchSize() > LrEstimationStep.MAX_BATCH) {
            throw new InvalidConfigurationException("Estimator 'lr' numbers its noise streams point * "
                    + LrEstimationStep.STREAMS_PER_POINT + " + draw, so a batch may have at most "
                    + LrEstimationStep.MAX_BATCH + " points, got " + context.batchSize()
                    + "; lower the batch size");
        }
        return new LrEstimationStep(this, context, objective, (float) Math.exp(logSigma));
    }

    /**
     * Saves log s, the noise scale the next step uses.
     *
     * @return {@code {"log-sigma": [log s]}}
     */
    @Override
    public Map<String, double[]> saveState() {
        return Map.of(LOG_SIGMA, new double[] {logSigma});
    }

    /**
     * Restores log s when {@code learn-sigma} is on. With a fixed noise scale the configured {@code sigma} wins,
     * so changing the setting takes effect when a run resumes from a checkpoint.
     *
     * @param state the saved arrays
     * @throws InvalidDataException if the saved log s is malformed or outside the allowed range
     */
    @Override
    public void restoreState(Map<String, double[]> state) {
        double[] saved = state.get(LOG_SIGMA);
        if (!learnSigma || saved == null) {
            return;
        }
        if (saved.length != 1 || !(saved[0] >= Math.log(MIN_SIGMA) - 1e-12)
                || !(saved[0] <= Math.log(MAX_SIGMA) + 1e-12)) {
            throw new InvalidDataException("Saved state of estimator 'lr' has " + LOG_SIGMA + "="
                    + java.util.Arrays.toString(saved) + "; expected one value in [ln " + MIN_SIGMA + ", ln "
                    + MAX_SIGMA + "]. The checkpoint is damaged or from another estimator");
        }
        logSigma = saved[0];
    }

    boolean antithetic() {
        return antithetic;
    }

    Baseline baseline() {
        return baseline;
    }

    boolean learnSigma() {
        return learnSigma;
    }

    /**
     * One gradient step on log s (docs/method.md §2, learnable log s), clamped to the allowed range so that a noisy
     * step can neither switch the noise off nor let it swamp the model. A non-finite gradient (from a non-finite
     * loss) leaves s unchanged.
     *
     * @param gradient the estimate of {@code d E[L] / d log s} from the step just finished
     */
    void stepLogSigma(double gradient) {
        if (!Double.isFinite(gradient)) {
            return;
        }
        double next = logSigma - sigmaLr * gradient;
        logSigma = Math.max(Math.log(MIN_SIGMA), Math.min(Math.log(MAX_SIGMA), next));
    }
}
