package org.forward4j.tck;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.estimator.spi.EstimatorCapability;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.Settings;

/**
 * A minimal, correct two-sided SPSA with per-point Rademacher directions (docs/method.md §2), written only against the
 * estimator API: the known-good estimator on which the tck tests itself.
 */
public final class SampleSpsaProvider implements GradientEstimatorProvider {

    /** Creates the provider. */
    public SampleSpsaProvider() {
    }

    @Override
    public String name() {
        return "tck-sample-spsa";
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public Set<EstimatorCapability> capabilities() {
        return Set.of(EstimatorCapability.BLACK_BOX);
    }

    @Override
    public GradientEstimator create(Settings settings) {
        Settings.Reader r = settings.reader("estimator 'tck-sample-spsa'");
        float scale = (float) r.doubleValue("scale", 1e-3, 1e-6, 1.0);
        r.finish();
        return new Estimator(scale);
    }

    /** The estimator: stateless between steps. */
    static final class Estimator implements GradientEstimator {
        private final float scale;

        Estimator(float scale) {
            this.scale = scale;
        }

        @Override
        public EstimatorCost cost() {
            return new EstimatorCost(2, 0);
        }

        @Override
        public boolean independentPerPoint() {
            return true;
        }

        @Override
        public EstimationStep begin(StepContext context) {
            return new Step(context, scale);
        }
    }

    /** One mini-batch: point i's draw j uses direction {@code i * 65536 + j}. */
    static final class Step implements EstimationStep {
        private final StepContext ctx;
        private final float scale;
        private final int[] next;
        private final List<List<double[]>> draws = new ArrayList<>(); // per point: {direction, p, included}
        private final double[] lossSum;
        private long queries;

        Step(StepContext ctx, float scale) {
            this.ctx = ctx;
            this.scale = scale;
            int b = ctx.batchSize();
            this.next = new int[b];
            this.lossSum = new double[b];
            for (int i = 0; i < b; i++) {
                draws.add(new ArrayList<>());
            }
        }

        @Override
        public void run(int[] counts, boolean include) {
            List<WeightQuery> qs = new ArrayList<>();
            List<int[]> owner = new ArrayList<>(); // {point, direction}
            for (int i = 0; i < counts.length; i++) {
                for (int k = 0; k < counts[i]; k++) {
                    int dir = i * 65536 + next[i]++;
                    int[] row = {ctx.rows()[i]};
                    qs.add(new WeightQuery(dir, scale, row));
                    qs.add(new WeightQuery(dir, -scale, row));
                    owner.add(new int[] {i, dir});
                }
            }
            if (qs.isEmpty()) {
                return;
            }
            WeightPlan plan = new WeightPlan(ctx.seed(), ctx.step(), NoiseStream.Distribution.RADEMACHER, qs);
            double[][] l = ctx.evaluator().evaluate(ctx.theta(), plan);
            queries += plan.queryCount();
            for (int u = 0; u < owner.size(); u++) {
                int i = owner.get(u)[0];
                double p = (l[2 * u][0] - l[2 * u + 1][0]) / (2.0 * scale);
                draws.get(i).add(new double[] {owner.get(u)[1], p, include ? 1 : 0});
                lossSum[i] += l[2 * u][0] + l[2 * u + 1][0];
            }
        }

        @Override
        public double[] proxies() {
            double[] out = new double[next.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = next[i] == 0 ? Double.NaN : lossSum[i] / (2.0 * next[i]);
            }
            return out;
        }

        @Override
        public GradientEstimate finish() {
            int b = next.length;
            int d = ctx.theta().length;
            float[] g = new float[d];
            int[] included = new int[b];
            double[] variance = new double[b];
            WeightPlan key = new WeightPlan(ctx.seed(), ctx.step(), NoiseStream.Distribution.RADEMACHER, List.of());
            for (int i = 0; i < b; i++) {
                double sq = 0;
                for (double[] e : draws.get(i)) {
                    if (e[2] == 1) {
                        included[i]++;
                        sq += e[1] * e[1];
                    }
                }
                variance[i] = included[i] == 0 ? 0 : d * sq / included[i];
                for (double[] e : draws.get(i)) {
                    if (e[2] == 1) {
                        key.stream((int) e[0]).addScaled(NoiseStream.Distribution.RADEMACHER, g, 0, d, 0,
                                (float) (e[1] / ((double) b * included[i])));
                    }
                }
            }
            return new GradientEstimate(g, included, variance, proxies(), queries);
        }
    }
}
