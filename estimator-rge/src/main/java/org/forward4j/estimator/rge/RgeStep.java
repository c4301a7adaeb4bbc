package org.forward4j.estimator.rge;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.estimator.weights.DirectionDraws;
import org.forward4j.estimator.weights.DirectionMode;
import org.forward4j.estimator.weights.WeightPerturbationStep;
import org.forward4j.noise.NoiseStream;

/**
 * One mini-batch of RGE (docs/method.md §2, §4): each direction of a round is one query with scale m over the
 * points drawing it, perturbing along the Gaussian stream of the direction; {@code p = (l - l_clean) / m}. The first
 * round's plan also holds the clean evaluation of every point (one query with scale 0), which later rounds reuse;
 * when the last round is the first, the clean pass runs just before it.
 */
final class RgeStep extends WeightPerturbationStep {

    /** RGE's plans always carry Gaussian streams; the sphere variant rescales them per direction. */
    private static final NoiseStream.Distribution STREAM = NoiseStream.Distribution.GAUSSIAN;

    private final StepContext context;
    private final float scale;
    private final RgeDistribution distribution;
    private final double[] cleanLoss;
    private final float[] buffer;
    /** The current round's stream factors, by group index (filled as the round's queries are planned). */
    private final List<Double> zFactor = new ArrayList<>();
    private boolean cleanMeasured;

    RgeStep(StepContext context, float scale, DirectionMode mode, RgeDistribution distribution) {
        super("estimator 'rge'", context, mode, STREAM);
        this.context = context;
        this.scale = scale;
        this.distribution = distribution;
        this.cleanLoss = new double[context.batchSize()];
        Arrays.fill(cleanLoss, Double.NaN);
        this.buffer = distribution == RgeDistribution.SPHERE ? new float[draws.dimension()] : null;
    }

    @Override
    protected List<WeightQuery> leadingQueries() {
        return cleanMeasured ? List.of() : List.of(new WeightQuery(0, 0f, context.rows().clone()));
    }

    @Override
    protected void leadingLosses(double[][] losses) {
        System.arraycopy(losses[0], 0, cleanLoss, 0, cleanLoss.length);
        cleanMeasured = true;
    }

    @Override
    protected void beforeLastRound(List<DirectionDraws.Group> groups) {
        if (!cleanMeasured && !groups.isEmpty()) {
            leadingLosses(draws.evaluate(leadingQueries()));
        }
    }

    /** One query along the group's stream with scale {@code m * factor} (factor 1 for Gaussian directions). */
    @Override
    protected List<WeightQuery> queries(DirectionDraws.Group group, int index) {
        if (index == 0) {
            zFactor.clear();
        }
        double factor = streamFactor(group.direction());
        zFactor.add(factor);
        return List.of(new WeightQuery(group.direction(), (float) (scale * factor), group.rows()));
    }

    /** {@code p * factor} per member, {@code p = (l - l_clean) / m} with the float m the plan carried. */
    @Override
    protected double[] coefficients(DirectionDraws.Group group, int index, double[][] losses, int first) {
        int[] points = group.points();
        double factor = zFactor.get(index);
        double[] c = new double[points.length];
        for (int k = 0; k < points.length; k++) {
            c[k] = (losses[first][k] - cleanLoss[points[k]]) / scale * factor;
        }
        return c;
    }

    @Override
    protected void record(DirectionDraws.Group group, int index, double[][] losses, int first,
                          boolean includeInEstimate) {
        int[] points = group.points();
        double factor = zFactor.get(index);
        double[] perturbed = losses[first];
        for (int k = 0; k < points.length; k++) {
            double p = (perturbed[k] - cleanLoss[points[k]]) / scale;
            draws.record(points[k], p * factor, p, perturbed[k], includeInEstimate);
        }
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
}
