package org.forward4j.estimator;

import org.forward4j.plugin.UnsupportedCapabilityException;

/**
 * Runs query plans for one objective on one backend (method.md §4, §6). Estimators ask for losses only through
 * this interface, so the backend that evaluates a plan is a separate, configurable choice. Every row evaluated is
 * one query.
 */
public interface QueryEvaluator {

    /**
     * The objective the queries evaluate.
     *
     * @return the objective
     */
    Objective objective();

    /**
     * Evaluates weight-perturbation queries.
     *
     * @param theta the current parameters (length d; read-only)
     * @param plan the queries
     * @return {@code losses[q][k]}: the loss of {@code plan.queries().get(q).rows()[k]}
     */
    double[][] evaluate(float[] theta, WeightPlan plan);

    /**
     * Whether {@link #evaluate(float[], ActivationPlan)} is supported (only for {@link NetworkObjective}s).
     *
     * @return true if activation-noise plans can run
     */
    boolean supportsActivationNoise();

    /**
     * Evaluates activation-noise queries.
     *
     * @param theta the current parameters (length d; read-only)
     * @param plan the queries
     * @return the losses and the gradient assembler
     * @throws UnsupportedCapabilityException if the objective is a black box
     */
    ActivationPass evaluate(float[] theta, ActivationPlan plan);

    /**
     * Evaluates activation-noise queries and adds their weighted likelihood-ratio terms to {@code gradient} in one
     * go (method.md §2, §6), with weights computed per group of rows as soon as that group's losses are known.
     * Backends that run rows in chunks assemble each chunk right after its forward pass and drop its activations,
     * so memory does not grow with the plan's rows; the result equals {@code evaluate(theta, plan)} followed by
     * {@link ActivationPass#accumulateGradient} with the weigher's weights, up to float summation order.
     *
     * <p>The default implementation does exactly that (it keeps the whole pass until the end); the {@code cpu}
     * backend overrides it.
     *
     * @param theta the current parameters (length d; read-only)
     * @param plan the queries
     * @param groupEnds the exclusive end row of each group, strictly increasing, the last equal to
     *     {@code plan.size()}; rows of a group are consecutive
     * @param weigher gives each group's rows their weights
     * @param gradient a flat vector in the network's parameter layout, updated in place
     * @param noiseEnergy whether to return each query's noise energy
     * @return the losses, the weights used and (if asked) the noise energies
     * @throws IllegalArgumentException if {@code groupEnds} does not partition the plan's rows
     * @throws UnsupportedCapabilityException if the objective is a black box
     */
    default ActivationResult evaluateAndAssemble(float[] theta, ActivationPlan plan, int[] groupEnds,
            RowWeigher weigher, float[] gradient, boolean noiseEnergy) {
        checkGroups(groupEnds, plan.size());
        try (ActivationPass pass = evaluate(theta, plan)) {
            double[] losses = pass.losses();
            double[] weights = new double[losses.length];
            int from = 0;
            for (int end : groupEnds) {
                weigher.weigh(from, end, losses, weights);
                from = end;
            }
            pass.accumulateGradient(weights, gradient);
            return new ActivationResult(losses, weights, noiseEnergy ? pass.noiseEnergy() : null);
        }
    }

    /**
     * Evaluates weight-perturbation queries and adds {@code c_j z_j} to {@code gradient} for every direction j of
     * the plan, with {@code c_j} from {@code weigher} once the queries on j have run (method.md §2, §5). A backend
     * that holds {@code z_j} while it evaluates adds the term then, so the direction is generated once; the result
     * equals {@code evaluate(theta, plan)} followed by {@code gradient += c_j z_j} in run order. Queries with scale
     * 0 (clean evaluations) belong to no direction's term: a run of them is not weighed.
     *
     * <p>The default implementation evaluates the plan, then regenerates each direction with a non-zero
     * coefficient; the {@code cpu} backend overrides it.
     *
     * @param theta the current parameters (length d; read-only)
     * @param plan the queries; each maximal run of consecutive queries on one direction is weighed once
     * @param weigher gives each direction its coefficient
     * @param gradient a flat vector of length d, updated in place
     * @return {@code losses[q][k]} as from {@link #evaluate(float[], WeightPlan)}
     */
    default double[][] evaluateAndCombine(float[] theta, WeightPlan plan, DirectionWeigher weigher,
            float[] gradient) {
        double[][] losses = evaluate(theta, plan);
        for (int[] run : directionRuns(plan)) {
            double c = perturbs(plan, run) ? weigher.weight(run[0], run[1], losses) : 0.0;
            if (c != 0.0) {
                plan.stream(plan.queries().get(run[0]).direction()).addScaled(plan.distribution(), gradient, 0,
                        gradient.length, 0, (float) c);
            }
        }
        return losses;
    }

    /**
     * The maximal runs of consecutive queries on one direction, as {@code {from, to}} query ranges.
     *
     * @param plan the plan
     * @return the runs in plan order
     */
    static java.util.List<int[]> directionRuns(WeightPlan plan) {
        java.util.List<int[]> runs = new java.util.ArrayList<>();
        java.util.List<WeightQuery> queries = plan.queries();
        for (int q = 0; q < queries.size(); q++) {
            int[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
            if (last != null && queries.get(last[0]).direction() == queries.get(q).direction()) {
                last[1] = q + 1;
            } else {
                runs.add(new int[] {q, q + 1});
            }
        }
        return runs;
    }

    /**
     * Whether a run perturbs the parameters at all (some query has a non-zero scale).
     *
     * @param plan the plan
     * @param run a run from {@link #directionRuns(WeightPlan)}
     * @return false for a run of clean queries only
     */
    static boolean perturbs(WeightPlan plan, int[] run) {
        for (int q = run[0]; q < run[1]; q++) {
            if (plan.queries().get(q).scale() != 0f) {
                return true;
            }
        }
        return false;
    }

    /**
     * Checks that group ends partition {@code 0..rows-1} into non-empty runs.
     *
     * @param groupEnds exclusive ends, strictly increasing
     * @param rows the plan's size
     * @throws IllegalArgumentException naming the first bad entry
     */
    static void checkGroups(int[] groupEnds, int rows) {
        int previous = 0;
        for (int g = 0; g < groupEnds.length; g++) {
            if (groupEnds[g] <= previous || groupEnds[g] > rows) {
                throw new IllegalArgumentException("group end " + g + " is " + groupEnds[g] + ": ends must rise "
                        + "strictly from 1 to the plan's " + rows + " rows");
            }
            previous = groupEnds[g];
        }
        if (previous != rows) {
            throw new IllegalArgumentException("groups end at row " + previous + " but the plan has " + rows
                    + " rows");
        }
    }
}
