package org.forward4j.core.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.graph.Block;
import org.forward4j.estimator.graph.Layer;
import org.forward4j.estimator.graph.LayerGraph;
import org.forward4j.estimator.graph.Shape;
import org.forward4j.plugin.InvalidConfigurationException;

/**
 * The {@code architecture} entry of a model file: a JSON object whose {@code type} says which model family the
 * other fields describe, and the tensors that family stores.
 *
 * <p>Type {@code mlp} ({@link DenseNetwork}):
 * {@code {"type":"mlp","sizes":[784,64,10],"activation":"relu","output":"softmax-cross-entropy"}} with tensors
 * {@code layers.<l>.weight} {@code [out_l, in_l]} and {@code layers.<l>.bias} {@code [out_l]}.
 *
 * <p>Type {@value #GRAPH} ({@link LayerGraph}):
 * {@code {"type":"graph","input":[1,28,28],"classes":10,"output":"softmax-cross-entropy","blocks":[{"name":"conv1",
 * "layers":[{"kind":"conv2d","name":"conv1","in":1,"out":8,"kernel":3,"stride":1,"padding":1},{"kind":"act",
 * "function":"relu"}, ...]}, ...]}}, every layer an object with its {@code kind} and that kind's fields
 * ({@link #LAYER_FIELDS}; a residual's {@code body} is a list of layers), tensors named as the graph names them, in
 * the graph's flat layout order and shapes ({@link org.forward4j.estimator.graph.ParameterSpec}).
 *
 * <p>Fields are checked strictly (an unknown field or layer kind is an error, not ignored) because a field this
 * reader does not know could change what the weights compute. A reader that meets a type it does not know refuses
 * the file with one message naming the type, instead of misreading its tensors.
 */
final class Architecture {

    /** The type of multi-layer perceptrons. */
    static final String MLP = "mlp";

    /** The type of layer-graph models (convolutions, attention, ...). */
    static final String GRAPH = "graph";

    /** The types this version reads. */
    static final List<String> SUPPORTED = List.of(MLP, GRAPH);

    private static final Set<String> GRAPH_FIELDS = Set.of("type", "input", "classes", "output", "blocks");

    /** The fields of each layer kind, {@code kind} included: exactly these, no more and no fewer. */
    static final Map<String, List<String>> LAYER_FIELDS = layerFields();

