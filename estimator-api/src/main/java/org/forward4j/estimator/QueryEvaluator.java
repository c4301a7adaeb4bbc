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
}
