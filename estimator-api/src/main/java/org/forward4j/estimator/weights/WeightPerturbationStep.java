package org.forward4j.estimator.weights;

import java.util.ArrayList;
import java.util.List;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.noise.NoiseStream;

/**
 * One mini-batch of a weight-perturbation estimator (docs/method.md §2, §4): the rounds and the last round of
 * {@link EstimationStep}, written once for every estimator that perturbs the parameters along regenerated
 * directions. A subclass says only what is particular to it: the queries it plans for one direction
 * ({@link #queries}), how their losses become each member point's coefficient of the direction's stream and its
 * recorded draw ({@link #coefficients}, {@link #record}), and whether a round needs other queries first (RGE's
 * clean pass: {@link #leadingQueries}, {@link #beforeLastRound}). {@link DirectionDraws} numbers the draws, runs
 * and counts the plans and assembles the estimate.
 */
public abstract class WeightPerturbationStep implements EstimationStep {

    /** The step's draws; subclasses record into it. */
    protected final DirectionDraws draws;

    /**
     * Starts a step.
     *
     * @param component the estimator as named in messages, for example {@code "estimator 'spsa'"}
     * @param context the step
     * @param mode how draws are numbered
     * @param streams the distribution of the directions' streams
     * @throws IllegalArgumentException if theta does not match the objective
     * @throws org.forward4j.plugin.InvalidConfigurationException if the batch is too large for per-point numbers
     */
    protected WeightPerturbationStep(String component, StepContext context, DirectionMode mode,
                                     NoiseStream.Distribution streams) {
        this.draws = new DirectionDraws(component, context, mode, streams);
    }

    /**
     * The queries of one direction of a round, all on {@code group.direction()}; every group gets the same number.
     *
     * @param group the direction and its member points
     * @param index the group's index in the round
     * @return the queries, in the order {@link #coefficients} and {@link #record} read their losses
     */
    protected abstract List<WeightQuery> queries(DirectionDraws.Group group, int index);

    /**
     * The coefficient of the direction's stream for each member point, from the group's losses.
     *
     * @param group the direction and its member points
     * @param index the group's index in the round
     * @param losses the plan's losses
     * @param first the index of the group's first query in the plan
     * @return one coefficient per member, in {@link DirectionDraws.Group#points()} order
     */
    protected abstract double[] coefficients(DirectionDraws.Group group, int index, double[][] losses, int first);

    /**
     * Records the draws of one group with {@link DirectionDraws#record}, with the same coefficients as
     * {@link #coefficients}.
     *
     * @param group the direction and its member points
     * @param index the group's index in the round
     * @param losses the plan's losses
     * @param first the index of the group's first query in the plan
     * @param includeInEstimate whether the draws enter the estimate
     */
    protected abstract void record(DirectionDraws.Group group, int index, double[][] losses, int first,
                                   boolean includeInEstimate);

    /**
     * Queries a non-last round runs ahead of its groups' in the same plan (none by default).
     *
     * @return the leading queries
     */
    protected List<WeightQuery> leadingQueries() {
        return List.of();
    }

    /**
     * Receives the losses of {@link #leadingQueries()} once the round's plan ran.
     *
     * @param losses their losses, in order
     */
    protected void leadingLosses(double[][] losses) {
    }

    /**
     * Runs whatever the last round's coefficients need and no earlier round measured (nothing by default).
     *
     * @param groups the last round's groups (possibly empty)
     */
    protected void beforeLastRound(List<DirectionDraws.Group> groups) {
    }

    @Override
    public final void run(int[] counts, boolean includeInEstimate) {
        List<DirectionDraws.Group> groups = draws.round(counts);
        List<WeightQuery> leading = leadingQueries();
        List<WeightQuery> plan = new ArrayList<>(leading);
        for (int g = 0; g < groups.size(); g++) {
            plan.addAll(queries(groups.get(g), g));
        }
        double[][] losses = draws.evaluate(plan);
        int first = leading.size();
        if (first > 0) {
            double[][] lead = new double[first][];
            System.arraycopy(losses, 0, lead, 0, first);
            leadingLosses(lead);
        }
        int per = groups.isEmpty() ? 0 : (plan.size() - first) / groups.size();
        for (int g = 0; g < groups.size(); g++) {
            record(groups.get(g), g, losses, first + g * per, includeInEstimate);
        }
    }

    /**
     * The last round, with each direction's term added while the backend still holds the direction
     * ({@link DirectionDraws#evaluateLast}): directions are generated once per step, not twice.
     */
    @Override
    public final GradientEstimate runLastRoundAndFinish(int[] counts) {
        List<DirectionDraws.Group> groups = draws.round(counts);
        beforeLastRound(groups);
        List<WeightQuery> plan = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            plan.addAll(queries(groups.get(g), g));
        }
        double[][] losses = draws.evaluateLast(groups, plan, true,
                (g, l, first) -> coefficients(groups.get(g), g, l, first));
        int per = groups.isEmpty() ? 0 : plan.size() / groups.size();
        for (int g = 0; g < groups.size(); g++) {
            record(groups.get(g), g, losses, g * per, true);
        }
        return draws.finish();
    }

    /**
     * The estimate {@code (1/B) sum_i (1/A_i) sum_j c_ij z_ij} over the included draws, with the per-point
     * statistics {@link DirectionDraws#finish()} computes.
     */
    @Override
    public final GradientEstimate finish() {
        return draws.finish();
    }
}
