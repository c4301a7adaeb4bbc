package org.forward4j.estimator.graph;

import java.util.Arrays;

/**
 * The shape of one data row's activations at some point of a {@link LayerGraph}: {@code [C, H, W]} for images
 * (channel-major), {@code [T, D]} for token sequences (token-major), {@code [D]} for vectors. Values are stored
 * row-major in that order.
 *
 * @param dims the sizes, each at least 1 (copied)
 */
public record Shape(int[] dims) {

    /**
     * Validates and copies the sizes.
     *
     * @param dims the sizes, one to three of them, each at least 1
     * @throws IllegalArgumentException naming the sizes when one is not positive or there are none or too many
     */
    public Shape {
        if (dims == null || dims.length < 1 || dims.length > 3) {
            throw new IllegalArgumentException("a shape has 1 to 3 sizes, got " + Arrays.toString(dims));
        }
        for (int d : dims) {
            if (d < 1) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " has a size below 1");
            }
        }
        dims = dims.clone();
    }

    /**
     * A vector shape.
     *
     * @param d its length
     * @return {@code [d]}
     */
    public static Shape vector(int d) {
        return new Shape(new int[] {d});
    }

    /**
     * A token-sequence shape.
     *
     * @param tokens T
     * @param dim D
     * @return {@code [T, D]}
     */
    public static Shape tokens(int tokens, int dim) {
        return new Shape(new int[] {tokens, dim});
    }

    /**
     * An image shape.
     *
     * @param channels C
     * @param height H
     * @param width W
     * @return {@code [C, H, W]}
     */
    public static Shape image(int channels, int height, int width) {
        return new Shape(new int[] {channels, height, width});
    }

    @Override
    public int[] dims() {
        return dims.clone();
    }

    /**
     * One size.
     *
     * @param i its index
     * @return the size
     */
    public int dim(int i) {
        return dims[i];
    }

    /**
     * The number of sizes: 1 vector, 2 tokens, 3 image.
     *
     * @return the rank
     */
    public int rank() {
        return dims.length;
    }

    /**
     * The last size: a vector's length, a token's width, an image's width.
     *
     * @return the last size
     */
    public int last() {
        return dims[dims.length - 1];
    }

    /**
     * Values per row.
     *
     * @return the product of the sizes
     */
    public int size() {
        long n = 1;
        for (int d : dims) {
            n *= d;
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shape " + this + " holds more than 2^31 values");
        }
        return (int) n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(s.dims, dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
