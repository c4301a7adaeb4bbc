package org.forward4j.estimator.rge;

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
 * One mini-batch of RGE (method.md §2, §4). Point i's draws are numbered j = 0, 1, ... across rounds; draw j
 * perturbs along the Gaussian stream of direction {@link DirectionMode#direction(int, int)}, tensor 0 (the
 * {@link WeightPlan} layout). The first round's plan also holds the clean evaluation of every point (one query
 * with scale 0), which later rounds reuse.
 */
final class RgeStep implements EstimationStep {

    /** RGE's plans always carry Gaussian streams; the sphere variant rescales them per direction. */
    private static final NoiseStream.Distribution STREAM = NoiseStream.Distribution.GAUSSIAN;

    private final StepContext context;
    private final int dimension;
    private final float scale;
    private final DirectionMode mode;
    private final RgeDistribution distribution;
    /** An empty plan with the step's key: its streams are exactly the directions the evaluator perturbed along. */
    private final WeightPlan directions;
    private final DrawLog[] logs;
    private final double[] cleanLoss;
    private final float[] buffer;
    private boolean cleanMeasured;
    private long queries;
    private boolean finished;

    RgeStep(StepContext context, int dimension, float scale, DirectionMode mode, RgeDistribution distribution) {
        this.context = context;
        this.dimension = dimension;
        this.scale = scale;
        this.mode = mode;
        this.distribution = distribution;
        this.directions = new WeightPlan(context.seed(), context.step(), STREAM, List.of());
        this.logs = new DrawLog[context.batchSize()];
        for (int i = 0; i < logs.length; i++) {
            logs[i] = new DrawLog();
        }
        this.cleanLoss = new double[logs.length];
        Arrays.fill(cleanLoss, Double.NaN);
        this.buffer = distribution == RgeDistribution.SPHERE ? new float[dimension] : null;
    }

    @Override
    public void run(int[] draws, boolean includeInEstimate) {
        checkOpen();
        int[] end = validate(draws);
        int[] rows = context.rows();
        List<WeightQuery> plan = new ArrayList<>();
        // Per draw query: the batch positions of its rows and the factor turning p into the coefficient of z.
        List<int[]> queryPoints = new ArrayList<>();
        List<Double> zFactor = new ArrayList<>();
        boolean clean = !cleanMeasured;
        if (clean) {
            plan.add(new WeightQuery(0, 0f, rows.clone()));
        }
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
                    addDraw(plan, queryPoints, zFactor, j, Arrays.copyOf(members, n), rows);
                }
            }
        } else {
            for (int i = 0; i < logs.length; i++) {
                for (int j = logs[i].size(); j < end[i]; j++) {
                    addDraw(plan, queryPoints, zFactor, mode.direction(i, j), new int[] {i}, rows);
                }
            }
        }
        if (plan.isEmpty()) {
            return;
        }
        WeightPlan weightPlan = new WeightPlan(context.seed(), context.step(), STREAM, plan);
        double[][] losses = context.evaluator().evaluate(context.theta(), weightPlan);
        checkShape(weightPlan, losses);
        queries += weightPlan.queryCount();
        int first = 0;
        if (clean) {
            System.arraycopy(losses[0], 0, cleanLoss, 0, cleanLoss.length);
            cleanMeasured = true;
            first = 1;
        }
        for (int q = 0; q < queryPoints.size(); q++) {
            int[] points = queryPoints.get(q);
            double[] perturbed = losses[first + q];
            double factor = zFactor.get(q);
            for (int k = 0; k < points.length; k++) {
                int i = points[k];
                // divide by the float m the plan carried: the step actually taken along u
                double p = (perturbed[k] - cleanLoss[i]) / scale;
                // Queries come in ascending j per point, so this draw lands at index j of the point's log.
                logs[i].add(p * factor, p, perturbed[k], includeInEstimate);
            }
        }
    }

    /**
     * Adds the query of one direction. For the sphere, u = sqrt(d) z / |z|, so the plan's scale along z is
     * m sqrt(d) / |z| and p u = (p sqrt(d) / |z|) z; |z| is recomputed from the stream rather than stored.
     */
    private void addDraw(List<WeightQuery> plan, List<int[]> queryPoints, List<Double> zFactor, int direction,
                         int[] points, int[] rows) {
        int[] queryRows = new int[points.length];
        for (int k = 0; k < points.length; k++) {
            queryRows[k] = rows[points[k]];
        }
        double factor = 1.0;
        if (distribution == RgeDistribution.SPHERE) {
            directions.stream(direction).fill(STREAM, buffer, 0, dimension, 0);
            double squares = 0;
            for (float z : buffer) {
                squares += (double) z * z;
            }
            factor = Math.sqrt(dimension / squares);
        }
        plan.add(new WeightQuery(direction, (float) (scale * factor), queryRows));
        queryPoints.add(points);
        zFactor.add(factor);
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
                throw new InvalidConfigurationException("estimator 'rge' with directions=" + (mode
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

    /** The clean losses l_i(theta): measured anyway, so the proxy is free (NaN before the first round). */
    @Override
    public double[] proxies() {
        return cleanLoss.clone();
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
            // v_i = d * mean p^2 estimates E|p u|^2 (method.md §3.2's per-draw variance up to the |g_i|^2 term
            // every draw shares): |u|^2 is d for the sphere and concentrates at d for the Gaussian.
            variance[i] = dimension * logs[i].meanSquare();
            meanLoss[i] = logs[i].meanLoss();
            maxDraws = Math.max(maxDraws, logs[i].size());
        }
        if (mode == DirectionMode.SHARED) {
            // Direction j is shared by every point with a j-th draw: sum its weights first so each direction is
            // regenerated once, c_j = sum_i coef_ij / (B A_i).
            double[] weight = new double[maxDraws];
            for (int i = 0; i < b; i++) {
                if (included[i] == 0) {
                    continue;
                }
                double perDraw = 1.0 / ((double) b * included[i]);
                for (int j = 0; j < logs[i].size(); j++) {
                    if (logs[i].included(j)) {
                        weight[j] += logs[i].coefficient(j) * perDraw;
                    }
                }
            }
            for (int j = 0; j < maxDraws; j++) {
                if (weight[j] != 0.0) {
                    directions.stream(j).addScaled(STREAM, gradient, 0, dimension, 0, (float) weight[j]);
                }
            }
        } else {
            for (int i = 0; i < b; i++) {
                if (included[i] == 0) {
                    continue;
                }
                double perDraw = 1.0 / ((double) b * included[i]);
                for (int j = 0; j < logs[i].size(); j++) {
                    double w = logs[i].coefficient(j) * perDraw;
                    if (logs[i].included(j) && w != 0.0) {
                        directions.stream(mode.direction(i, j)).addScaled(STREAM, gradient, 0, dimension, 0,
                                (float) w);
                    }
                }
            }
        }
        return new GradientEstimate(gradient, included, variance, meanLoss, queries);
    }

    private void checkOpen() {
        if (finished) {
            throw new IllegalStateException("This RGE estimation step (step " + context.step()
                    + ") is already finished; begin a new step");
        }
    }
}
