package org.forward4j.estimator.spsa;

import java.util.List;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.estimator.weights.DirectionDraws;
import org.forward4j.estimator.weights.DirectionMode;
import org.forward4j.estimator.weights.WeightPerturbationStep;
import org.forward4j.noise.NoiseStream;

/**
 * One mini-batch of SPSA (docs/method.md §2, §4): each direction of a round is one pair of queries, {@code +s}
 * and {@code -s}, over the points drawing it; {@code p = (l+ - l-) / (2 s)} is both the coefficient of the
 * direction and the recorded projection, and {@code (l+ + l-) / 2} the point's perturbed loss.
 */
final class SpsaStep extends WeightPerturbationStep {

    private final float scale;

    SpsaStep(StepContext context, float scale, DirectionMode mode, NoiseStream.Distribution distribution) {
        super("estimator 'spsa'", context, mode, distribution);
        this.scale = scale;
    }

    /** Two queries per group: {@code +s} then {@code -s} over the group's rows. */
    @Override
    protected List<WeightQuery> queries(DirectionDraws.Group group, int index) {
        return List.of(new WeightQuery(group.direction(), scale, group.rows()),
                new WeightQuery(group.direction(), -scale, group.rows().clone()));
    }

    /** {@code p = (l+ - l-) / (2 s)} per member. */
    @Override
    protected double[] coefficients(DirectionDraws.Group group, int index, double[][] losses, int first) {
        double[] plus = losses[first];
        double[] minus = losses[first + 1];
        double twoS = 2.0 * scale;
        double[] p = new double[plus.length];
        for (int k = 0; k < p.length; k++) {
            p[k] = (plus[k] - minus[k]) / twoS;
        }
        return p;
    }

    @Override
    protected void record(DirectionDraws.Group group, int index, double[][] losses, int first,
                          boolean includeInEstimate) {
        int[] points = group.points();
        double[] plus = losses[first];
        double[] minus = losses[first + 1];
        double[] p = coefficients(group, index, losses, first);
        for (int k = 0; k < points.length; k++) {
            draws.record(points[k], p[k], p[k], 0.5 * (plus[k] + minus[k]), includeInEstimate);
        }
    }

    /** The mean of {@code (l+ + l-) / 2} over each point's draws (NaN before any). */
    @Override
    public double[] proxies() {
        return draws.meanLosses();
    }
}
