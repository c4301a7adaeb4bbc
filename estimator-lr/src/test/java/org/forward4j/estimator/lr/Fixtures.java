package org.forward4j.estimator.lr;

import java.util.List;
import java.util.Map;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.Settings;

/**
 * A tiny tanh network on made-up data, a double-precision backprop of its (noisy) loss for reference gradients,
 * and helpers to collect many seeded estimates. Backprop lives here, in test code only: the library never
 * differentiates.
 */
final class Fixtures {

    static final DenseNetwork NETWORK = new DenseNetwork(new int[] {5, 7, 3}, Activation.TANH);

    /** Five rows whose squared norms differ by about two orders of magnitude (as between MNIST digits). */
    static final float[] FEATURES = {
        0.9f, -0.4f, 0.3f, 0.1f, -0.7f,
        0.1f, 0.05f, -0.1f, 0.2f, 0.0f,
        -1.5f, 1.2f, 0.8f, -0.9f, 1.1f,
        0.4f, 0.6f, -0.2f, -0.5f, 0.3f,
        2.0f, -1.8f, 1.6f, 1.7f, -2.2f,
    };

    static final int[] LABELS = {0, 2, 1, 2, 0};

    static final NetworkObjective OBJECTIVE = Networks.objective(NETWORK, FEATURES, LABELS);

    static final int D = NETWORK.dimension();

    private Fixtures() {
    }

    /** Fixed parameters of moderate size (so tanh units are neither linear nor saturated). */
    static float[] theta() {
        float[] t = new float[D];
        new NoiseStream(12345L, 0, 0, 0).fill(NoiseStream.Distribution.GAUSSIAN, t, 0, D, 0);
        for (int k = 0; k < D; k++) {
            t[k] *= 0.6f;
        }
        return t;
    }

    static GradientEstimator estimator(String... keyValues) {
        return new LrGradientEstimatorProvider().create(Settings.of(keyValues));
    }

    /** Runs one step: a pilot round of {@code pilot} draws per point, then {@code rest} more per point. */
    static GradientEstimate step(GradientEstimator est, QueryEvaluator eval, float[] theta, int[] rows, long seed,
                                 int step, int pilot, boolean includePilot, int rest) {
        EstimationStep s = est.begin(new StepContext(eval, theta, rows, seed, step));
        s.run(filled(rows.length, pilot), includePilot);
        s.run(filled(rows.length, rest), true);
        return s.finish();
    }

    static int[] filled(int n, int v) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    /** Sample statistics of many gradient estimates. */
    static final class Stats {
        final int n;
        final double[] mean;
        final double[] variance;
        /** Trace of the covariance, and its standard error from the spread of the squared deviations. */
        final double trace;
        final double traceSe;

        Stats(List<float[]> samples) {
            n = samples.size();
            int d = samples.get(0).length;
            mean = new double[d];
            for (float[] g : samples) {
                for (int k = 0; k < d; k++) {
                    mean[k] += g[k];
                }
            }
            for (int k = 0; k < d; k++) {
                mean[k] /= n;
            }
            variance = new double[d];
            double[] sq = new double[n];
            for (int t = 0; t < n; t++) {
                float[] g = samples.get(t);
                for (int k = 0; k < d; k++) {
                    double e = g[k] - mean[k];
                    variance[k] += e * e;
                    sq[t] += e * e;
                }
            }
            double tr = 0;
            for (int k = 0; k < d; k++) {
                variance[k] /= n - 1;
                tr += variance[k];
            }
            trace = tr;
            double m = 0;
            for (double q : sq) {
                m += q;
            }
            m /= n;
            double v = 0;
            for (double q : sq) {
                v += (q - m) * (q - m);
            }
            traceSe = Math.sqrt(v / (n - 1) / n) * n / (n - 1.0);
        }

        double se(int k) {
            return Math.sqrt(variance[k] / n);
        }
    }

    /**
     * Reference gradient of the smoothed batch-mean loss {@code (1/B) sum_i E[L_i(v + s eps)]} and of its
     * derivative in log s, by the pathwise (reparameterisation) estimator in double precision: backprop through
     * the noisy network, averaged over many noise samples. Its variance is O(s^2) per sample, far below the
     * likelihood ratio's, so with enough samples it is a near-exact reference.
     */
    static final class Smoothed {
        private static final Map<String, Smoothed> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

        /** The reference at {@link #theta()}, computed once per configuration (several tests share it). */
        static Smoothed of(int[] rows, double s, int samples, long seed) {
            return CACHE.computeIfAbsent(java.util.Arrays.toString(rows) + "/" + s + "/" + samples + "/" + seed,
                    key -> new Smoothed(theta(), rows, s, samples, seed));
        }

        final double[] mean = new double[D];
        final double[] se = new double[D];
        double logSigmaGradient;
        double logSigmaSe;

