package org.forward4j.estimator.lr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.plugin.InvalidDataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The learnable noise scale (docs/method.md §2, "learnable log s") and the estimator's saved state. */
class LrLearnSigmaTest {

    static final long SEED = 31337L;
    static final int[] ROWS = {3, 1, 0, 4};

    static double logSigma(GradientEstimator est) {
        return est.saveState().get(LrGradientEstimator.LOG_SIGMA)[0];
    }

    /**
     * One step moves log s by {@code -sigma-lr * ghat}; the mean of ghat over many seeded steps, each restarted
     * from the same s, matches {@code d/dlog s} of the smoothed batch-mean loss, computed pathwise by backprop in
     * double precision ({@code s E[sum_l delta_l . eps_l]}).
     */
    @ParameterizedTest(name = "antithetic={0} baseline={1}")
    @CsvSource({"true, loo", "false, loo", "false, none"})
    void logSigmaStepIsAnUnbiasedGradientOfTheSmoothedLoss(boolean antithetic, String baseline) {
        double sigma = 0.3;
        double lr = 1e-3;
        GradientEstimator est = Fixtures.estimator("antithetic", Boolean.toString(antithetic), "baseline", baseline,
                "sigma", Double.toString(sigma), "learn-sigma", "true", "sigma-lr", Double.toString(lr));
        QueryEvaluator eval = Fixtures.reference();
        float[] theta = Fixtures.theta();
        Map<String, double[]> start = est.saveState();
        double before = logSigma(est);
        int steps = 8000;
        double sum = 0;
        double sumSq = 0;
        for (int t = 0; t < steps; t++) {
            est.restoreState(start);
            Fixtures.step(est, eval, theta, ROWS, SEED, t, 1, true, 3);
            double g = (before - logSigma(est)) / lr;
            sum += g;
            sumSq += g * g;
        }
        double mean = sum / steps;
        double se = Math.sqrt((sumSq / steps - mean * mean) / (steps - 1));
        Fixtures.Smoothed ref = Fixtures.Smoothed.of(ROWS, (float) Math.exp(before), 100_000, 555L);
        double bound = 4 * Math.hypot(se, ref.logSigmaSe);
        System.out.printf("lr d/dlog s antithetic=%s baseline=%s: estimate %.5f +- %.5f, pathwise %.5f +- %.5f%n",
                antithetic, baseline, mean, se, ref.logSigmaGradient, ref.logSigmaSe);
        assertThat(mean).as("seed %d: %.5f vs %.5f", SEED, mean, ref.logSigmaGradient)
                .isCloseTo(ref.logSigmaGradient, org.assertj.core.data.Offset.offset(bound));
    }

    @Test
    void learningMovesSigmaAndStateRoundTrips() {
        String[] settings = {"learn-sigma", "true", "sigma-lr", "0.05", "sigma", "0.1"};
        GradientEstimator est = Fixtures.estimator(settings);
        QueryEvaluator eval = Fixtures.reference();
        float[] theta = Fixtures.theta();
        double initial = logSigma(est);
        for (int t = 0; t < 30; t++) {
            Fixtures.step(est, eval, theta, ROWS, SEED, t, 1, true, 3);
        }
        double learned = logSigma(est);
        System.out.printf("lr learn-sigma: log s %.4f -> %.4f after 30 steps%n", initial, learned);
        assertThat(learned).as("seed %d", SEED).isNotEqualTo(initial);

        GradientEstimator resumed = Fixtures.estimator(settings);
        resumed.restoreState(est.saveState());
        assertThat(logSigma(resumed)).isEqualTo(learned);
        GradientEstimate a = Fixtures.step(est, eval, theta, ROWS, SEED, 30, 1, true, 3);
        GradientEstimate b = Fixtures.step(resumed, eval, theta, ROWS, SEED, 30, 1, true, 3);
        assertThat(b.gradient()).containsExactly(a.gradient());
        assertThat(logSigma(resumed)).isEqualTo(logSigma(est));
    }

    @Test
    void fixedSigmaIgnoresSavedStateAndNeverMoves() {
        GradientEstimator est = Fixtures.estimator("sigma", "0.05");
        est.restoreState(Fixtures.state(Math.log(0.5)));
        Fixtures.step(est, Fixtures.reference(), Fixtures.theta(), ROWS, SEED, 0, 1, true, 3);
        assertThat(logSigma(est)).isEqualTo(Math.log(0.05));
        est.restoreState(Map.of());
        assertThat(logSigma(est)).isEqualTo(Math.log(0.05));
    }

    @Test
    void learnedSigmaStaysInRange() {
        GradientEstimator est = Fixtures.estimator("learn-sigma", "true", "sigma-lr", "1", "sigma", "9",
                "baseline", "none", "antithetic", "false");
        for (int t = 0; t < 20; t++) {
            Fixtures.step(est, Fixtures.reference(), Fixtures.theta(), ROWS, SEED, t, 1, true, 3);
            assertThat(logSigma(est)).as("seed %d, step %d", SEED, t)
                    .isBetween(Math.log(LrGradientEstimator.MIN_SIGMA), Math.log(LrGradientEstimator.MAX_SIGMA));
        }
    }

    @Test
    void malformedStateIsRejected() {
        GradientEstimator est = Fixtures.estimator("learn-sigma", "true");
        assertThatThrownBy(() -> est.restoreState(Map.of("log-sigma", new double[] {1, 2})))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("Saved state of estimator 'lr' has log-sigma=[1.0, 2.0]; expected one value in [ln 1.0E-5, "
                        + "ln 10.0]. The checkpoint is damaged or from another estimator");
        assertThatThrownBy(() -> est.restoreState(Fixtures.state(Double.NaN)))
                .isInstanceOf(InvalidDataException.class);
        assertThatThrownBy(() -> est.restoreState(Fixtures.state(5.0)))
                .isInstanceOf(InvalidDataException.class);
    }
}
