package org.forward4j.estimator;

/**
 * Gives the rows of one group of an activation plan their gradient weights as soon as the group's losses are
 * known (docs/method.md §2, §6). Used by
 * {@link StreamingQueryEvaluator#evaluateAndAssemble}, which
 * assembles each chunk of rows right after evaluating it instead of keeping every row's activations for a later
 * {@link ActivationPass#accumulateGradient}: a step's memory then stays flat in the number of draws.
 *
 * <p>A group is a run of consecutive plan rows whose weights depend only on each other's losses and on state fixed
 * before the plan runs (for the {@code lr} estimator: one batch point's queries in its final round). Evaluators may
 * call this for different groups from different threads at the same time; an implementation must only read shared
 * state and write {@code weights[from..to)}.
 */
@FunctionalInterface
public interface RowWeigher {

    /**
     * Computes the weights of one group.
     *
     * @param from the group's first plan row
     * @param to one past its last plan row
     * @param losses the plan's losses; entries {@code from..to-1} are filled in
     * @param weights where to write {@code w_r} for {@code r in [from, to)}
     */
    void weigh(int from, int to, double[] losses, double[] weights);
}
