package org.forward4j.estimator;

/**
 * What {@link StreamingQueryEvaluator#evaluateAndAssemble} returns once every row has been evaluated and its
 * weighted likelihood-ratio terms added to the gradient. The arrays are handed over, not copied: the evaluator
 * keeps no reference to them.
 *
 * @param losses the loss of each query, in plan order
 * @param weights the weight {@code w_r} the {@link RowWeigher} gave each query
 * @param noiseEnergy {@code sum_l (|eps_{r,l}|^2 - out_l)} per query (see {@link ActivationPass#noiseEnergy()}),
 *     or null when it was not requested
 */
public record ActivationResult(double[] losses, double[] weights, double[] noiseEnergy) {
}
