package org.forward4j.estimator;

/**
 * The result of evaluating an {@link ActivationPlan}: the losses, plus what is needed to assemble the
 * likelihood-ratio gradient without storing the noise (the noise is regenerated).
 */
public interface ActivationPass extends AutoCloseable {

    /**
     * The loss of each query of the plan.
     *
     * @return losses in plan order
     */
    double[] losses();

    /**
     * Adds the weighted likelihood-ratio terms to {@code gradient}: for every layer l,
     * {@code W_l += sum_r w_r * sign_r * eps_{r,l} x_{r,l}^T / sigma} and
     * {@code b_l += sum_r w_r * sign_r * eps_{r,l} / sigma}, with {@code x_{r,l}} the input of layer l on query
     * r's own (noisy) forward path.
     *
     * @param rowWeights w_r for each query of the plan
     * @param gradient a flat vector in the network's parameter layout, updated in place
     */
    void accumulateGradient(double[] rowWeights, float[] gradient);

    /**
     * For each query, {@code sum_l (|eps_{r,l}|^2 - out_l)}: the score of log sigma (docs/method.md §2, learnable
     * noise scale) is {@code L_r * noiseEnergy_r}.
     *
     * @return one value per query
     */
    double[] noiseEnergy();

    /** Releases buffers held for gradient assembly. */
    @Override
    default void close() {
    }
}
