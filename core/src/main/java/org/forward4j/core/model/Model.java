package org.forward4j.core.model;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.forward4j.estimator.DenseNetwork;

/**
 * A trained model as {@link ModelFile} stores it: the architecture, its parameters and the file's metadata. It is
 * what a program needs to evaluate or keep training the model: pass {@link #network()} and {@link #parameters()} to
 * {@link org.forward4j.estimator.Networks#objective} and a backend, or to
 * {@link org.forward4j.core.Forward4j#trainer} as initial parameters.
 *
 * @param network the architecture
 * @param parameters the flat parameter vector in {@link DenseNetwork}'s layout; not copied (a model may be large),
 *     so the caller that built the record owns it
 * @param metadata the file's {@code __metadata__} in file order, including the keys {@link ModelFile} reserves
 *     ({@code format}, {@code format_version}, {@code architecture}, {@code forward4j_version}); unmodifiable
 */
public record Model(DenseNetwork network, float[] parameters, Map<String, String> metadata) {

    /**
     * Checks that the parameters fit the network.
     *
     * @param network the architecture
     * @param parameters {@code network.dimension()} values
     * @param metadata string keys and values
     * @throws IllegalArgumentException if the parameter count differs from the network's dimension
     */
    public Model {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(parameters, "parameters");
        Objects.requireNonNull(metadata, "metadata");
        if (parameters.length != network.dimension()) {
            throw new IllegalArgumentException(network + " has " + network.dimension() + " parameters, got "
                    + parameters.length);
        }
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** Equal when the networks, every parameter bit pattern and the metadata are equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Model m && m.network.equals(network) && Arrays.equals(m.parameters, parameters)
                && m.metadata.equals(metadata);
    }

    @Override
    public int hashCode() {
        return Objects.hash(network, Arrays.hashCode(parameters), metadata);
    }

    /** The network and the parameter count, not the values (a model may have millions). */
    @Override
    public String toString() {
        return "Model[" + network + ", " + parameters.length + " parameters, metadata " + metadata.keySet() + "]";
    }
}
