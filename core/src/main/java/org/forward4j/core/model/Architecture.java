package org.forward4j.core.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;

/**
 * The {@code architecture} entry of a model file: a JSON object whose {@code type} says which model family the
 * other fields describe, and the tensors that family stores.
 *
 * <p>Type {@code mlp} ({@link DenseNetwork}):
 * {@code {"type":"mlp","sizes":[784,64,10],"activation":"relu","output":"softmax-cross-entropy"}} with tensors
 * {@code layers.<l>.weight} {@code [out_l, in_l]} and {@code layers.<l>.bias} {@code [out_l]}. Fields are checked
 * strictly (an unknown field is an error, not ignored) because a field this reader does not know could change what
 * the weights compute.
 *
 * <p>Other model families get their own {@code type}; {@value #GRAPH} is reserved for the layer-graph models
 * (convolutions, attention) as {@code {"type":"graph","layers":[{...}, ...]}}. A reader that meets a type it does
 * not know refuses the file with one message naming the type, instead of misreading its tensors.
 */
final class Architecture {

    /** The type of multi-layer perceptrons. */
    static final String MLP = "mlp";

    /** The type reserved for layer-graph models; this version cannot read it yet. */
    static final String GRAPH = "graph";

    /** The types this version reads. */
    static final List<String> SUPPORTED = List.of(MLP);

    /** The only output head an MLP has: softmax over the last layer, trained with cross-entropy. */
    static final String SOFTMAX_CROSS_ENTROPY = "softmax-cross-entropy";

    private static final Set<String> MLP_FIELDS = Set.of("type", "sizes", "activation", "output");

    /** Java arrays hold at most about this many elements; a model's flat parameter vector is one array. */
    private static final long MAX_PARAMETERS = Integer.MAX_VALUE - 8L;

    private Architecture() {
    }

    /**
     * One tensor of a model: its name in the file, its shape, and where its values sit in the flat parameter vector.
     *
     * @param name the safetensors name, e.g. {@code layers.0.weight}
     * @param shape the dimensions, row-major
     * @param offset the index of its first value in the flat parameter vector
     * @param elements the product of the shape
     */
    record Tensor(String name, long[] shape, int offset, int elements) {
    }

    /**
     * The architecture JSON of a network.
     *
     * @param network the network
     * @return the JSON object, compact
     */
    static String toJson(DenseNetwork network) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("type", MLP);
        ArrayNode sizes = o.putArray("sizes");
        for (int s : network.sizes()) {
            sizes.add(s);
        }
        o.put("activation", network.activation().name().toLowerCase(Locale.ROOT));
        o.put("output", SOFTMAX_CROSS_ENTROPY);
        try {
            return Json.MAPPER.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + network, e);
        }
    }

    /**
     * The tensors a network stores, in layer order: per layer its weight then its bias, at the offsets of
     * {@link DenseNetwork}'s flat layout.
     *
     * @param network the network
     * @return the tensors
     */
    static List<Tensor> tensors(DenseNetwork network) {
        List<Tensor> out = new ArrayList<>(2 * network.layers());
        for (int l = 0; l < network.layers(); l++) {
            int in = network.in(l);
            int o = network.out(l);
            out.add(new Tensor("layers." + l + ".weight", new long[] {o, in}, network.weightOffset(l), o * in));
            out.add(new Tensor("layers." + l + ".bias", new long[] {o}, network.biasOffset(l), o));
        }
        return out;
    }

    /**
     * Parses an architecture JSON.
     *
     * @param json the {@code architecture} metadata value
     * @return the network it describes
     * @throws IllegalArgumentException with the problem (the caller names the file): not JSON, an unknown type, a
     *     missing, unknown or invalid field, or a network too large for one parameter array
     */
    static DenseNetwork parse(String json) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the architecture is not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("the architecture must be a JSON object, got: " + abbreviate(json));
        }
        JsonNode type = root.get("type");
        if (type == null || !type.isTextual()) {
            throw new IllegalArgumentException("the architecture has no \"type\" string: " + abbreviate(json));
        }
        if (!type.asText().equals(MLP)) {
            throw new IllegalArgumentException("architecture type '" + type.asText() + "' is not supported by "
                    + "this forward4j (it reads " + SUPPORTED + "); read it with the forward4j version that wrote it "
                    + "or a newer one");
        }
        return parseMlp(root);
    }

    private static DenseNetwork parseMlp(JsonNode root) {
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String f = names.next();
            if (!MLP_FIELDS.contains(f)) {
                throw new IllegalArgumentException("the mlp architecture has the unknown field \"" + f
                        + "\" (known: type, sizes, activation, output)");
            }
        }
        JsonNode sizesNode = root.get("sizes");
        if (sizesNode == null || !sizesNode.isArray() || sizesNode.size() < 2) {
            throw new IllegalArgumentException("the mlp architecture needs \"sizes\", an array of at least two layer "
                    + "widths (input first, classes last), got " + sizesNode);
        }
        int[] sizes = new int[sizesNode.size()];
        for (int i = 0; i < sizes.length; i++) {
            JsonNode s = sizesNode.get(i);
            if (!s.isIntegralNumber() || !s.canConvertToInt() || s.intValue() <= 0) {
                throw new IllegalArgumentException("the mlp architecture has sizes " + sizesNode
                        + ": every width must be a positive integer");
            }
            sizes[i] = s.intValue();
        }
        long parameters = 0;
        for (int l = 0; l + 1 < sizes.length; l++) {
            parameters += (long) sizes[l] * sizes[l + 1] + sizes[l + 1];
        }
        if (parameters > MAX_PARAMETERS) {
            throw new IllegalArgumentException("the mlp architecture " + sizesNode + " has " + parameters
                    + " parameters, more than one Java array holds (" + MAX_PARAMETERS + ")");
        }
        JsonNode act = root.get("activation");
        Activation activation = null;
        if (act != null && act.isTextual()) {
            for (Activation a : Activation.values()) {
                if (a.name().toLowerCase(Locale.ROOT).equals(act.asText())) {
                    activation = a;
                }
            }
        }
        if (activation == null) {
            throw new IllegalArgumentException("the mlp architecture has activation " + act
                    + "; expected one of \"relu\", \"tanh\", \"identity\"");
        }
        JsonNode output = root.get("output");
        if (output == null || !output.isTextual() || !output.asText().equals(SOFTMAX_CROSS_ENTROPY)) {
            throw new IllegalArgumentException("the mlp architecture has output " + output + "; this forward4j "
                    + "reads only \"" + SOFTMAX_CROSS_ENTROPY + "\"");
        }
        return new DenseNetwork(sizes, activation);
    }

    static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "... (" + s.length() + " characters)";
    }
}
