package org.forward4j.estimator.lr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.QueryEvaluator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The mean of many seeded estimates matches the gradient of the smoothed batch-mean loss (docs/method.md §2, LR),
 * per coordinate within 4 combined standard errors.
 *
 * <p>LR estimates {@code grad E[L(v + s eps)]}, which differs from the clean gradient by O(s^2). Rather than
 * relying on s being small, the reference is the smoothed gradient itself, computed by backprop through the
 * noisy network in double precision (test code only), averaged over many noise samples (its own standard error
 * enters the bound). The test also checks that reference against central finite differences of the clean loss
 * at s = 0, and prints how far the smoothed gradient is from the clean one.
 */
class LrUnbiasednessTest {

    static final int[] ROWS = {3, 1, 0, 4};

    @ParameterizedTest(name = "antithetic={0} baseline={1} sigma={2} includePilot={3}")
    @CsvSource({
        "true, loo, 0.1, true, 12000",
        "false, loo, 0.1, false, 12000",
        "true, none, 0.1, true, 12000",
        "false, none, 0.3, true, 12000",
    })
    void meanOfEstimatesIsTheSmoothedGradient(boolean antithetic, String baseline, double sigma,
                                              boolean includePilot, int steps) {
        long seed = 20250101L;
        float[] theta = Fixtures.theta();
        GradientEstimator est = Fixtures.estimator("antithetic", Boolean.toString(antithetic), "baseline", baseline,
                "sigma", Double.toString(sigma));
        QueryEvaluator eval = Fixtures.reference();
        long t0 = System.nanoTime();
        List<float[]> samples = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
            samples.add(Fixtures.step(est, eval, theta, ROWS, seed, step, 1, includePilot, 3).gradient());
        }
        Fixtures.Stats stats = new Fixtures.Stats(samples);
        long t1 = System.nanoTime();
        Fixtures.Smoothed ref = Fixtures.Smoothed.of(ROWS, (float) sigma, 100_000, 777L);
        long t2 = System.nanoTime();
        double[] clean = new double[Fixtures.D];
        for (int row : ROWS) {
            Fixtures.backprop(theta, row, 0, null, clean, 1.0 / ROWS.length);
        }
        double worst = 0;
        double smoothingShift = 0;
        double meanSe = 0;
        for (int k = 0; k < Fixtures.D; k++) {
            double se = Math.sqrt(stats.se(k) * stats.se(k) + ref.se[k] * ref.se[k]);
            worst = Math.max(worst, Math.abs(stats.mean[k] - ref.mean[k]) / se);
            smoothingShift = Math.max(smoothingShift, Math.abs(ref.mean[k] - clean[k]) / stats.se(k));
            meanSe += stats.se(k) / Fixtures.D;
            assertThat(stats.mean[k])
                    .as("seed %d, coordinate %d: estimate %.5f vs smoothed gradient %.5f (se %.5f)", seed, k,
                            stats.mean[k], ref.mean[k], se)
                    .isCloseTo(ref.mean[k], org.assertj.core.data.Offset.offset(4 * se));
        }
        System.out.printf("lr unbiased antithetic=%s baseline=%s s=%.2f pilotIn=%s: %d steps %.1f s, ref %.1f s; "
                        + "worst |z| %.2f; mean se %.4f; trace var %.4g; max |smoothed-clean|/se %.2f%n",
                antithetic, baseline, sigma, includePilot, steps, (t1 - t0) / 1e9, (t2 - t1) / 1e9, worst, meanSe,
                stats.trace, smoothingShift);
    }

    @Test
    void referenceBackpropMatchesFiniteDifferencesOfTheCleanLoss() {
        float[] theta = Fixtures.theta();
        double[] grad = new double[Fixtures.D];
        for (int row : ROWS) {
            Fixtures.backprop(theta, row, 0, null, grad, 1.0 / ROWS.length);
        }
        double[] t = new double[Fixtures.D];
        for (int k = 0; k < t.length; k++) {
            t[k] = theta[k];
        }
        double h = 1e-5;
        for (int k = 0; k < t.length; k++) {
            double keep = t[k];
            t[k] = keep + h;
            double up = Fixtures.cleanLoss(t, ROWS);
            t[k] = keep - h;
            double down = Fixtures.cleanLoss(t, ROWS);
            t[k] = keep;
            assertThat(grad[k]).as("coordinate %d", k).isCloseTo((up - down) / (2 * h),
                    org.assertj.core.data.Offset.offset(1e-7));
        }
    }
}
