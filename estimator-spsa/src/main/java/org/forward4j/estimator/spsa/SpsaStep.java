package org.forward4j.estimator.spsa;

import java.util.ArrayList;
import java.util.List;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.estimator.weights.DirectionDraws;
import org.forward4j.estimator.weights.DirectionMode;
import org.forward4j.noise.NoiseStream;

/**
 * One mini-batch of SPSA (method.md §2, §4): each direction of a round is one pair of queries, {@code +s} and
 * {@code -s}, over the points drawing it; {@link DirectionDraws} numbers the draws and assembles the estimate.
 */
final class SpsaStep implements EstimationStep {

    private final float scale;
    private final DirectionDraws draws;

    /**
     * Starts a step.
     *
     * @throws IllegalArgumentException if theta does not match the objective
     * @throws org.forward4j.plugin.InvalidConfigurationException if the batch is too large for per-point numbers
     */
    SpsaStep(StepContext context, float scale, DirectionMode mode, NoiseStream.Distribution distribution) {
        this.scale = scale;
        this.draws = new DirectionDraws("estimator 'spsa'", context, mode, distribution);
    }

    @Override
    public void run(int[] counts, boolean includeInEstimate) {
        List<DirectionDraws.Group> groups = draws.round(counts);
        record(groups, draws.evaluate(plan(groups)), includeInEstimate);
    }

    /**
     * The last round, with each direction's term added while the backend still holds the direction
     * ({@link DirectionDraws#evaluateLast}): directions are generated once per step, not twice.
     */
    @Override
    public GradientEstimate finish(int[] counts, boolean includeInEstimate) {
        List<DirectionDraws.Group> groups = draws.round(counts);
        double[][] losses = draws.evaluateLast(groups, plan(groups), includeInEstimate,
                (g, l, first) -> coefficients(l[first], l[first + 1]));
        record(groups, losses, includeInEstimate);
        return draws.finish();
    }

    /** Two queries per group: {@code +s} then {@code -s} over the group's rows. */
    private List<WeightQuery> plan(List<DirectionDraws.Group> groups) {
        List<WeightQuery> plan = new ArrayList<>(2 * groups.size());
        for (DirectionDraws.Group group : groups) {
            plan.add(new WeightQuery(group.direction(), scale, group.rows()));
            plan.add(new WeightQuery(group.direction(), -scale, group.rows().clone()));
        }
        return plan;
    }

    /** {@code p = (l+ - l-) / (2 s)} per member; the plan's own float scale is the step taken, so divide by it. */
    private double[] coefficients(double[] plus, double[] minus) {
        double twoS = 2.0 * scale;
        double[] p = new double[plus.length];
        for (int k = 0; k < p.length; k++) {
            p[k] = (plus[k] - minus[k]) / twoS;
        }
        return p;
    }

    private void record(List<DirectionDraws.Group> groups, double[][] losses, boolean includeInEstimate) {
        for (int pair = 0; pair < groups.size(); pair++) {
            int[] points = groups.get(pair).points();
            double[] plus = losses[2 * pair];
            double[] minus = losses[2 * pair + 1];
            double[] p = coefficients(plus, minus);
            for (int k = 0; k < points.length; k++) {
                draws.record(points[k], p[k], p[k], 0.5 * (plus[k] + minus[k]), includeInEstimate);
            }
        }
    }

    /** The mean of {@code (l+ + l-) / 2} over each point's draws (NaN before any). */
    @Override
    public double[] proxies() {
        return draws.meanLosses();
    }

    /**
     * The estimate {@code (1/B) sum_i (1/A_i) sum_j p_ij z_ij}, with {@code v_i = d * mean p^2}: |z|^2 concentrates
     * at d and p = z^T grad l_i up to O(s^2), so it estimates E|p z|^2 (method.md §3.2).
     */
    @Override
    public GradientEstimate finish() {
        return draws.finish();
    }
}
