package org.forward4j.backend.spi;

/** What a backend declares it can evaluate; the engine checks the estimator and objective against it. */
public enum BackendCapability {
    /** Evaluates black-box {@link org.forward4j.estimator.Objective}s (by calling their own losses). */
    BLACK_BOX,
    /** Runs activation-noise plans ({@link org.forward4j.estimator.ActivationPlan}) of network objectives. */
    ACTIVATION_NOISE
}
