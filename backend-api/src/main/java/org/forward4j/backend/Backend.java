package org.forward4j.backend;

import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;

/** Where query plans run: the ND4J CPU reference ({@code cpu}) or an OpenCL device ({@code opencl}). */
public interface Backend extends AutoCloseable {

    /**
     * The device this backend runs on, for logs and results.
     *
     * @return a human-readable description
     */
    String device();

    /**
     * An evaluator of plans for the objective.
     *
     * @param objective a black box or a {@link org.forward4j.estimator.NetworkObjective}
     * @return the evaluator
     * @throws org.forward4j.plugin.UnsupportedCapabilityException if the backend cannot evaluate that objective
     */
    QueryEvaluator evaluator(Objective objective);

    /** Releases device resources. */
    @Override
    default void close() {
    }
}
