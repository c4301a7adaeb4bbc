package org.forward4j.estimator;

/** Hidden-layer activation functions of a {@link DenseNetwork}. */
public enum Activation {
    /** max(0, x). */
    RELU,
    /** tanh(x). */
    TANH,
    /** x (a linear layer). */
    IDENTITY;

    /**
     * Applies the function to one value.
     *
     * @param x the pre-activation
     * @return the activation
     */
    public float apply(float x) {
        return switch (this) {
            case RELU -> x > 0f ? x : 0f;
            case TANH -> (float) Math.tanh(x);
            case IDENTITY -> x;
        };
    }
}
