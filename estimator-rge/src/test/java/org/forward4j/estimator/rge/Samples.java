package org.forward4j.estimator.rge;

import static org.assertj.core.api.Assertions.assertThat;

import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.StepContext;

/** Many seeded gradient estimates (step number t as the noise key) and their per-coordinate statistics. */
final class Samples {
    final double[][] values;

    private Samples(double[][] values) {
        this.values = values;
    }

    /**
     * Runs {@code n} independent steps t = 0..n-1, each with the given rounds (all included).
     *
     * @param rounds draws per point of each round, in order
     */
    static Samples draw(GradientEstimator estimator, QueryEvaluator evaluator, float[] theta, int[] rows, long seed,
                        int n, int[]... rounds) {
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
        return new Samples(v);
    }

    double[] mean() {
        double[] m = new double[values[0].length];
        for (double[] s : values) {
            for (int k = 0; k < m.length; k++) {
                m[k] += s[k] / values.length;
            }
        }
        return m;
    }

    /** Standard error of each coordinate's mean, from the sample variance. */
    double[] standardErrors() {
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

    /** Trace of the covariance of one estimate, and its standard error: {total, se}. */
    double[] totalVariance() {
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

    /** Asserts every coordinate's mean lies within {@code k} standard errors of {@code truth}. */
    void assertMeanWithin(double[] truth, double k, String what) {
        double[] m = mean();
        double[] se = standardErrors();
        for (int c = 0; c < truth.length; c++) {
            assertThat(Math.abs(m[c] - truth[c]))
                    .as("%s: coordinate %d mean %.6f vs analytic %.6f (SE %.2e, %d samples)", what, c, m[c],
                            truth[c], se[c], values.length)
                    .isLessThanOrEqualTo(k * se[c]);
        }
    }
}
