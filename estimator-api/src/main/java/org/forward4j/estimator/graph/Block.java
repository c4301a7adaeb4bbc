package org.forward4j.estimator.graph;

import java.util.List;

/**
 * A named group of consecutive layers: the unit of "train the last k blocks" and of the frozen prefix a backend
 * computes once per data point (docs/method.md §8).
 *
 * @param name the block's name (tensor names of its layers start with it by convention)
 * @param layers its layers, in order (copied)
 */
public record Block(String name, List<Layer> layers) {

    /**
     * Copies the layers.
     *
     * @param name the block's name
     * @param layers its layers
     */
    public Block {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a block needs a name");
        }
        layers = List.copyOf(layers);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("block '" + name + "' has no layers");
        }
    }
}
