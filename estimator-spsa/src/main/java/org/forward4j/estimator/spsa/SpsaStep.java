package org.forward4j.estimator.spsa;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.PluginContractException;

/**
 * One mini-batch of SPSA (method.md §2, §4). Point i's draws are numbered j = 0, 1, ... across rounds; draw j
 * uses direction {@link DirectionMode#direction(int, int)} of the step's noise key, tensor 0 (the
 * {@link WeightPlan} layout).
 */
final class SpsaStep implements EstimationStep {

    private final StepContext context;
    private final int dimension;
    private final float scale;
    private final DirectionMode mode;
    private final NoiseStream.Distribution distribution;
    /** An empty plan with the step's key: its streams are exactly the directions the evaluator perturbed along. */
    private final WeightPlan directions;
    private final DrawLog[] logs;
    private long queries;
    private boolean finished;

    SpsaStep(StepContext context, int dimension, float scale, DirectionMode mode,
             NoiseStream.Distribution distribution) {
        this.context = context;
        this.dimension = dimension;
        this.scale = scale;
        this.mode = mode;
        this.distribution = distribution;
        this.directions = new WeightPlan(context.seed(), context.step(), distribution, List.of());
        this.logs = new DrawLog[context.batchSize()];
        for (int i = 0; i < logs.length; i++) {
            logs[i] = new DrawLog();
        }
    }

    @Override
    public void run(int[] draws, boolean includeInEstimate) {
        checkOpen();
        int[] end = validate(draws);
        int[] rows = context.rows();
        // Each (direction, sign) pair of queries; pairPoints holds the batch positions of the pair's rows.
        List<WeightQuery> plan = new ArrayList<>();
        List<int[]> pairPoints = new ArrayList<>();
        if (mode == DirectionMode.SHARED) {
            int lo = Integer.MAX_VALUE;
            int hi = 0;
            for (int i = 0; i < logs.length; i++) {
                if (draws[i] > 0) {
                    lo = Math.min(lo, logs[i].size());
                    hi = Math.max(hi, end[i]);
                }
            }
            int[] members = new int[logs.length];
            for (int j = lo; j < hi; j++) {
                int n = 0;
                for (int i = 0; i < logs.length; i++) {
                    if (logs[i].size() <= j && j < end[i]) {
                        members[n++] = i;
                    }
                }
                if (n > 0) {
                    int[] points = Arrays.copyOf(members, n);
                    addPair(plan, j, points, rows);
                    pairPoints.add(points);
                }
            }
        } else {
            for (int i = 0; i < logs.length; i++) {
                int[] points = {i};
                for (int j = logs[i].size(); j < end[i]; j++) {
                    addPair(plan, mode.direction(i, j), points, rows);
                    pairPoints.add(points);
                }
            }
        }
        if (plan.isEmpty()) {
            return;
        }
        WeightPlan weightPlan = new WeightPlan(context.seed(), context.step(), distribution, plan);
        double[][] losses = context.evaluator().evaluate(context.theta(), weightPlan);
        checkShape(weightPlan, losses);
        queries += weightPlan.queryCount();
        // The plan's own float scale is the step actually taken, so divide by exactly that.
        double twoS = 2.0 * scale;
        for (int pair = 0; pair < pairPoints.size(); pair++) {
            int[] points = pairPoints.get(pair);
            double[] plus = losses[2 * pair];
            double[] minus = losses[2 * pair + 1];
            for (int k = 0; k < points.length; k++) {
                // Pairs come in ascending j per point, so this draw lands at index j of the point's log.
                logs[points[k]].add((plus[k] - minus[k]) / twoS, 0.5 * (plus[k] + minus[k]), includeInEstimate);
            }
        }
    }

    private void addPair(List<WeightQuery> plan, int direction, int[] points, int[] rows) {
        int[] queryRows = new int[points.length];
        for (int k = 0; k < points.length; k++) {
            queryRows[k] = rows[points[k]];
        }
        plan.add(new WeightQuery(direction, scale, queryRows));
        plan.add(new WeightQuery(direction, -scale, queryRows.clone()));
    }

