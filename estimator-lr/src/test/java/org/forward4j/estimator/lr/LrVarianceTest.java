package org.forward4j.estimator.lr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.QueryEvaluator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * How the variance of the batch estimate depends on draws, antithetic pairing and the baseline, measured as the
 * trace of the covariance of many seeded estimates at the default noise scale s = 0.01. Ratios are compared with
 * their predicted values within 4 standard errors (delta method on the two traces' own standard errors).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LrVarianceTest {

    static final long SEED = 4242L;
    static final int[] ROWS = {3, 1, 0, 4};
    static final int STEPS = 3000;

    /** Trace variances keyed by "antithetic/baseline/draws". */
    private final Map<String, Fixtures.Stats> runs = new HashMap<>();

    @BeforeAll
    void measure() {
        int offset = 0;
        for (String baseline : new String[] {"loo", "none"}) {
            for (int[] config : new int[][] {{1, 2}, {1, 8}, {0, 4}, {0, 16}}) {
                boolean antithetic = config[0] == 1;
                GradientEstimator est = Fixtures.estimator("antithetic", Boolean.toString(antithetic), "baseline",
                        baseline);
                QueryEvaluator eval = Fixtures.reference();
                float[] theta = Fixtures.theta();
                List<float[]> g = new ArrayList<>();
                for (int t = 0; t < STEPS; t++) {
                    // disjoint step ranges keep the runs independent of each other
                    g.add(Fixtures.step(est, eval, theta, ROWS, SEED, offset + t, 1, true, config[1] - 1)
                            .gradient());
                }
                offset += STEPS;
                runs.put(key(antithetic, baseline, config[1]), new Fixtures.Stats(g));
            }
        }
    }

    private static String key(boolean antithetic, String baseline, int draws) {
        return antithetic + "/" + baseline + "/" + draws;
    }

    private Fixtures.Stats run(boolean antithetic, String baseline, int draws) {
        return runs.get(key(antithetic, baseline, draws));
    }

    /** trace(a) / trace(b) and its standard error. */
    private static double[] ratio(Fixtures.Stats a, Fixtures.Stats b) {
        double r = a.trace / b.trace;
        return new double[] {r, r * Math.hypot(a.traceSe / a.trace, b.traceSe / b.trace)};
    }

    @Test
    void varianceFallsAsOneOverDraws() {
        for (String baseline : new String[] {"loo", "none"}) {
            double[] pairs = ratio(run(true, baseline, 2), run(true, baseline, 8));
            System.out.printf("lr variance antithetic baseline=%s: 2 vs 8 draws ratio %.3f +- %.3f (expect 4)%n",
                    baseline, pairs[0], pairs[1]);
            assertThat(pairs[0]).as("seed %d, antithetic, baseline %s: var(2 draws)/var(8 draws) = %.3f +- %.3f",
                    SEED, baseline, pairs[0], pairs[1]).isCloseTo(4.0, org.assertj.core.data.Offset.offset(
                    4 * pairs[1]));
        }
        double[] none = ratio(run(false, "none", 4), run(false, "none", 16));
        System.out.printf("lr variance single baseline=none: 4 vs 16 draws ratio %.3f +- %.3f (expect 4)%n",
                none[0], none[1]);
        assertThat(none[0]).as("seed %d, single draws, no baseline: %.3f +- %.3f", SEED, none[0], none[1])
                .isCloseTo(4.0, org.assertj.core.data.Offset.offset(4 * none[1]));
        // With single draws the leave-one-out baseline is the mean of the A-1 other draws: its own noise inflates
        // each draw's variance by A/(A-1), so the estimate's variance is sigma^2/(A-1), not sigma^2/A, and
        // 4 -> 16 draws divides it by 15/3 = 5. perDrawVariance carries the same A/(A-1) factor, so
        // sum_i v_i / A_i still describes the actual variance.
        double[] loo = ratio(run(false, "loo", 4), run(false, "loo", 16));
        System.out.printf("lr variance single baseline=loo: 4 vs 16 draws ratio %.3f +- %.3f (expect 15/3 = 5)%n",
                loo[0], loo[1]);
        assertThat(loo[0]).as("seed %d, single draws, loo baseline: %.3f +- %.3f", SEED, loo[0], loo[1])
                .isCloseTo(5.0, org.assertj.core.data.Offset.offset(4 * loo[1]));
    }

    @Test
    void antitheticPairsVersusSingleQueriesAtEqualQueryCount() {
        // 2 pairs = 4 queries per point against 4 single draws = 4 queries per point.
        double[] none = ratio(run(true, "none", 2), run(false, "none", 4));
        System.out.printf("lr antithetic vs single at equal queries, baseline=none: ratio %.5f +- %.5f%n", none[0],
                none[1]);
        assertThat(none[0] + 4 * none[1]).as("seed %d: without a baseline pairs remove the L^2/s^2 term", SEED)
                .isLessThan(0.01);
        // With the loo baseline a single draw already removes the loss level; to leading order in s a pair's term
        // (L+ - L-)/2 eps/s has the variance of one single draw, but costs two queries. A pairs against 2A single
        // draws (variance inflated by 2A/(2A-1), see above) predicts a ratio (2A-1)/A = 1.5 for A = 2: pairing is
        // worse here, its value is the pilot (docs/method.md §3.2), not the variance.
        double[] loo = ratio(run(true, "loo", 2), run(false, "loo", 4));
        System.out.printf("lr antithetic vs single at equal queries, baseline=loo: ratio %.3f +- %.3f "
                + "(predicted 1.5)%n", loo[0], loo[1]);
        assertThat(loo[0]).as("seed %d: %.3f +- %.3f", SEED, loo[0], loo[1])
                .isCloseTo(1.5, org.assertj.core.data.Offset.offset(4 * loo[1]));
    }

    @Test
    void looBaselineLowersVarianceVersusNone() {
        double[] single = ratio(run(false, "loo", 4), run(false, "none", 4));
        double[] pairs = ratio(run(true, "loo", 2), run(true, "none", 2));
        System.out.printf("lr loo vs none: single draws ratio %.2e +- %.1e, antithetic ratio %.3f +- %.3f%n",
                single[0], single[1], pairs[0], pairs[1]);
        assertThat(single[0] + 4 * single[1]).as("seed %d, single draws", SEED).isLessThan(0.01);
        // With pairs the baseline cancels in the first layer and the biases and only acts on deeper weights,
        // whose inputs differ between the +eps and -eps paths; there it still removes the loss level.
        assertThat(pairs[0] + 4 * pairs[1]).as("seed %d, antithetic pairs", SEED).isLessThan(1.0);
    }

    @Test
    void perDrawVarianceTracksEachPointsTraceCovariance() {
        GradientEstimator est = Fixtures.estimator();
        QueryEvaluator eval = Fixtures.reference();
        float[] theta = Fixtures.theta();
        int draws = 4;
        double[] measured = new double[5];
        double[] ratios = new double[5];
        for (int row = 0; row < 5; row++) {
            List<float[]> g = new ArrayList<>();
            double v = 0;
            int steps = 1500;
            for (int t = 0; t < steps; t++) {
                GradientEstimate e = Fixtures.step(est, eval, theta, new int[] {row}, SEED, t, 1, true, draws - 1);
                g.add(e.gradient());
                assertThat(e.perDrawVariance()[0]).as("seed %d", SEED).isFinite().isGreaterThanOrEqualTo(0);
                v += e.perDrawVariance()[0] / steps;
            }
            Fixtures.Stats stats = new Fixtures.Stats(g);
            measured[row] = stats.trace * draws;
            ratios[row] = v / measured[row];
            System.out.printf("lr v_i row %d: trace cov per draw %.4g, mean v_i %.4g, ratio %.3f%n", row,
                    measured[row], v, ratios[row]);
        }
        double spread = max(measured) / min(measured);
        double ratioSpread = max(ratios) / min(ratios);
        assertThat(spread).as("seed %d: the points differ a lot", SEED).isGreaterThan(50);
        // v_i covers the first layer and the biases (see LrEstimationStep): a lower bound on the trace, up to a
        // factor common enough across points for allocation.
        for (int row = 0; row < ratios.length; row++) {
            assertThat(ratios[row]).as("seed %d, row %d: v_i / trace", SEED, row).isBetween(0.4, 1.05);
        }
        assertThat(ratioSpread).as("seed %d: v_i / trace spread", SEED).isLessThan(1.5);
    }

    private static double max(double[] a) {
        return java.util.Arrays.stream(a).max().orElseThrow();
    }

    private static double min(double[] a) {
        return java.util.Arrays.stream(a).min().orElseThrow();
    }
}
