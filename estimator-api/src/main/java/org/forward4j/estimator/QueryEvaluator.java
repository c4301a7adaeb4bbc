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
