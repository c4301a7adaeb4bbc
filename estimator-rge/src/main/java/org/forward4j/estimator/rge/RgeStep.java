package org.forward4j.estimator.rge;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.estimator.weights.DirectionDraws;
import org.forward4j.estimator.weights.DirectionMode;
import org.forward4j.noise.NoiseStream;

/**
 * One mini-batch of RGE (method.md §2, §4): each direction of a round is one query with scale m over the points
 * drawing it, perturbing along the Gaussian stream of the direction ({@link DirectionDraws} numbers the draws and
 * assembles the estimate). The first round's plan also holds the clean evaluation of every point (one query with
 * scale 0), which later rounds reuse.
 */
final class RgeStep implements EstimationStep {

    /** RGE's plans always carry Gaussian streams; the sphere variant rescales them per direction. */
    private static final NoiseStream.Distribution STREAM = NoiseStream.Distribution.GAUSSIAN;

    private final StepContext context;
    private final float scale;
    private final RgeDistribution distribution;
    private final DirectionDraws draws;
    private final double[] cleanLoss;
    private final float[] buffer;
    private boolean cleanMeasured;

    /**
     * Starts a step.
     *
     * @throws IllegalArgumentException if theta does not match the objective
     * @throws org.forward4j.plugin.InvalidConfigurationException if the batch is too large for per-point numbers
     */
    RgeStep(StepContext context, float scale, DirectionMode mode, RgeDistribution distribution) {
        this.context = context;
        this.scale = scale;
        this.distribution = distribution;
        this.draws = new DirectionDraws("estimator 'rge'", context, mode, STREAM);
        this.cleanLoss = new double[context.batchSize()];
        Arrays.fill(cleanLoss, Double.NaN);
        this.buffer = distribution == RgeDistribution.SPHERE ? new float[draws.dimension()] : null;
    }

    @Override
    public void run(int[] counts, boolean includeInEstimate) {
        List<DirectionDraws.Group> groups = draws.round(counts);
        List<WeightQuery> plan = new ArrayList<>(groups.size() + 1);
        boolean clean = !cleanMeasured;
        if (clean) {
            plan.add(new WeightQuery(0, 0f, context.rows().clone()));
        }
        // per group: the factor turning p into the coefficient of the stream z
        double[] zFactor = new double[groups.size()];
        for (int g = 0; g < groups.size(); g++) {
            DirectionDraws.Group group = groups.get(g);
            zFactor[g] = streamFactor(group.direction());
            plan.add(new WeightQuery(group.direction(), (float) (scale * zFactor[g]), group.rows()));
        }
        double[][] losses = draws.evaluate(plan);
        int first = 0;
        if (clean) {
            System.arraycopy(losses[0], 0, cleanLoss, 0, cleanLoss.length);
            cleanMeasured = true;
            first = 1;
        }
        for (int g = 0; g < groups.size(); g++) {
            int[] points = groups.get(g).points();
            double[] perturbed = losses[first + g];
            for (int k = 0; k < points.length; k++) {
                int i = points[k];
                // divide by the float m the plan carried: the step actually taken along u
                double p = (perturbed[k] - cleanLoss[i]) / scale;
                draws.record(i, p * zFactor[g], p, perturbed[k], includeInEstimate);
            }
        }
    }

    /**
     * The last round, with each direction's term added while the backend holds the direction
     * ({@link DirectionDraws#evaluateLast}), so a Gaussian direction is generated once per step. The clean losses
     * its coefficients need come first, as their own plan, when no earlier round measured them.
     */
    @Override
    public GradientEstimate finish(int[] counts, boolean includeInEstimate) {
        List<DirectionDraws.Group> groups = draws.round(counts);
        if (!cleanMeasured && !groups.isEmpty()) {
            double[][] clean = draws.evaluate(List.of(new WeightQuery(0, 0f, context.rows().clone())));
            System.arraycopy(clean[0], 0, cleanLoss, 0, cleanLoss.length);
            cleanMeasured = true;
        }
        double[] zFactor = new double[groups.size()];
        List<WeightQuery> plan = new ArrayList<>(groups.size());
        for (int g = 0; g < groups.size(); g++) {
            DirectionDraws.Group group = groups.get(g);
            zFactor[g] = streamFactor(group.direction());
            plan.add(new WeightQuery(group.direction(), (float) (scale * zFactor[g]), group.rows()));
        }
        double[][] losses = draws.evaluateLast(groups, plan, includeInEstimate, (g, l, first) -> {
            int[] points = groups.get(g).points();
            double[] c = new double[points.length];
            for (int k = 0; k < points.length; k++) {
                c[k] = (l[first][k] - cleanLoss[points[k]]) / scale * zFactor[g];
            }
            return c;
        });
        for (int g = 0; g < groups.size(); g++) {
            int[] points = groups.get(g).points();
            for (int k = 0; k < points.length; k++) {
                double p = (losses[g][k] - cleanLoss[points[k]]) / scale;
                draws.record(points[k], p * zFactor[g], p, losses[g][k], includeInEstimate);
            }
        }
        return draws.finish();
    }

    /**
     * The multiplier of the stream z in the direction u. For the sphere, u = sqrt(d) z / |z|, so the plan's scale
     * along z is m sqrt(d) / |z| and p u = (p sqrt(d) / |z|) z; |z| is recomputed from the stream rather than
     * stored.
     */
    private double streamFactor(int direction) {
        if (distribution != RgeDistribution.SPHERE) {
            return 1.0;
        }
        int dimension = draws.dimension();
        draws.stream(direction).fill(STREAM, buffer, 0, dimension, 0);
        double squares = 0;
        for (float z : buffer) {
            squares += (double) z * z;
        }
        return Math.sqrt(dimension / squares);
    }

    /** The clean losses l_i(theta): measured anyway, so the proxy is free (NaN before the first round). */
    @Override
    public double[] proxies() {
        return cleanLoss.clone();
    }

    /**
     * The estimate {@code (1/B) sum_i (1/A_i) sum_j p_ij u_ij}, with {@code v_i = d * mean p^2}: |u|^2 is d for the
     * sphere and concentrates at d for the Gaussian, so it estimates E|p u|^2 (method.md §3.2); the mean loss is
     * the mean perturbed loss.
     */
    @Override
    public GradientEstimate finish() {
        return draws.finish();
    }
}