    /** Checks the request and returns each point's draw count after this round. */
    private int[] validate(int[] draws) {
        if (draws == null || draws.length != logs.length) {
            throw new IllegalArgumentException("draws must have one entry per batch point (" + logs.length
                    + "), got " + (draws == null ? "null" : draws.length + " entries"));
        }
        int limit = mode == DirectionMode.SHARED ? Integer.MAX_VALUE : DirectionMode.STRIDE;
        int[] end = new int[draws.length];
        for (int i = 0; i < draws.length; i++) {
            if (draws[i] < 0) {
                throw new IllegalArgumentException("draws must be >= 0, got " + draws[i] + " for point " + i
                        + " in " + Arrays.toString(draws));
            }
            long total = (long) logs[i].size() + draws[i];
            if (total > limit) {
                throw new InvalidConfigurationException("estimator 'spsa' with directions=" + (mode
                        == DirectionMode.SHARED ? "shared" : "per-point") + " allows at most " + limit
                        + " draws per point and step, but point " + i + " would reach " + total
                        + "; lower the query budget or A_max" + (mode == DirectionMode.SHARED ? ""
                        : ", or use directions=shared"));
            }
            end[i] = (int) total;
        }
        return end;
    }

    private void checkShape(WeightPlan plan, double[][] losses) {
        boolean ok = losses != null && losses.length == plan.queries().size();
        for (int q = 0; ok && q < losses.length; q++) {
            ok = losses[q] != null && losses[q].length == plan.queries().get(q).rows().length;
        }
        if (!ok) {
            throw new PluginContractException("Query evaluator " + context.evaluator() + " returned "
                    + (losses == null ? "null" : losses.length + " loss arrays") + " for a weight plan of "
                    + plan.queries().size() + " queries (" + plan.queryCount()
                    + " rows); it must return one loss per row of every query");
        }
    }

    @Override
    public double[] proxies() {
        double[] out = new double[logs.length];
        for (int i = 0; i < logs.length; i++) {
            out[i] = logs[i].meanLoss();
        }
        return out;
    }

    @Override
    public GradientEstimate finish() {
        checkOpen();
        finished = true;
        int b = logs.length;
        float[] gradient = new float[dimension];
        int[] included = new int[b];
        double[] variance = new double[b];
        double[] meanLoss = new double[b];
        int maxDraws = 0;
        for (int i = 0; i < b; i++) {
            included[i] = logs[i].includedCount();
            // v_i = d * mean p^2 estimates E|p z|^2 (method.md §3.2's per-draw variance up to the |g_i|^2 term
            // every draw shares): |z|^2 concentrates at d and p = z^T grad l_i up to O(s^2).
            variance[i] = dimension * logs[i].meanSquare();
            meanLoss[i] = logs[i].meanLoss();
            maxDraws = Math.max(maxDraws, logs[i].size());
        }
        if (mode == DirectionMode.SHARED) {
            // Direction j is shared by every point with a j-th draw: sum its weights first so each direction is
            // regenerated once, c_j = sum_i p_ij / (B A_i).
            double[] weight = new double[maxDraws];
            for (int i = 0; i < b; i++) {
                if (included[i] == 0) {
                    continue;
                }
                double perDraw = 1.0 / ((double) b * included[i]);
                for (int j = 0; j < logs[i].size(); j++) {
                    if (logs[i].included(j)) {
                        weight[j] += logs[i].projection(j) * perDraw;
                    }
                }
            }
            for (int j = 0; j < maxDraws; j++) {
                if (weight[j] != 0.0) {
                    directions.stream(j).addScaled(distribution, gradient, 0, dimension, 0, (float) weight[j]);
                }
            }
        } else {
            for (int i = 0; i < b; i++) {
                if (included[i] == 0) {
                    continue;
                }
                double perDraw = 1.0 / ((double) b * included[i]);
                for (int j = 0; j < logs[i].size(); j++) {
                    double w = logs[i].projection(j) * perDraw;
                    if (logs[i].included(j) && w != 0.0) {
                        directions.stream(mode.direction(i, j))
                                .addScaled(distribution, gradient, 0, dimension, 0, (float) w);
                    }
                }
            }
        }
        return new GradientEstimate(gradient, included, variance, meanLoss, queries);
    }

    private void checkOpen() {
        if (finished) {
            throw new IllegalStateException("This SPSA estimation step (step " + context.step()
                    + ") is already finished; begin a new step");
        }
    }
}