        Smoothed(float[] theta, int[] rows, double s, int samples, long seed) {
            double[] sq = new double[D];
            double[] g = new double[D];
            double ls = 0;
            double lsSq = 0;
            for (int t = 0; t < samples; t++) {
                java.util.Arrays.fill(g, 0);
                double dls = 0;
                for (int i = 0; i < rows.length; i++) {
                    float[][] eps = new float[NETWORK.layers()][];
                    for (int l = 0; l < NETWORK.layers(); l++) {
                        eps[l] = new float[NETWORK.out(l)];
                        new NoiseStream(seed, i, t, l).fill(NoiseStream.Distribution.GAUSSIAN, eps[l], 0,
                                eps[l].length, 0);
                    }
                    dls += backprop(theta, rows[i], s, eps, g, 1.0 / rows.length);
                }
                for (int k = 0; k < D; k++) {
                    mean[k] += g[k];
                    sq[k] += g[k] * g[k];
                }
                ls += dls;
                lsSq += dls * dls;
            }
            for (int k = 0; k < D; k++) {
                mean[k] /= samples;
                se[k] = Math.sqrt(Math.max(0, sq[k] / samples - mean[k] * mean[k]) / (samples - 1));
            }
            logSigmaGradient = ls / samples;
            logSigmaSe = Math.sqrt(Math.max(0, lsSq / samples - logSigmaGradient * logSigmaGradient)
                    / (samples - 1));
        }
    }

    /**
     * Adds {@code scale * dL/dtheta} of one row with noise {@code s * eps} (null: clean) to {@code grad}.
     *
     * @return {@code scale * dL/dlog s = scale * s * sum_l delta_l . eps_l}
     */
    static double backprop(float[] theta, int row, double s, float[][] eps, double[] grad, double scale) {
        int layers = NETWORK.layers();
        double[][] x = new double[layers + 1][];
        x[0] = new double[NETWORK.in(0)];
        for (int k = 0; k < x[0].length; k++) {
            x[0][k] = FEATURES[row * NETWORK.in(0) + k];
        }
        for (int l = 0; l < layers; l++) {
            int in = NETWORK.in(l);
            int out = NETWORK.out(l);
            double[] v = new double[out];
            for (int o = 0; o < out; o++) {
                double a = theta[NETWORK.biasOffset(l) + o];
                for (int i = 0; i < in; i++) {
                    a += theta[NETWORK.weightOffset(l) + o * in + i] * x[l][i];
                }
                if (eps != null) {
                    a += s * eps[l][o];
                }
                v[o] = l < layers - 1 ? Math.tanh(a) : a;
            }
            x[l + 1] = v;
        }
        double[] logits = x[layers];
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : logits) {
            sum += Math.exp(v - max);
        }
        double[] delta = new double[logits.length];
        for (int o = 0; o < logits.length; o++) {
            delta[o] = Math.exp(logits[o] - max) / sum - (o == LABELS[row] ? 1 : 0);
        }
        double dls = 0;
        for (int l = layers - 1; l >= 0; l--) {
            int in = NETWORK.in(l);
            int out = NETWORK.out(l);
            double[] prev = new double[in];
            for (int o = 0; o < out; o++) {
                if (eps != null) {
                    dls += s * delta[o] * eps[l][o];
                }
                grad[NETWORK.biasOffset(l) + o] += scale * delta[o];
                for (int i = 0; i < in; i++) {
                    grad[NETWORK.weightOffset(l) + o * in + i] += scale * delta[o] * x[l][i];
                    prev[i] += theta[NETWORK.weightOffset(l) + o * in + i] * delta[o];
                }
            }
            if (l > 0) {
                for (int i = 0; i < in; i++) {
                    prev[i] *= 1 - x[l][i] * x[l][i];
                }
            }
            delta = prev;
        }
        return scale * dls;
    }

    /** The clean batch-mean loss in double precision. */
    static double cleanLoss(double[] theta, int[] rows) {
        double total = 0;
        for (int row : rows) {
            total += doubleLoss(theta, row);
        }
        return total / rows.length;
    }

    private static double doubleLoss(double[] theta, int row) {
        int layers = NETWORK.layers();
        double[] x = new double[NETWORK.in(0)];
        for (int k = 0; k < x.length; k++) {
            x[k] = FEATURES[row * NETWORK.in(0) + k];
        }
        for (int l = 0; l < layers; l++) {
            int in = NETWORK.in(l);
            double[] v = new double[NETWORK.out(l)];
            for (int o = 0; o < v.length; o++) {
                double a = theta[NETWORK.biasOffset(l) + o];
                for (int i = 0; i < in; i++) {
                    a += theta[NETWORK.weightOffset(l) + o * in + i] * x[i];
                }
                v[o] = l < layers - 1 ? Math.tanh(a) : a;
            }
            x = v;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : x) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum) - x[LABELS[row]];
    }

    /** A black-box objective: only losses, no layers. */
    static Objective blackBox() {
        return new Objective() {
            @Override
            public int dimension() {
                return 3;
            }

            @Override
            public int size() {
                return 2;
            }

            @Override
            public void losses(float[] params, int[] rows, double[] out) {
                for (int k = 0; k < rows.length; k++) {
                    out[k] = params[0] * params[0] + rows[k];
                }
            }

            @Override
            public String toString() {
                return "quadratic black box";
            }
        };
    }

    static QueryEvaluator reference() {
        return new ReferenceQueryEvaluator(OBJECTIVE);
    }

    static Map<String, double[]> state(double logSigma) {
        return Map.of(LrGradientEstimator.LOG_SIGMA, new double[] {logSigma});
    }
}
