package org.forward4j.estimator.graph;

import java.util.Arrays;

/**
 * A parameter tensor of a layer: its full name ({@code blocks.1.attn.q.weight}), its shape and its role.
 *
 * @param name the tensor's name, unique in its graph
 * @param shape its dimensions (copied)
 * @param role what it does, for selections such as "biases only"
 */
public record ParameterSpec(String name, int[] shape, Role role) {

    /** What a tensor does. */
    public enum Role {
        /** A weight matrix or convolution kernel. */
        WEIGHT,
        /** An additive bias of a linear map. */
        BIAS,
        /** A layer norm's scale. */
        SCALE,
        /** A layer norm's shift (a bias too, for "biases only" fine-tuning). */
        SHIFT,
        /** A learned token or position embedding. */
        EMBEDDING
    }

    /**
     * Copies the shape.
     *
     * @param name the tensor's name
     * @param shape its dimensions
     * @param role what it does
     */
    public ParameterSpec {
        shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /**
     * The number of values.
     *
     * @return the product of the dimensions
     */
    public int size() {
        int n = 1;
        for (int d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ParameterSpec p && p.name.equals(name) && Arrays.equals(p.shape, shape) && p.role == role;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
