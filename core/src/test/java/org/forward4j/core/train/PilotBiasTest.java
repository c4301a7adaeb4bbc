package org.forward4j.core.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.MapBinder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.forward4j.core.Forward4j;
import org.forward4j.core.model.Mlp;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.lr.LrGradientEstimatorProvider;
import org.forward4j.estimator.spi.EstimatorCapability;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.Settings;
import org.junit.jupiter.api.Test;

/**
 * The pilot bias of docs/method.md §3.2 ("Pilot bias"), measured through the real engine.
 *
 * <p><b>What is measured.</b> The expectation of one step's gradient estimate at a fixed theta, over the step's noise:
 * {@value #SAMPLES} steps of one {@link Trainer}, each a plain {@link Trainer#step} (so the Trainer's own order:
 * pilot round of one draw per point, proxies, allocation with {@code A_min = 2} when the pilot is left out, last
 * round, budget check, {@code observe}), on the same batch. The step counter, and with it every noise stream of
 * the estimator and of the allocator, advances from step to step, so the samples are independent. The estimator is
 * {@code lr} with its defaults (sigma = 0.01, antithetic pairs, leave-one-out baseline), wrapped only to record each
 * estimate and to evaluate every step at theta_0 exactly (the optimiser is SGD at the smallest allowed rate, 1e-12,
 * so the trainer's own copy of theta barely moves either). Per step the statistic is
 * {@code r = <g, g*> / |g*|^2}, g* the exact gradient of the batch's mean clean loss (a double-precision backprop
 * written here, checked against finite differences); its mean over the samples estimates
 * {@code <E[g], g*> / |g*|^2}, which is 1 for an unbiased estimator (up to the O(sigma^2) difference between the
 * smoothed and the clean loss, about 1e-4 here), and its standard error is the sample standard deviation over
 * sqrt {@value #SAMPLES}. Bounds are a few standard errors; every run is seeded, so each assertion is deterministic.
 *
 * <p><b>Setting.</b> The 8-6-3 tanh network of {@link TrainerTest}, initialised with seed {@value #INIT_SEED};
 * training noise seed {@value #NOISE_SEED}; B = 64, {@code queries-per-point} = 16 (D = 512 draws, 8 per point).
 * The degenerate batch is 64 copies of row {@value #ROW} of the synthetic data set (seed {@value #DATA_SEED}),
 * each copy its own data row (ids 0..63), so the batch gradient is that row's gradient. The ordinary batch is 64
 * different rows of the same data set.
 *
 * <p><b>Allocator state.</b> {@code optimal} learns Phi = (a, b, log s, log l) online, and the bias needs an
 * allocation that follows the proxies. Left to learn on the degenerate batch itself, it does not: from the default
 * Phi_0 = (0, 1, -1.5, 0) it moves towards uniform (after 5,000 steps a ~ 0.08, b ~ 1.34, log s ~ -1.97; the
 * shrink measured over steps 3,000 to 5,000 is 0.5% +- 0.2%), because there the proxies carry no information about
 * the variances. So Phi is fixed here through the allocator's {@code initial-*} settings with learning switched off
 * ({@code beta} = 1e-12): {@link #FOLLOWS_PROXY} = (3, 0, -5, 0) allocates in proportion to {@code max(z, 0)},
 * every point below the batch's mean proxy getting {@code A_min} (up to the jitter), as an allocator does that has
 * learnt on other data that the loss predicts the noise; {@link #LEARNED} is the Phi the default allocator had
 * actually learnt after 9,000 steps on the ordinary batch at theta_0 (seed {@value #NOISE_SEED}), a mild allocation
 * (a / b ~ 0.25).
 */
class PilotBiasTest {

    private static final long DATA_SEED = 1;
    private static final long INIT_SEED = 5;
    private static final long NOISE_SEED = 7;
    private static final int ROW = 3;
    private static final int B = 64;
    private static final int SAMPLES = 2000;
    private static final DenseNetwork NET = Mlp.network(8, new int[] {6}, 3, Activation.TANH);
    private static final float[] THETA = Mlp.initialParameters(NET, INIT_SEED);

    /** Phi = (3, 0, -5, 0), frozen: allocation proportional to max(z, 0); points below the mean proxy get A_min. */
    private static final Map<String, String> FOLLOWS_PROXY = Map.of("allocator.initial-a", "3",
            "allocator.initial-b", "0", "allocator.initial-log-s", "-5", "allocator.initial-log-l", "0",
            "allocator.beta", "1e-12");

    /** Phi learnt by the default allocator in 9,000 steps on the ordinary batch at theta_0, frozen. */
    private static final Map<String, String> LEARNED = Map.of("allocator.initial-a", "0.338",
            "allocator.initial-b", "1.367", "allocator.initial-log-s", "-2.162", "allocator.initial-log-l", "0.381",
            "allocator.beta", "1e-12");

