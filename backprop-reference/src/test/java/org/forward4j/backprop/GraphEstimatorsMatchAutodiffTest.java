package org.forward4j.backprop;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.forward4j.estimator.CountingQueryEvaluator;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.graph.LayerGraph;
import org.forward4j.estimator.lr.LrGradientEstimatorProvider;
import org.forward4j.estimator.spsa.SpsaGradientEstimatorProvider;
import org.forward4j.plugin.Settings;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Forward-only gradient estimates of layer graphs are unbiased for the exact gradient: the mean of many seeded
 * {@code lr} and {@code spsa} estimates of one θ matches the SameDiff autodiff gradient of the same θ
 * ({@link BackpropReference#gradient}) on tiny graphs that together use every layer kind.
 *
 * <p>How, as estimator-lr's {@code LrUnbiasednessTest} and the tck's {@code WeightPerturbationChecks} do for MLPs:
 * estimate {@code t} is step {@code t} of one seed (independent, reproducible); each step is a pilot round of one
 * draw per point and an uneven second round, all included, through a {@link CountingQueryEvaluator} over the plain
 * Java {@link ReferenceQueryEvaluator}. Three checks, each at 4 standard errors of the sample mean:
 * <ul>
 *   <li>per coordinate, {@code |mean - g| <= 4 SE};</li>
 *   <li>per tensor {@code T}, along its gradient's direction {@code u_T = g_T / |g_T|}, the projection of the mean
 *       is {@code |g_T|} within 4 SE of the projected samples: a tensor whose estimate is scaled wrongly, transposed
 *       or misplaced fails here even when each of its coordinates is within its own noise;</li>
 *   <li>along the whole gradient's direction {@code u = g / |g|}, the same, and that bound is below 10% of
 *       {@code |g|} (the sample counts are set for it), so the test resolves a bias of a tenth of the gradient (a
 *       test that cannot fail would pass any estimator; a control test shows the checks reject the gradients of
 *       plausible mistakes);</li>
 *   <li>the relative error {@code |mean - g| / |g|} is printed with the seed.</li>
 * </ul>
 *
 * <p>The estimators estimate the gradient of a smoothed loss ({@code lr}: Gaussian noise of scale {@code sigma} on
 * the noise sites' outputs; {@code spsa}: on θ), which differs from the exact gradient by {@code O(sigma^2)};
 * {@code sigma = scale = 1e-3} keeps that far below the standard errors. {@code lr} perturbs only noise sites
 * (linear maps, attention projections, convolutions, patch embeddings, layer norms): it estimates no gradient for
 * class tokens and position embeddings, whose coordinates it leaves exactly 0 (checked); {@code spsa} perturbs all of
 * θ and is checked on every coordinate.
 */
class GraphEstimatorsMatchAutodiffTest {

    private static final int[] ROWS = {4, 1, 6, 2};
    private static final int[] PILOT = {1, 1, 1, 1};
    private static final int[] REST = {2, 0, 3, 1};

    @ParameterizedTest(name = "{0} {1} trainable={2}")
    @CsvSource(delimiter = ';', value = {
        "lr; CNN; all; 4400",
        "lr; DENSE; all; 1400",
        "lr; VIT; all; 4400",
        "lr; MEAN_POOL; all; 1000",
        "lr; VIT; names:b0\\.attn\\..*|b0\\.ln2\\..*|norm\\..*|cls\\.token; 5800",
        "spsa; CNN; all; 2400",
        "spsa; DENSE; all; 1600",
        "spsa; VIT; all; 2300",
        "spsa; MEAN_POOL; all; 1300",
        "spsa; VIT; names:b0\\.attn\\..*|b0\\.ln2\\..*|norm\\..*|cls\\.token; 2500",
    })
    void meanOfEstimatesIsTheAutodiffGradient(String estimator, TinyGraphs.Kind kind, String trainable,
                                              int samples) {
        GraphObjective o = TinyGraphs.objective(kind, trainable, 8);
        double[] g = BackpropReference.gradient(o, o.initial(), ROWS);
        Comparison c = Comparison.of(estimator, kind, trainable, samples, g);
        System.out.println(c);
        c.assertUnbiased();
        assertThat(4 * c.projectionSe).as("%s: resolving power", c.what).isLessThan(0.1 * c.norm);
    }

    /**
     * The checks can fail: the same samples are rejected when held against the gradient of a mistake a graph
     * implementation could make, the gradients of two attention projections swapped (a layout error) or the
     * gradient of other rows of the data (an estimate of the wrong points).
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = ';', value = {"lr; VIT; 4400", "spsa; CNN; 2400"})
    void theChecksRejectTheGradientOfAMistake(String estimator, TinyGraphs.Kind kind, int samples) {
        GraphObjective o = TinyGraphs.objective(kind, "all", 8);
        double[] g = BackpropReference.gradient(o, o.initial(), ROWS);
        double[] swapped = g.clone();
        String a = kind == TinyGraphs.Kind.VIT ? "b0.attn.q.weight" : "c1.weight";
        String b = kind == TinyGraphs.Kind.VIT ? "b0.attn.k.weight" : "c2.weight";
        int n = Math.min(o.graph().tensor(a).size(), o.graph().tensor(b).size());
        System.arraycopy(g, o.thetaOffset(b), swapped, o.thetaOffset(a), n);
        System.arraycopy(g, o.thetaOffset(a), swapped, o.thetaOffset(b), n);
        Comparison layout = Comparison.of(estimator, kind, "all", samples, swapped);
        System.out.println("control, " + a + " and " + b + " swapped: " + layout);
        assertThat(layout.failures).as("%s against a swapped gradient: what the checks report", layout.what)
                .isNotEmpty();
        Comparison rows = Comparison.of(estimator, kind, "all", samples,
                BackpropReference.gradient(o, o.initial(), new int[] {0, 3, 5, 7}));
        System.out.println("control, other rows: " + rows);
        assertThat(rows.failures).as("%s against other rows: what the checks report", rows.what).isNotEmpty();
    }

    /** Many seeded estimates of one θ held against a reference gradient. */
    private static final class Comparison {
        final String what;
        final double seconds;
        final int coordinates;
        double worstZ;
        String worstTensor = "";
        double worstTensorZ;
        double norm;
        double projection;
        double projectionSe;
        double projectionZ;
        double relativeError;
        final java.util.List<String> failures = new java.util.ArrayList<>();

        private Comparison(String what, double seconds, int coordinates) {
            this.what = what;
            this.seconds = seconds;
            this.coordinates = coordinates;
        }

        static Comparison of(String estimatorName, TinyGraphs.Kind kind, String trainable, int samples,
                             double[] g) {
            long seed = 20261208L + kind.ordinal();
            GraphObjective o = TinyGraphs.objective(kind, trainable, 8);
            float[] theta = o.initial();
            GradientEstimator estimator = estimatorName.equals("lr")
                    ? new LrGradientEstimatorProvider().create(Settings.of("sigma", "1e-3"))
                    : new SpsaGradientEstimatorProvider().create(Settings.of("scale", "1e-3"));
            CountingQueryEvaluator evaluator = new CountingQueryEvaluator(new ReferenceQueryEvaluator(o));
            long t0 = System.nanoTime();
            double[][] v = draw(estimator, evaluator, theta, seed, samples);
            double seconds = (System.nanoTime() - t0) / 1e9;
            int draws = 4 + 6;
            assertThat(evaluator.queries()).as("queries of %d steps", samples)
                    .isEqualTo(estimator.cost().queries(ROWS.length, draws) * samples);
            assertThat(evaluator.directRows()).as("rows evaluated behind the evaluator's back").isZero();
            boolean[] covered = covered(o, estimatorName);
            int count = 0;
            for (boolean b : covered) {
                count += b ? 1 : 0;
            }
            Comparison c = new Comparison(String.format(Locale.ROOT, "%s on %s (trainable=%s), seed %d, %d samples",
                    estimatorName, kind, trainable, seed, samples), seconds, count);
            c.compare(o, v, g, covered);
            return c;
        }

        private void compare(GraphObjective o, double[][] v, double[] g, boolean[] covered) {
            int n = v.length;
            double[] mean = new double[g.length];
            double[] se = new double[g.length];
            for (double[] x : v) {
                for (int k = 0; k < g.length; k++) {
                    mean[k] += x[k] / n;
                }
            }
            for (double[] x : v) {
                for (int k = 0; k < g.length; k++) {
                    se[k] += (x[k] - mean[k]) * (x[k] - mean[k]) / (n - 1);
                }
            }
            double error = 0;
            for (int k = 0; k < g.length; k++) {
                se[k] = Math.sqrt(se[k] / n);
                if (!covered[k]) {
                    if (mean[k] != 0 || se[k] != 0) {
                        failures.add("coordinate " + k + " (class token or position embedding) is " + mean[k]
                                + ", not exactly 0");
                    }
                    continue;
                }
                norm += g[k] * g[k];
                error += (mean[k] - g[k]) * (mean[k] - g[k]);
                double z = (mean[k] - g[k]) / se[k];
                worstZ = Math.max(worstZ, Math.abs(z));
                if (Math.abs(z) > 4) {
                    failures.add(String.format(Locale.ROOT, "coordinate %d: mean %.6f vs autodiff %.6f (SE %.2e, "
                            + "z %.2f)", k, mean[k], g[k], se[k], z));
                }
            }
            norm = Math.sqrt(norm);
            relativeError = Math.sqrt(error) / norm;
            for (LayerGraph.Tensor t : o.graph().tensors()) {
                int at = o.thetaOffset(t.name());
                if (at < 0 || !covered[at]) {
                    continue;
                }
                boolean[] only = new boolean[g.length];
                double tensorNorm = 0;
                for (int k = at; k < at + t.size(); k++) {
                    only[k] = true;
                    tensorNorm += g[k] * g[k];
                }
                tensorNorm = Math.sqrt(tensorNorm);
                double[] p = projection(v, g, only, tensorNorm);
                double z = (p[0] - tensorNorm) / p[1];
                if (Math.abs(z) > worstTensorZ) {
                    worstTensorZ = Math.abs(z);
                    worstTensor = t.name();
                }
                if (Math.abs(z) > 4) {
                    failures.add(String.format(Locale.ROOT, "tensor %s: projection of the mean %.5f on its gradient "
                            + "of norm %.5f (SE %.2e, z %.2f)", t.name(), p[0], tensorNorm, p[1], z));
                }
            }
            double[] p = projection(v, g, covered, norm);
            projection = p[0];
            projectionSe = p[1];
            projectionZ = (p[0] - norm) / p[1];
            if (Math.abs(projectionZ) > 4) {
                failures.add(String.format(Locale.ROOT, "projection on the gradient's direction %.5f vs |g| %.5f "
                        + "(SE %.2e, z %.2f)", projection, norm, projectionSe, projectionZ));
            }
        }

        void assertUnbiased() {
            assertThat(failures).as("%s: beyond 4 standard errors", what).isEmpty();
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: %d coordinates, worst |z| %.2f, worst tensor |z| %.2f (%s), "
                            + "projection on g %.5f vs |g| %.5f (z %.2f, SE %.2f%% of |g|), |mean - g| / |g| %.3f, "
                            + "%.1f s", what, coordinates, worstZ, worstTensorZ, worstTensor, projection, norm,
                    projectionZ, 100 * projectionSe / norm, relativeError, seconds);
        }
    }

    /** The coordinates an estimator estimates: all of θ for spsa; lr: the tensors of noise sites. */
    private static boolean[] covered(GraphObjective o, String estimator) {
        boolean[] out = new boolean[o.dimension()];
        for (LayerGraph.Tensor t : o.graph().tensors()) {
            int at = o.thetaOffset(t.name());
            if (at < 0) {
                continue;
            }
            boolean site = switch (t.spec().role()) {
                case EMBEDDING -> false;
                default -> true;
            };
            for (int k = 0; k < t.size(); k++) {
                out[at + k] = estimator.equals("spsa") || site;
            }
        }
        return out;
    }

    /** Estimate t is step t of the seed: a pilot round, then an uneven round, all included. */
    private static double[][] draw(GradientEstimator estimator, CountingQueryEvaluator evaluator, float[] theta,
                                   long seed, int samples) {
        double[][] v = new double[samples][];
        for (int t = 0; t < samples; t++) {
            EstimationStep step = estimator.begin(new StepContext(evaluator, theta, ROWS.clone(), seed, t));
            step.run(PILOT.clone(), true);
            step.run(REST.clone(), true);
            float[] est = step.finish().gradient();
            v[t] = new double[est.length];
            for (int k = 0; k < est.length; k++) {
                v[t][k] = est[k];
            }
        }
        return v;
    }

    /**
     * The mean of the samples' projections on {@code u = g / |g|} (covered coordinates) and its standard error.
     *
     * @return {@code {mean projection, standard error}}
     */
    private static double[] projection(double[][] v, double[] g, boolean[] covered, double norm) {
        int n = v.length;
        double[] p = new double[n];
        double mean = 0;
        for (int t = 0; t < n; t++) {
            for (int k = 0; k < g.length; k++) {
                if (covered[k]) {
                    p[t] += v[t][k] * g[k] / norm;
                }
            }
            mean += p[t] / n;
        }
        double var = 0;
        for (double x : p) {
            var += (x - mean) * (x - mean) / (n - 1);
        }
        return new double[] {mean, Math.sqrt(var / n)};
    }
}
