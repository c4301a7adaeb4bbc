package org.forward4j.core.model;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.graph.LayerGraph;

/**
 * A trained model as {@link ModelFile} stores it: the architecture, its parameters and the file's metadata. It is
 * what a program needs to evaluate or keep training the model: for an MLP pass {@link #network()} and
 * {@link #parameters()} to {@link org.forward4j.estimator.Networks#objective} and a backend, or to
 * {@link org.forward4j.core.Forward4j#trainer} as initial parameters; for any model, {@link #graph()} and
 * {@link #parameters()} make a {@link org.forward4j.estimator.graph.GraphObjective}.
 *
 * @param graph the architecture as a layer graph (an MLP's is {@link LayerGraph#mlp} of its network, with the same
 *     flat layout)
 * @param network the MLP when the model is one (architecture type {@code mlp}), else null: MLPs keep their own
 *     engines ({@link org.forward4j.estimator.NetworkObjective}), whose numbers a graph must not change
 * @param parameters the flat parameter vector in the graph's layout (for an MLP, {@link DenseNetwork}'s); not copied
 *     (a model may be large), so the caller that built the record owns it
 * @param metadata the file's {@code __metadata__} in file order, including the keys {@link ModelFile} reserves
 *     ({@code format}, {@code format_version}, {@code architecture}, {@code forward4j_version}); unmodifiable
 */
public record Model(LayerGraph graph, DenseNetwork network, float[] parameters, Map<String, String> metadata) {

    /**
     * Checks that the parameters fit the architecture.
     *
     * @param graph the architecture
     * @param network the MLP, or null for a graph that is not stored as one
     * @param parameters {@code graph.parameterCount()} values
     * @param metadata string keys and values
     * @throws IllegalArgumentException if the parameter count differs from the architecture's, or the network is not
     *     the graph's MLP
     */
    public Model {
        Objects.requireNonNull(graph, "graph");
        Objects.requireNonNull(parameters, "parameters");
        Objects.requireNonNull(metadata, "metadata");
        if (network != null && network.dimension() != graph.parameterCount()) {
            throw new IllegalArgumentException(network + " is not the MLP of " + graph);
        }
        if (parameters.length != graph.parameterCount()) {
            throw new IllegalArgumentException((network != null ? network : graph) + " has "
                    + graph.parameterCount() + " parameters, got " + parameters.length);
        }
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /**
     * An MLP model.
     *
     * @param network the architecture
     * @param parameters {@code network.dimension()} values in its flat layout (not copied)
     * @param metadata string keys and values
     */
    public Model(DenseNetwork network, float[] parameters, Map<String, String> metadata) {
        this(LayerGraph.mlp(Objects.requireNonNull(network, "network")), network, parameters, metadata);
    }

    /**
     * A layer-graph model.
     *
     * @param graph the architecture
     * @param parameters {@code graph.parameterCount()} values in its flat layout (not copied)
     * @param metadata string keys and values
     */
    public Model(LayerGraph graph, float[] parameters, Map<String, String> metadata) {
        this(graph, null, parameters, metadata);
    }

    /**
     * Whether the model is an MLP (stored as architecture type {@code mlp}).
     *
     * @return true when {@link #network()} is not null
     */
    public boolean isMlp() {
        return network != null;
    }

    /**
     * The model in words.
     *
     * @return the MLP's or the graph's description
     */
    public String describe() {
        return network != null ? network.toString() : graph.toString();
    }

    /** Equal when the architectures, every parameter bit pattern and the metadata are equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Model m && Objects.equals(m.network, network)
                && Architecture.toJson(m.graph).equals(Architecture.toJson(graph))
                && Arrays.equals(m.parameters, parameters) && m.metadata.equals(metadata);
    }

    @Override
    public int hashCode() {
        return Objects.hash(network, graph.parameterCount(), Arrays.hashCode(parameters), metadata);
    }

    /** The architecture and the parameter count, not the values (a model may have millions). */
    @Override
    public String toString() {
        return "Model[" + describe() + ", " + parameters.length + " parameters, metadata " + metadata.keySet() + "]";
    }
}