    /** The synthetic data of {@link TrainerTest}: 8 Gaussian features labelled by a fixed linear rule. */
    private static NetworkObjective data(int n) {
        float[] x = new float[n * 8];
        new NoiseStream(DATA_SEED, 0, 1, 0).fill(NoiseStream.Distribution.GAUSSIAN, x, 0, x.length, 0);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            double a = x[i * 8] + x[i * 8 + 1] - x[i * 8 + 2];
            y[i] = a < -0.5 ? 0 : a < 0.5 ? 1 : 2;
        }
        return Networks.objective(NET, x, y);
    }

    /** {@code n} copies of one row of {@code source}, each its own data row. */
    private static NetworkObjective copies(NetworkObjective source, int row, int n) {
        int in = NET.in(0);
        float[] x = new float[n * in];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(source.features(), row * in, x, i * in, in);
            y[i] = source.labels()[row];
        }
        return Networks.objective(NET, x, y);
    }

    private static NetworkObjective degenerate() {
        return copies(data(B), ROW, B);
    }

    // ---- the exact gradient ----

    /** The gradient of the mean clean loss over all rows of {@code data}, by backprop in double precision. */
    static double[] trueGradient(NetworkObjective data, float[] theta) {
        DenseNetwork net = data.network();
        int layers = net.layers();
        int n = data.size();
        double[] g = new double[net.dimension()];
        for (int row = 0; row < n; row++) {
            double[][] x = new double[layers + 1][];
            double[][] v = new double[layers][];
            x[0] = new double[net.in(0)];
            for (int k = 0; k < net.in(0); k++) {
                x[0][k] = data.features()[row * net.in(0) + k];
            }
            for (int l = 0; l < layers; l++) {
                v[l] = new double[net.out(l)];
                x[l + 1] = new double[net.out(l)];
                for (int o = 0; o < net.out(l); o++) {
                    double s = theta[net.biasOffset(l) + o];
                    for (int i = 0; i < net.in(l); i++) {
                        s += theta[net.weightOffset(l) + o * net.in(l) + i] * x[l][i];
                    }
                    v[l][o] = s;
                    x[l + 1][o] = l < layers - 1 ? activation(net.activation(), s, false) : s;
                }
            }
            double[] logits = v[layers - 1];
            double max = Double.NEGATIVE_INFINITY;
            for (double z : logits) {
                max = Math.max(max, z);
            }
            double sum = 0;
            for (double z : logits) {
                sum += Math.exp(z - max);
            }
            double[] delta = new double[logits.length];
            for (int c = 0; c < logits.length; c++) {
                delta[c] = Math.exp(logits[c] - max) / sum - (c == data.labels()[row] ? 1 : 0);
            }
            for (int l = layers - 1; l >= 0; l--) {
                int in = net.in(l);
                double[] below = new double[in];
                for (int o = 0; o < net.out(l); o++) {
                    g[net.biasOffset(l) + o] += delta[o] / n;
                    for (int i = 0; i < in; i++) {
                        g[net.weightOffset(l) + o * in + i] += delta[o] * x[l][i] / n;
                        below[i] += delta[o] * theta[net.weightOffset(l) + o * in + i];
                    }
                }
                if (l > 0) {
                    for (int i = 0; i < in; i++) {
                        below[i] *= activation(net.activation(), v[l - 1][i], true);
                    }
                }
                delta = below;
            }
        }
        return g;
    }

    private static double activation(Activation a, double x, boolean derivative) {
        return switch (a) {
            case RELU -> x > 0 ? (derivative ? 1 : x) : 0;
            case TANH -> derivative ? 1 - Math.tanh(x) * Math.tanh(x) : Math.tanh(x);
            case IDENTITY -> derivative ? 1 : x;
        };
    }

    // ---- one trainer, many steps at one theta ----

    /** {@code lr} with its settings, recording each step's proxies and estimate, every step evaluated at theta_0. */
    private static final class Recording implements GradientEstimatorProvider {
        final List<double[]> proxies = new ArrayList<>();
        final List<GradientEstimate> estimates = new ArrayList<>();

        @Override
        public String name() {
            return "recording-lr";
        }

        @Override
        public int spiVersion() {
            return SPI_VERSION;
        }

        @Override
        public Set<EstimatorCapability> capabilities() {
            return new LrGradientEstimatorProvider().capabilities();
        }

        @Override
        public GradientEstimator create(Settings settings) {
            GradientEstimator lr = new LrGradientEstimatorProvider().create(settings);
            return new GradientEstimator() {
                @Override
                public EstimatorCost cost() {
                    return lr.cost();
                }

                @Override
                public boolean independentPerPoint() {
                    return lr.independentPerPoint();
                }

                @Override
                public EstimationStep begin(StepContext c) {
                    EstimationStep es = lr.begin(new StepContext(c.evaluator(), THETA, c.rows(), c.seed(), c.step()));
                    return new EstimationStep() {
                        @Override
                        public void run(int[] draws, boolean includeInEstimate) {
                            es.run(draws, includeInEstimate);
                        }

                        @Override
                        public double[] proxies() {
                            double[] p = es.proxies();
                            proxies.add(p.clone());
                            return p;
                        }

                        @Override
                        public GradientEstimate finish() {
                            return record(es.finish());
                        }

                        @Override
                        public GradientEstimate runLastRoundAndFinish(int[] rest) {
                            return record(es.runLastRoundAndFinish(rest));
                        }
                    };
                }

                private GradientEstimate record(GradientEstimate e) {
                    estimates.add(e);
                    return e;
                }
            };
        }
    }

    /**
     * The mean of r = {@code <g, g*> / |g*|^2} over the samples, its standard error, the mean within-batch standard
     * deviation of the draw counts, and the mean within-batch standard deviation of the pilot noise in the proxies
     * (proxy minus clean loss), for the report.
     */
    private record Measured(String what, double ratio, double se, double drawSd, double pilotNoiseSd, double seconds) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: <E[g], g*>/|g*|^2 = %.4f +- %.4f (SE, %d steps, seed %d), "
                    + "draws per point sd %.2f, pilot noise in the proxies sd %.2e, %.1f s", what, ratio, se, SAMPLES,
                    NOISE_SEED, drawSd, pilotNoiseSd, seconds);
        }
    }

    private static Measured measure(String what, NetworkObjective batch, String allocator, boolean pilotInEstimate,
                                    Map<String, String> allocatorSettings) {
        long t0 = System.nanoTime();
        Recording recording = new Recording();
        Forward4j.Builder builder = Forward4j.builder().environment(Map.of()).systemProperties(new Properties())
                .module(new AbstractModule() {
                    @Override
                    protected void configure() {
                        MapBinder.newMapBinder(binder(), String.class, GradientEstimatorProvider.class)
                                .addBinding("recording-lr").toInstance(recording);
                    }
                }).set("backend", "reference").set("estimator", "recording-lr").set("allocator", allocator)
                .set("pilot-in-estimate", Boolean.toString(pilotInEstimate)).set("batch-size", Integer.toString(B))
                .set("queries-per-point", "16").set("seed", Long.toString(NOISE_SEED)).set("optimizer", "sgd")
                .set("learning-rate", "1e-12").set("progress", "false");
        allocatorSettings.forEach(builder::set);
        int[] rows = new int[B];
        for (int i = 0; i < B; i++) {
            rows[i] = i;
        }
        try (Trainer trainer = builder.build().trainer(batch, null, THETA)) {
            for (int s = 0; s < SAMPLES; s++) {
                assertThat(trainer.step(rows, 0)).as("step %d skipped", s).isNull();
            }
        }
        double[] clean = new double[B];
        batch.losses(THETA, rows, clean);
        double[] gStar = trueGradient(batch, THETA);
        double norm2 = dot(gStar, gStar);
        double sum = 0;
        double sumSq = 0;
        double drawSd = 0;
        double noiseSd = 0;
        for (int s = 0; s < SAMPLES; s++) {
            GradientEstimate e = recording.estimates.get(s);
            double r = 0;
            for (int k = 0; k < gStar.length; k++) {
                r += e.gradient()[k] * gStar[k];
            }
            r /= norm2;
            sum += r;
            sumSq += r * r;
            drawSd += sd(Arrays.stream(e.draws()).asDoubleStream().toArray());
            if (!recording.proxies.isEmpty()) {
                double[] noise = recording.proxies.get(s).clone();
                for (int i = 0; i < B; i++) {
                    noise[i] -= clean[i];
                }
                noiseSd += sd(noise);
            }
        }
        double mean = sum / SAMPLES;
        double variance = (sumSq - SAMPLES * mean * mean) / (SAMPLES - 1);
        Measured m = new Measured(what, mean, Math.sqrt(variance / SAMPLES), drawSd / SAMPLES, noiseSd / SAMPLES,
                (System.nanoTime() - t0) / 1e9);
        System.out.println("PilotBiasTest " + m);
        return m;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int k = 0; k < a.length; k++) {
            s += a[k] * b[k];
        }
        return s;
    }

    private static double sd(double[] x) {
        double mean = 0;
        for (double v : x) {
            mean += v / x.length;
        }
        double ss = 0;
        for (double v : x) {
            ss += (v - mean) * (v - mean);
        }
        return Math.sqrt(ss / x.length);
    }

    // ---- the tests ----

    @Test
    void theExactGradientMatchesFiniteDifferences() {
        NetworkObjective batch = data(B);
        double[] g = trueGradient(batch, THETA);
        int[] rows = new int[B];
        for (int i = 0; i < B; i++) {
            rows[i] = i;
        }
        double h = 1e-2;
        double[] out = new double[B];
        for (int k = 0; k < g.length; k++) {
            float[] t = THETA.clone();
            t[k] = (float) (THETA[k] + h);
            batch.losses(t, rows, out);
            double plus = Arrays.stream(out).average().orElseThrow();
            t[k] = (float) (THETA[k] - h);
            batch.losses(t, rows, out);
            double minus = Arrays.stream(out).average().orElseThrow();
            double fd = (plus - minus) / ((double) (float) (THETA[k] + h) - (float) (THETA[k] - h));
            assertThat(g[k]).as("d loss / d theta[%d]", k).isCloseTo(fd, within(2e-4 + 1e-3 * Math.abs(fd)));
        }
    }

    /**
     * The bias and its removal. With the pilot kept, the allocation (hence the pilot draw's weight 1/A_i) depends
     * on the pilot's own loss; on 64 copies of one row the z-scored proxies are pure pilot noise, and the estimate
     * shrinks along g*. With {@code pilot-in-estimate=false} the same allocator, with the same Phi, is unbiased.
     */
    @Test
    void aProxyFollowingAllocationShrinksTheEstimateOnADegenerateBatchUnlessThePilotIsLeftOut() {
        Measured kept = measure("degenerate batch, optimal Phi=(3,0,-5,0), pilot-in-estimate=true", degenerate(),
                "optimal", true, FOLLOWS_PROXY);
        Measured left = measure("degenerate batch, optimal Phi=(3,0,-5,0), pilot-in-estimate=false", degenerate(),
                "optimal", false, FOLLOWS_PROXY);
        assertThat(kept.ratio()).as("the pilot bias: %s", kept).isLessThan(1 - 5 * kept.se());
        assertThat(kept.ratio()).as("a shrink of at least a fifth: %s", kept).isLessThan(0.8);
        assertThat(left.ratio()).as("no bias with the pilot left out: %s", left).isCloseTo(1.0,
                within(4 * left.se()));
        assertThat(left.ratio() - kept.ratio()).as("leaving the pilot out removes the shrink: %s; %s", kept, left)
                .isGreaterThan(5 * Math.hypot(kept.se(), left.se()));
    }

    /** The allocator's own learnt state (mild: a / b ~ 0.25) shows the bias too, smaller but far beyond noise. */
    @Test
    void aLearnedMildAllocationShowsASmallerShrinkOnTheDegenerateBatch() {
        Measured kept = measure("degenerate batch, optimal Phi learnt on the ordinary batch, pilot-in-estimate=true",
                degenerate(), "optimal", true, LEARNED);
        assertThat(kept.ratio()).as("the pilot bias: %s", kept).isLessThan(1 - 5 * kept.se());
    }

    /** Control: {@code uniform} ignores proxies, so no pilot round runs and the estimate is unbiased. */
    @Test
    void uniformRunsNoPilotAndIsUnbiasedOnTheDegenerateBatch() {
        Measured u = measure("degenerate batch, uniform", degenerate(), "uniform", true, Map.of());
        assertThat(u.ratio()).as("uniform allocation: %s", u).isCloseTo(1.0, within(4 * u.se()));
    }

    /**
     * When it does not matter: on 64 different rows the clean losses spread far more than the pilot noise, the
     * z-scores barely depend on the pilot's noise, and the same proxy-following allocation keeps the estimate
     * unbiased with the pilot in.
     */
    @Test
    void onAnOrdinaryBatchTheBiasIsWithinNoise() {
        NetworkObjective batch = data(B);
        double[] clean = new double[B];
        int[] rows = new int[B];
        for (int i = 0; i < B; i++) {
            rows[i] = i;
        }
        batch.losses(THETA, rows, clean);
        Measured kept = measure("ordinary batch, optimal Phi=(3,0,-5,0), pilot-in-estimate=true", batch, "optimal",
                true, FOLLOWS_PROXY);
        assertThat(sd(clean)).as("the clean losses spread far more than the pilot noise: %s", kept)
                .isGreaterThan(100 * kept.pilotNoiseSd());
        assertThat(kept.ratio()).as("no measurable bias on an ordinary batch: %s; clean losses sd %.3f", kept,
                sd(clean)).isCloseTo(1.0, within(4 * kept.se()));
    }
}
