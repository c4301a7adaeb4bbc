package com.example.forward4j;

import java.util.ArrayList;
import java.util.List;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.InvalidConfigurationException;

/**
 * One mini-batch of {@code forward-diff}. Draw j of batch point i perturbs along direction {@code i * 65536 + j} of
 * the step's noise key (a {@link WeightPlan} stream), so directions are never stored: {@link #finish()} regenerates
 * them. The first round also evaluates every point's clean loss.
 */
final class ForwardDifferenceStep implements EstimationStep {

    /** Direction numbers reserved per point: the most draws a point may get in one step. */
    static final int STRIDE = 65536;
    /** Largest batch whose direction numbers {@code i * STRIDE + j} fit a non-negative int. */
    static final int MAX_BATCH = Integer.MAX_VALUE / STRIDE;

    private static final NoiseStream.Distribution DIST = NoiseStream.Distribution.RADEMACHER;

    private final StepContext context;
    private final float scale;
    private final int batch;
    private final double[] clean;
    private final List<List<double[]>> draws = new ArrayList<>(); // per point: {p, included ? 1 : 0}
    private final double[] perturbedSum;
    private long queries;
    private boolean started;

    ForwardDifferenceStep(StepContext context, float scale) {
        this.context = context;
        this.scale = scale;
        this.batch = context.batchSize();
        this.clean = new double[batch];
        this.perturbedSum = new double[batch];
        java.util.Arrays.fill(clean, Double.NaN);
        for (int i = 0; i < batch; i++) {
            draws.add(new ArrayList<>());
        }
    }

    @Override
    public void run(int[] counts, boolean includeInEstimate) {
        if (counts.length != batch) {
            throw new IllegalArgumentException(counts.length + " draw counts for a batch of " + batch);
        }
        int[] rows = context.rows();
        List<WeightQuery> plan = new ArrayList<>();
        if (!started) {
            plan.add(new WeightQuery(0, 0f, rows.clone())); // the clean losses: one query per point
        }
        List<Integer> owner = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            if (counts[i] < 0 || (long) draws.get(i).size() + counts[i] > STRIDE) {
                throw new InvalidConfigurationException("estimator 'forward-diff' allows 0 to " + STRIDE
                        + " draws per point and step; point " + i + " asked for " + counts[i] + " more");
            }
            for (int k = 0; k < counts[i]; k++) {
                int direction = i * STRIDE + draws.get(i).size() + k;
                plan.add(new WeightQuery(direction, scale, new int[] {rows[i]}));
                owner.add(i);
            }
        }
        if (plan.isEmpty()) {
            return;
        }
        WeightPlan weightPlan = new WeightPlan(context.seed(), context.step(), DIST, plan);
        double[][] losses = context.evaluator().evaluate(context.theta(), weightPlan);
        queries += weightPlan.queryCount();
        int first = 0;
        if (!started) {
            System.arraycopy(losses[0], 0, clean, 0, batch);
            started = true;
            first = 1;
        }
        for (int q = first; q < losses.length; q++) {
            int i = owner.get(q - first);
            double loss = losses[q][0];
            perturbedSum[i] += loss;
            draws.get(i).add(new double[] {(loss - clean[i]) / scale, includeInEstimate ? 1 : 0});
        }
    }

    /** The clean loss of each point (NaN before the first round). */
    @Override
    public double[] proxies() {
        return clean.clone();
    }

    @Override
    public GradientEstimate finish() {
        int d = context.theta().length;
        float[] gradient = new float[d];
        int[] included = new int[batch];
        double[] variance = new double[batch];
        double[] meanLoss = new double[batch];
        WeightPlan key = new WeightPlan(context.seed(), context.step(), DIST, List.of());
        for (int i = 0; i < batch; i++) {
            List<double[]> mine = draws.get(i);
            double squares = 0;
            for (double[] draw : mine) {
                if (draw[1] == 1) {
                    included[i]++;
                    squares += draw[0] * draw[0];
                }
            }
            // E|p z|^2 with |z|^2 = d for Rademacher z: the per-draw spread allocators learn from
            variance[i] = included[i] == 0 ? 0 : d * squares / included[i];
            meanLoss[i] = mine.isEmpty() ? clean[i] : perturbedSum[i] / mine.size();
            for (int j = 0; j < mine.size(); j++) {
                if (mine.get(j)[1] == 1) {
                    float weight = (float) (mine.get(j)[0] / ((double) batch * included[i]));
                    key.stream(i * STRIDE + j).addScaled(DIST, gradient, 0, d, 0, weight);
                }
            }
        }
        return new GradientEstimate(gradient, included, variance, meanLoss, queries);
    }
}