    private static Map<String, List<String>> layerFields() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("linear", List.of("name", "in", "out"));
        m.put("conv2d", List.of("name", "in", "out", "kernel", "stride", "padding"));
        m.put("pool2d", List.of("mode", "kernel", "stride"));
        m.put("flatten", List.of());
        m.put("layernorm", List.of("name", "dim"));
        m.put("act", List.of("function"));
        m.put("patch-embed", List.of("name", "channels", "patch", "dim"));
        m.put("class-token", List.of("name", "dim"));
        m.put("position-embed", List.of("name", "tokens", "dim"));
        m.put("attention", List.of("name", "dim", "heads"));
        m.put("token-pool", List.of("mode"));
        m.put("residual", List.of("body"));
        return Collections.unmodifiableMap(m);
    }

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
     * The architecture JSON of a layer graph.
     *
     * @param graph the graph
     * @return the JSON object, compact, fields in a fixed order (the same graph gives the same string)
     */
    static String toJson(LayerGraph graph) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("type", GRAPH);
        ArrayNode input = o.putArray("input");
        for (int d : graph.input().dims()) {
            input.add(d);
        }
        o.put("classes", graph.classes());
        o.put("output", SOFTMAX_CROSS_ENTROPY);
        ArrayNode blocks = o.putArray("blocks");
        for (Block b : graph.blocks()) {
            ObjectNode bo = blocks.addObject();
            bo.put("name", b.name());
            ArrayNode layers = bo.putArray("layers");
            for (Layer l : b.layers()) {
                layer(l, layers.addObject());
            }
        }
        try {
            return Json.MAPPER.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + graph, e);
        }
    }

    private static void layer(Layer l, ObjectNode o) {
        if (l instanceof Layer.Linear x) {
            o.put("kind", "linear").put("name", x.name()).put("in", x.in()).put("out", x.out());
        } else if (l instanceof Layer.Conv2d x) {
            o.put("kind", "conv2d").put("name", x.name()).put("in", x.in()).put("out", x.out())
                    .put("kernel", x.kernel()).put("stride", x.stride()).put("padding", x.padding());
        } else if (l instanceof Layer.Pool2d x) {
            o.put("kind", "pool2d").put("mode", lower(x.kind())).put("kernel", x.kernel()).put("stride", x.stride());
        } else if (l instanceof Layer.Flatten) {
            o.put("kind", "flatten");
        } else if (l instanceof Layer.LayerNorm x) {
            o.put("kind", "layernorm").put("name", x.name()).put("dim", x.dim());
        } else if (l instanceof Layer.Act x) {
            o.put("kind", "act").put("function", lower(x.fn()));
        } else if (l instanceof Layer.PatchEmbed x) {
            o.put("kind", "patch-embed").put("name", x.name()).put("channels", x.channels()).put("patch", x.patch())
                    .put("dim", x.dim());
        } else if (l instanceof Layer.ClassToken x) {
            o.put("kind", "class-token").put("name", x.name()).put("dim", x.dim());
        } else if (l instanceof Layer.PositionEmbed x) {
            o.put("kind", "position-embed").put("name", x.name()).put("tokens", x.tokens()).put("dim", x.dim());
        } else if (l instanceof Layer.Attention x) {
            o.put("kind", "attention").put("name", x.name()).put("dim", x.dim()).put("heads", x.heads());
        } else if (l instanceof Layer.TokenPool x) {
            o.put("kind", "token-pool").put("mode", lower(x.kind()));
        } else {
            o.put("kind", "residual");
            ArrayNode body = o.putArray("body");
            for (Layer inner : ((Layer.Residual) l).body()) {
                layer(inner, body.addObject());
            }
        }
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    /**
     * The tensors a layer graph stores: every parameter tensor in the flat layout's order, named and shaped as the
     * graph's {@link org.forward4j.estimator.graph.ParameterSpec}s say, so the data section is the flat vector.
     *
     * @param graph the graph
     * @return the tensors
     */
    static List<Tensor> tensors(LayerGraph graph) {
        List<Tensor> out = new ArrayList<>(graph.tensors().size());
        for (LayerGraph.Tensor t : graph.tensors()) {
            int[] shape = t.spec().shape();
            long[] s = new long[shape.length];
            for (int i = 0; i < shape.length; i++) {
                s[i] = shape[i];
            }
            out.add(new Tensor(t.name(), s, t.offset(), t.size()));
        }
        return out;
    }

    /**
     * A parsed architecture.
     *
     * @param graph the model as a layer graph (an MLP's is {@link LayerGraph#mlp})
     * @param network the MLP when the type is {@code mlp}, else null
     */
    record Parsed(LayerGraph graph, DenseNetwork network) {

        /**
         * The model in words, for messages.
         *
         * @return the MLP's or the graph's description
         */
        String describe() {
            return network != null ? network.toString() : graph.toString();
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
     * Parses an architecture JSON of any type this version reads.
     *
     * @param json the {@code architecture} metadata value
     * @return the model it describes
     * @throws IllegalArgumentException with the problem (the caller names the file): not JSON, an unknown type or
     *     layer kind, a missing, unknown or invalid field, shapes that do not fit, or a model too large for one
     *     parameter array
     */
    static Parsed parse(String json) {
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
        if (type.asText().equals(GRAPH)) {
            return new Parsed(parseGraph(root), null);
        }
        if (!type.asText().equals(MLP)) {
            throw new IllegalArgumentException("architecture type '" + type.asText() + "' is not supported by "
                    + "this forward4j (it reads " + SUPPORTED + "); read it with the forward4j version that wrote it "
                    + "or a newer one");
        }
        DenseNetwork network = parseMlp(root);
        return new Parsed(LayerGraph.mlp(network), network);
    }

    private static LayerGraph parseGraph(JsonNode root) {
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String f = names.next();
            if (!GRAPH_FIELDS.contains(f)) {
                throw new IllegalArgumentException("the graph architecture has the unknown field \"" + f
                        + "\" (known: type, input, classes, output, blocks)");
            }
        }
        JsonNode input = root.get("input");
        if (input == null || !input.isArray() || input.size() < 1 || input.size() > 3) {
            throw new IllegalArgumentException("the graph architecture needs \"input\", the shape of one row: "
                    + "[C, H, W] for images, [T, D] for tokens or [D] for vectors; got " + input);
        }
        int[] dims = new int[input.size()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = positive(input.get(i), "the graph architecture's input " + input);
        }
        int classes = positive(root.get("classes"), "the graph architecture's \"classes\"");
        JsonNode output = root.get("output");
        if (output == null || !output.isTextual() || !output.asText().equals(SOFTMAX_CROSS_ENTROPY)) {
            throw new IllegalArgumentException("the graph architecture has output " + output + "; this forward4j "
                    + "reads only \"" + SOFTMAX_CROSS_ENTROPY + "\"");
        }
        JsonNode blocksNode = root.get("blocks");
        if (blocksNode == null || !blocksNode.isArray() || blocksNode.isEmpty()) {
            throw new IllegalArgumentException("the graph architecture needs \"blocks\", a non-empty array of "
                    + "{\"name\": ..., \"layers\": [...]}, got " + abbreviate(String.valueOf(blocksNode)));
        }
        List<Block> blocks = new ArrayList<>();
        for (int b = 0; b < blocksNode.size(); b++) {
            JsonNode bn = blocksNode.get(b);
            String where = "block " + b;
            if (bn == null || !bn.isObject()) {
                throw new IllegalArgumentException(where + " of the graph architecture is not an object");
            }
            for (Iterator<String> names = bn.fieldNames(); names.hasNext(); ) {
                String f = names.next();
                if (!f.equals("name") && !f.equals("layers")) {
                    throw new IllegalArgumentException(where + " has the unknown field \"" + f
                            + "\" (known: name, layers)");
                }
            }
            JsonNode name = bn.get("name");
            if (name == null || !name.isTextual() || name.asText().isBlank()) {
                throw new IllegalArgumentException(where + " needs a \"name\" string");
            }
            where = "block '" + name.asText() + "'";
            JsonNode layers = bn.get("layers");
            if (layers == null || !layers.isArray() || layers.isEmpty()) {
                throw new IllegalArgumentException(where + " needs \"layers\", a non-empty array of layers");
            }
            blocks.add(new Block(name.asText(), layers(layers, where)));
        }
        try {
            return new LayerGraph(new Shape(dims), blocks, classes);
        } catch (InvalidConfigurationException | IllegalArgumentException e) {
            throw new IllegalArgumentException("the graph architecture does not fit together: " + e.getMessage());
        }
    }

    private static List<Layer> layers(JsonNode array, String where) {
        List<Layer> out = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            out.add(layer(array.get(i), where + ", layer " + i));
        }
        return out;
    }

    private static Layer layer(JsonNode n, String where) {
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException(where + " is not an object");
        }
        JsonNode kindNode = n.get("kind");
        if (kindNode == null || !kindNode.isTextual()) {
            throw new IllegalArgumentException(where + " has no \"kind\" string (one of " + LAYER_FIELDS.keySet()
                    + ")");
        }
        String kind = kindNode.asText();
        List<String> fields = LAYER_FIELDS.get(kind);
        if (fields == null) {
            throw new IllegalArgumentException(where + " is of kind '" + kind + "', which this forward4j does not know"
                    + org.forward4j.plugin.Suggestions.hint(kind, LAYER_FIELDS.keySet()) + " (it reads "
                    + LAYER_FIELDS.keySet() + ")");
        }
        for (Iterator<String> names = n.fieldNames(); names.hasNext(); ) {
            String f = names.next();
            if (!f.equals("kind") && !fields.contains(f)) {
                throw new IllegalArgumentException(where + " (" + kind + ") has the unknown field \"" + f
                        + "\" (known: " + String.join(", ", fields) + ")");
            }
        }
        for (String f : fields) {
            if (!n.has(f)) {
                throw new IllegalArgumentException(where + " (" + kind + ") has no \"" + f + "\" (it needs "
                        + String.join(", ", fields) + ")");
            }
        }
        String w = where + " (" + kind + ")";
        return switch (kind) {
            case "linear" -> new Layer.Linear(name(n, w), positive(n.get("in"), w + " in"),
                    positive(n.get("out"), w + " out"));
            case "conv2d" -> new Layer.Conv2d(name(n, w), positive(n.get("in"), w + " in"),
                    positive(n.get("out"), w + " out"), positive(n.get("kernel"), w + " kernel"),
                    positive(n.get("stride"), w + " stride"), nonNegative(n.get("padding"), w + " padding"));
            case "pool2d" -> new Layer.Pool2d(choice(n.get("mode"), Layer.Pool2d.Kind.class, w + " mode"),
                    positive(n.get("kernel"), w + " kernel"), positive(n.get("stride"), w + " stride"));
            case "flatten" -> new Layer.Flatten();
            case "layernorm" -> new Layer.LayerNorm(name(n, w), positive(n.get("dim"), w + " dim"));
            case "act" -> new Layer.Act(choice(n.get("function"), Layer.Act.Fn.class, w + " function"));
            case "patch-embed" -> new Layer.PatchEmbed(name(n, w), positive(n.get("channels"), w + " channels"),
                    positive(n.get("patch"), w + " patch"), positive(n.get("dim"), w + " dim"));
            case "class-token" -> new Layer.ClassToken(name(n, w), positive(n.get("dim"), w + " dim"));
            case "position-embed" -> new Layer.PositionEmbed(name(n, w), positive(n.get("tokens"), w + " tokens"),
                    positive(n.get("dim"), w + " dim"));
            case "attention" -> new Layer.Attention(name(n, w), positive(n.get("dim"), w + " dim"),
                    positive(n.get("heads"), w + " heads"));
            case "token-pool" -> new Layer.TokenPool(choice(n.get("mode"), Layer.TokenPool.Kind.class, w + " mode"));
            default -> {
                JsonNode body = n.get("body");
                if (!body.isArray() || body.isEmpty()) {
                    throw new IllegalArgumentException(w + " needs \"body\", a non-empty array of layers");
                }
                yield new Layer.Residual(layers(body, where + " body"));
            }
        };
    }

    private static String name(JsonNode n, String where) {
        JsonNode v = n.get("name");
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException(where + " needs a non-empty \"name\" string, got " + v);
        }
        return v.asText();
    }

    private static int positive(JsonNode v, String what) {
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 1) {
            throw new IllegalArgumentException(what + " must be a positive integer, got " + v);
        }
        return v.intValue();
    }

    private static int nonNegative(JsonNode v, String what) {
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
            throw new IllegalArgumentException(what + " must be a non-negative integer, got " + v);
        }
        return v.intValue();
    }

    private static <E extends Enum<E>> E choice(JsonNode v, Class<E> type, String what) {
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            names.add(lower(e));
            if (v != null && v.isTextual() && lower(e).equals(v.asText())) {
                return e;
            }
        }
        throw new IllegalArgumentException(what + " is " + v + "; expected one of " + names);
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
