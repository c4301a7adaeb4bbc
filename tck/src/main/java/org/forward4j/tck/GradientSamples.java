package org.forward4j.tck;

import static org.assertj.core.api.Assertions.assertThat;

import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.StepContext;

/**
 * Many seeded gradient estimates of one estimator at one point, and their per-coordinate statistics, for the
 * statistical checks of docs/method.md §2: unbiasedness (the mean lies within a few standard errors of the exact
 * gradient) and variance (how the trace of the covariance scales with the draws). Estimate t is step t of the
 * given seed, so the samples are independent and reproducible (docs/method.md §5).
 */
public final class GradientSamples {

    private final double[][] values;

    private GradientSamples(double[][] values) {
        this.values = values;
    }

    /**
     * Runs {@code n} independent steps t = 0 .. n-1, each with the given rounds, all included in the estimate.
     *
     * @param estimator the estimator
     * @param evaluator the evaluator of every step
     * @param theta the parameters
     * @param rows the batch rows
     * @param seed the seed of every step
     * @param n the number of estimates, at least 2
     * @param rounds draws per point of each round, in order (for example a pilot, then an allocation)
     * @return the estimates
     */
    public static GradientSamples draw(GradientEstimator estimator, QueryEvaluator evaluator, float[] theta,
                                       int[] rows, long seed, int n, int[]... rounds) {
        if (n < 2) {
            throw new IllegalArgumentException("statistics need at least 2 estimates, got " + n);
        }
        double[][] v = new double[n][];
        for (int t = 0; t < n; t++) {
            EstimationStep step = estimator.begin(new StepContext(evaluator, theta, rows, seed, t));
            for (int[] round : rounds) {
                step.run(round, true);
            }
            float[] g = step.finish().gradient();
            v[t] = new double[g.length];
            for (int k = 0; k < g.length; k++) {
                v[t][k] = g[k];
            }
        }
        return new GradientSamples(v);
    }

    /**
     * The number of estimates.
     *
     * @return n
     */
    public int size() {
        return values.length;
    }

    /**
     * The mean estimate.
     *
     * @return one value per coordinate
     */
    public double[] mean() {
        double[] m = new double[values[0].length];
        for (double[] s : values) {
            for (int k = 0; k < m.length; k++) {
                m[k] += s[k] / values.length;
            }
        }
        return m;
    }

    /**
     * The standard error of each coordinate's mean, from the sample variance.
     *
     * @return one value per coordinate
     */
    public double[] standardErrors() {
        double[] m = mean();
        double[] se = new double[m.length];
        for (double[] s : values) {
            for (int k = 0; k < m.length; k++) {
                se[k] += (s[k] - m[k]) * (s[k] - m[k]);
            }
        }
        int n = values.length;
        for (int k = 0; k < m.length; k++) {
            se[k] = Math.sqrt(se[k] / (n - 1) / n);
        }
        return se;
    }

    /**
     * The trace of the covariance of one estimate, and its standard error from the spread of |g - mean|^2.
     *
     * @return {@code {trace, standard error}}
     */
    public double[] totalVariance() {
        double[] m = mean();
        int n = values.length;
        double[] q = new double[n];
        double mean = 0;
        for (int t = 0; t < n; t++) {
            for (int k = 0; k < m.length; k++) {
                q[t] += (values[t][k] - m[k]) * (values[t][k] - m[k]);
            }
            mean += q[t] / n;
        }
        double var = 0;
        for (double x : q) {
            var += (x - mean) * (x - mean) / (n - 1);
        }
        // q has mean (n-1)/n * trace Cov; the 1/n correction to the SE is negligible next to sqrt(var/n)
        return new double[] {mean * n / (n - 1), Math.sqrt(var / n)};
    }

    /**
     * The ratio of two independent samples' {@linkplain #totalVariance() covariance traces}, with its standard
     * error by the delta method, {@code SE(R) = R sqrt(rel_a^2 + rel_b^2)} for the relative standard errors of the
     * two traces. The samples must come from different seeds, or the traces are not independent.
     *
     * @param numerator the sample whose trace is divided
     * @param denominator the sample it is divided by
     * @return {@code {ratio, standard error}}
     */
    public static double[] varianceRatio(GradientSamples numerator, GradientSamples denominator) {
        double[] a = numerator.totalVariance();
        double[] b = denominator.totalVariance();
        double ratio = a[0] / b[0];
        return new double[] {ratio, ratio * Math.hypot(a[1] / a[0], b[1] / b[0])};
    }

    /**
     * Asserts that every coordinate's mean lies within {@code k} standard errors of {@code truth}.
     *
     * @param truth the exact gradient
     * @param k the bound in standard errors
     * @param what the description failures start with (put the seed in it)
     */
    public void assertMeanWithin(double[] truth, double k, String what) {
        double[] m = mean();
        double[] se = standardErrors();
        for (int c = 0; c < truth.length; c++) {
            assertThat(Math.abs(m[c] - truth[c]))
                    .as("%s: coordinate %d mean %.6f vs analytic %.6f (SE %.2e, %d samples)", what, c, m[c],
                            truth[c], se[c], values.length)
                    .isLessThanOrEqualTo(k * se[c]);
        }
    }

    /**
     * Asserts that a bound of {@code k} standard errors is sharp enough to catch a bias of {@code fraction} of
     * |truth| in every coordinate: {@code k * SE < fraction * |truth|}. Without it a noisy estimator would pass
     * {@link #assertMeanWithin} whatever its bias.
     *
     * @param truth the exact gradient
     * @param k the bound in standard errors
     * @param fraction the bias, relative to the gradient's norm, that must be resolved
     * @param what the description failures start with (put the seed in it)
     */
    public void assertResolves(double[] truth, double k, double fraction, String what) {
        double norm = 0;
        for (double t : truth) {
            norm += t * t;
        }
        for (double se : standardErrors()) {
            assertThat(k * se).as("%s: resolving power", what).isLessThan(fraction * Math.sqrt(norm));
        }
    }
}
