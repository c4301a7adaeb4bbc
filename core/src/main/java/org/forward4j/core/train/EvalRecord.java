package org.forward4j.core.train;

/**
 * One evaluation point of a run: where training stood and how well the model did.
 *
 * @param epoch the epoch (1-based; 0 before training)
 * @param step optimisation steps done
 * @param queries cumulative training queries
 * @param trainLoss mean perturbed training loss since the previous record (NaN at step 0)
 * @param testLoss clean loss on the test set (NaN when there is none)
 * @param testAccuracy accuracy on the test set (NaN when there is none)
 * @param wallSeconds wall time since training started, excluding evaluation
 */
public record EvalRecord(int epoch, long step, long queries, double trainLoss, double testLoss, double testAccuracy,
                         double wallSeconds) {
}
