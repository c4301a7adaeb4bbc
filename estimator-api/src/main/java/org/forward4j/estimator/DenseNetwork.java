package org.forward4j.estimator;

import java.util.Arrays;
import org.forward4j.plugin.InvalidConfigurationException;

/**
 * The architecture of a multi-layer perceptron: dense layers {@code v = W x + b}, an activation after every layer
 * but the last, and softmax cross-entropy on the last layer's outputs.
 *
 * <p>Flat parameter layout, layer by layer: {@code W_l} row-major with shape {@code [out_l, in_l]}, then
 * {@code b_l} of length {@code out_l}. Weight-noise plans perturb this flat vector like any other parameter
 * vector (see {@link WeightPlan}); activation-noise plans number layer {@code l}'s output noise as tensor {@code l}
 * (see {@link ActivationPlan}).
 *
 * @param sizes layer widths, input first and classes last (for example {@code [784, 64, 10]})
 * @param activation the hidden activation
 */
public record DenseNetwork(int[] sizes, Activation activation) {

    /**
     * Validates the architecture.
     *
     * @param sizes layer widths, at least two entries, all positive
     * @param activation the hidden activation
     */
    public DenseNetwork {
        if (sizes == null || sizes.length < 2) {
            throw new InvalidConfigurationException("A network needs at least an input and an output size, got "
                    + Arrays.toString(sizes));
        }
        for (int s : sizes) {
            if (s <= 0) {
                throw new InvalidConfigurationException("Layer sizes must be positive, got " + Arrays.toString(sizes));
            }
        }
        if (activation == null) {
            throw new InvalidConfigurationException("activation must not be null; use relu, tanh or identity");
        }
        sizes = sizes.clone();
    }

    @Override
    public int[] sizes() {
        return sizes.clone();
    }

    /**
     * Number of dense layers.
     *
     * @return {@code sizes.length - 1}
     */
    public int layers() {
        return sizes.length - 1;
    }

    /**
     * Input width of layer l.
     *
     * @param l the layer
     * @return in_l
     */
    public int in(int l) {
        return sizes[l];
    }

    /**
     * Output width of layer l.
     *
     * @param l the layer
     * @return out_l
     */
    public int out(int l) {
        return sizes[l + 1];
    }

    /**
     * Offset of {@code W_l} in the flat parameter vector.
     *
     * @param l the layer
     * @return the offset
     */
    public int weightOffset(int l) {
        int off = 0;
        for (int k = 0; k < l; k++) {
            off += sizes[k] * sizes[k + 1] + sizes[k + 1];
        }
        return off;
    }

    /**
     * Offset of {@code b_l} in the flat parameter vector.
     *
     * @param l the layer
     * @return the offset
     */
    public int biasOffset(int l) {
        return weightOffset(l) + sizes[l] * sizes[l + 1];
    }

    /**
     * The number of parameters.
     *
     * @return d
     */
    public int dimension() {
        return weightOffset(layers());
    }

    /**
     * Number of classes (last size).
     *
     * @return the output width
     */
    public int classes() {
        return sizes[sizes.length - 1];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DenseNetwork n && Arrays.equals(n.sizes, sizes) && n.activation == activation;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sizes) * 31 + activation.hashCode();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < sizes.length; i++) {
            b.append(i == 0 ? "" : "-").append(sizes[i]);
        }
        return "mlp " + b + " (" + activation.name().toLowerCase(java.util.Locale.ROOT) + ")";
    }
}
