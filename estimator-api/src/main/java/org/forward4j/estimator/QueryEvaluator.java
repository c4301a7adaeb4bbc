package org.forward4j.estimator;

import org.forward4j.plugin.UnsupportedCapabilityException;

/**
 * Runs query plans for one objective on one backend (docs/method.md §4, §6). Estimators ask for losses only
 * through this interface, so the backend that evaluates a plan is a separate, configurable choice. Every row
 * evaluated is one query.
 *
 * <p>This is what every backend must implement. A backend that can also add gradient terms while it evaluates
 * (flat memory in the number of draws, one generation of each direction) implements
 * {@link StreamingQueryEvaluator} as well; estimators reach either through {@link Streaming}, which checks for it.
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
     * Evaluates activation-noise queries.
     *
     * @param theta the current parameters (length d; read-only)
     * @param plan the queries
     * @return the losses and the gradient assembler; the caller closes it
     * @throws UnsupportedCapabilityException if the objective is a black box or the backend has no activation
     *     noise
     */
    ActivationPass evaluate(float[] theta, ActivationPlan plan);

    /**
     * The clean (unperturbed) mean loss and accuracy of {@code theta} over every row of the objective: how the
     * engine measures test-set accuracy, on the same backend as the training queries. These evaluations are not
     * training queries; the engine counts them apart.
     *
     * <p>The default evaluates row by row in plain Java: {@link Networks#metrics} for a network objective, the
     * objective's own losses (accuracy NaN) for a black box. Batched backends override it.
     *
     * @param theta the parameters (length d; read-only)
     * @return mean loss, accuracy and the number of rows
     */
    default EvaluationMetrics evaluateClean(float[] theta) {
        Objective objective = objective();
        if (objective instanceof NetworkObjective net) {
            return Networks.metrics(net, theta);
        }
        if (objective instanceof org.forward4j.estimator.graph.GraphObjective graph) {
            return Networks.metrics(graph, theta);
        }
        int n = objective.size();
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = i;
        }
        double[] losses = new double[n];
        objective.losses(theta, rows, losses);
        double sum = 0;
        for (double l : losses) {
            sum += l;
        }
        return new EvaluationMetrics(sum / n, Double.NaN, n);
    }
}
