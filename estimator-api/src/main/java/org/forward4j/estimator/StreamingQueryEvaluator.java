package org.forward4j.estimator;

import org.forward4j.plugin.UnsupportedCapabilityException;

/**
 * An optional capability of a {@link QueryEvaluator}: adding an estimate's gradient terms while the plan is
 * evaluated (docs/method.md §2, §6). It changes no result, only cost: {@code lr}'s last round is assembled chunk by
 * chunk, so a step's memory does not grow with its draws, and a weight direction's term is added while the backend
 * still holds the direction, so it is generated once per step. Estimators call these through {@link Streaming},
 * which falls back to {@link QueryEvaluator#evaluate} plus separate assembly when a backend does not implement this
 * interface.
 */
public interface StreamingQueryEvaluator extends QueryEvaluator {

    /**
     * Evaluates activation-noise queries and adds their weighted likelihood-ratio terms to {@code gradient}, with
     * weights computed per group of rows as soon as that group's losses are known. The result equals
     * {@code evaluate(theta, plan)} followed by {@link ActivationPass#accumulateGradient} with the weigher's
     * weights, up to float summation order.
     *
     * @param theta the current parameters (length d; read-only)
     * @param plan the queries
     * @param groupEnds the exclusive end row of each group, strictly increasing, the last equal to
     *     {@code plan.size()}; rows of a group are consecutive (checked by {@link ActivationPlan#checkGroups})
     * @param weigher gives each group's rows their weights
     * @param gradient a flat vector in the network's parameter layout, updated in place
     * @param noiseEnergy whether to return each query's noise energy
     * @return the losses, the weights used and (if asked) the noise energies
     * @throws IllegalArgumentException if {@code groupEnds} does not partition the plan's rows
     * @throws UnsupportedCapabilityException if the objective is a black box
     */
    ActivationResult evaluateAndAssemble(float[] theta, ActivationPlan plan, int[] groupEnds, RowWeigher weigher,
            float[] gradient, boolean noiseEnergy);

    /**
     * Evaluates weight-perturbation queries and adds {@code c_j z_j} to {@code gradient} for every direction run
     * of the plan ({@link WeightPlan#directionRuns()}), with {@code c_j} from {@code weigher} once the run's
     * queries are evaluated; runs of clean queries only are not weighed. The result equals
     * {@code evaluate(theta, plan)} followed by {@code gradient += c_j z_j} in run order.
     *
     * @param theta the current parameters (length d; read-only)
     * @param plan the queries
     * @param weigher gives each direction its coefficient
     * @param gradient a flat vector of length d, updated in place
     * @return {@code losses[q][k]} as from {@link #evaluate(float[], WeightPlan)}
     */
    double[][] evaluateAndCombine(float[] theta, WeightPlan plan, DirectionWeigher weigher, float[] gradient);
}
