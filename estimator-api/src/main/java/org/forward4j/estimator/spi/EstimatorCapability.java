package org.forward4j.estimator.spi;

/** What an estimator declares about the objectives it can train; the engine checks them before training. */
public enum EstimatorCapability {
    /**
     * Works on any black-box {@link org.forward4j.estimator.Objective} (it only perturbs the parameter vector).
     * The engine refuses a black-box objective for an estimator without it.
     */
    BLACK_BOX,
    /**
     * Needs a {@link org.forward4j.estimator.NetworkObjective} and a backend that runs activation-noise plans;
     * the engine refuses other objectives and backends before training.
     */
    ACTIVATION_NOISE
}
