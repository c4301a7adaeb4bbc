package org.forward4j.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.graph.Block;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.graph.Layer;
import org.forward4j.estimator.graph.LayerGraph;
import org.forward4j.estimator.graph.Shape;
import org.forward4j.estimator.graph.Trainable;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.InvalidDataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Layer-graph models in model files (architecture type {@code graph}): exact round trips of the presets, every layer
 * kind in the architecture JSON, PyTorch tensor layouts, and one clear message for what cannot be read.
 */
class GraphModelFileTest {

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"cnn", "vit"})
    void presetsRoundTripBitForBitAndEvaluateIdentically(String preset, @TempDir Path dir) throws Exception {
        LayerGraph g = Graphs.preset(preset, 10);
        float[] p = Graphs.initialParameters(g, 7);
        float[] noise = new float[p.length];
        new NoiseStream(3, 0, 0, 0).fill(NoiseStream.Distribution.GAUSSIAN, noise, 0, p.length, 0);
        for (int i = 0; i < p.length; i++) {
            p[i] += 0.01f * noise[i];
        }
        Path f = dir.resolve(ModelFile.FILE_NAME);
        ModelFile.write(f, g, p, Map.of("dataset", "fashion-mnist", "test_accuracy", "0.5"));
        Model m = ModelFile.read(f);
        assertThat(m.isMlp()).isFalse();
        assertThat(m.network()).isNull();
        assertThat(bits(m.parameters())).isEqualTo(bits(p));
        assertThat(Graphs.toJson(m.graph())).isEqualTo(Graphs.toJson(g));
        assertThat(m.graph().blocks()).isEqualTo(g.blocks());
        assertThat(m.graph().input()).isEqualTo(g.input());
        assertThat(m).isEqualTo(new Model(g, p.clone(), m.metadata()));
        assertThat(m.metadata()).containsEntry("dataset", "fashion-mnist").containsEntry("architecture",
                Graphs.toJson(g));
        assertThat(m.toString()).contains(g.toString());

        float[] x = new float[6 * 784];
        new NoiseStream(4, 0, 0, 0).fill(NoiseStream.Distribution.GAUSSIAN, x, 0, x.length, 0);
        int[] y = {0, 1, 2, 3, 4, 5};
        GraphObjective before = GraphObjective.of(g, p, Trainable.select("all", g), x, y);
        GraphObjective after = GraphObjective.of(m.graph(), m.parameters(), Trainable.select("all", m.graph()), x,
                y);
        assertThat(Networks.metrics(after, after.initial())).isEqualTo(Networks.metrics(before, before.initial()));

        // tensors by the graph's names, in layout order, in PyTorch's shapes; the data section is the flat vector
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
        List<String> names = new ArrayList<>();
        header.fieldNames().forEachRemaining(names::add);
        List<String> want = new ArrayList<>();
        want.add("__metadata__");
        g.tensors().forEach(t -> want.add(t.name()));
        assertThat(names).containsExactlyElementsOf(want);
        for (LayerGraph.Tensor t : g.tensors()) {
            JsonNode e = header.get(t.name());
            assertThat(e.get("data_offsets").get(0).asLong()).isEqualTo(4L * t.offset());
            assertThat(e.get("dtype").asText()).isEqualTo("F32");
        }
        if (preset.equals("cnn")) {
            assertThat(header.get("conv2.weight").get("shape").toString()).isEqualTo("[16,8,3,3]");
            assertThat(header.get("fc.weight").get("shape").toString()).isEqualTo("[64,784]");
            assertThat(header.get("head.bias").get("shape").toString()).isEqualTo("[10]");
        } else {
            assertThat(header.get("blocks.1.attn.q.weight").get("shape").toString()).isEqualTo("[32,32]");
            assertThat(header.get("embed.weight").get("shape").toString()).isEqualTo("[32,49]");
            assertThat(header.get("pos.embedding").get("shape").toString()).isEqualTo("[17,32]");
            assertThat(header.get("cls.token").get("shape").toString()).isEqualTo("[32]");
        }
        assertThat((long) bytes.length).isEqualTo(8 + n + 4L * g.parameterCount());
    }

    /** Every kind and option survives JSON: a graph using all of them reads back equal. */
    @Test
    void everyLayerKindRoundTripsThroughTheArchitectureJson() {
        LayerGraph g = new LayerGraph(Shape.image(2, 8, 8), List.of(
                new Block("conv", List.of(new Layer.Conv2d("c", 2, 4, 3, 2, 1), new Layer.Act(Layer.Act.Fn.RELU),
                        new Layer.Pool2d(Layer.Pool2d.Kind.MAX, 2, 1), new Layer.Pool2d(Layer.Pool2d.Kind.AVG, 1, 1))),
                new Block("flat", List.of(new Layer.Flatten(), new Layer.Linear("fc", 36, 6),
                        new Layer.LayerNorm("ln", 6), new Layer.Act(Layer.Act.Fn.TANH),
                        new Layer.Linear("fc2", 6, 3)))), 3);
        LayerGraph back = Graphs.fromJson(Graphs.toJson(g));
        assertThat(back.blocks()).isEqualTo(g.blocks());
        assertThat(back.input()).isEqualTo(g.input());
        LayerGraph vit = Graphs.vit(Shape.image(1, 4, 4), 2, 4, 1, 2, 3);
        LayerGraph mean = new LayerGraph(Shape.tokens(3, 4), List.of(new Block("b", List.of(
                new Layer.Residual(List.of(new Layer.Attention("a", 4, 2), new Layer.Act(Layer.Act.Fn.GELU))),
                new Layer.TokenPool(Layer.TokenPool.Kind.MEAN), new Layer.Linear("h", 4, 2)))), 2);
        for (LayerGraph x : List.of(vit, mean)) {
            LayerGraph y = Graphs.fromJson(Graphs.toJson(x));
            assertThat(y.blocks()).isEqualTo(x.blocks());
            assertThat(y.classes()).isEqualTo(x.classes());
            assertThat(Graphs.toJson(y)).isEqualTo(Graphs.toJson(x));
        }
        assertThat(Graphs.toJson(mean)).isEqualTo("{\"type\":\"graph\",\"input\":[3,4],\"classes\":2,"
                + "\"output\":\"softmax-cross-entropy\",\"blocks\":[{\"name\":\"b\",\"layers\":[{\"kind\":\"residual\","
                + "\"body\":[{\"kind\":\"attention\",\"name\":\"a\",\"dim\":4,\"heads\":2},{\"kind\":\"act\","
                + "\"function\":\"gelu\"}]},{\"kind\":\"token-pool\",\"mode\":\"mean\"},{\"kind\":\"linear\","
                + "\"name\":\"h\",\"in\":4,\"out\":2}]}]}");
    }

    @Test
    void mlpFilesStayMlpsAndAreGraphsToo(@TempDir Path dir) {
        DenseNetwork net = new DenseNetwork(new int[] {5, 4, 3}, Activation.TANH);
        float[] p = new float[net.dimension()];
        new NoiseStream(5, 0, 0, 0).fill(NoiseStream.Distribution.GAUSSIAN, p, 0, p.length, 0);
        Path f = dir.resolve(ModelFile.FILE_NAME);
        ModelFile.write(f, net, p, Map.of());
        Model m = ModelFile.read(f);
        assertThat(m.isMlp()).isTrue();
        assertThat(m.network()).isEqualTo(net);
        assertThat(m.graph().blocks()).isEqualTo(LayerGraph.mlp(net).blocks());
        assertThat(m.metadata().get("architecture")).startsWith("{\"type\":\"mlp\"");
        assertThat(Graphs.fromJson(m.metadata().get("architecture")).blocks()).isEqualTo(m.graph().blocks());
    }

    private static Path cnnFile(Path dir) {
        LayerGraph g = Graphs.cnn(Shape.image(1, 8, 8), 2, 5, 3);
        Path f = dir.resolve(ModelFile.FILE_NAME);
        ModelFile.write(f, g, Graphs.initialParameters(g, 1), Map.of());
        return f;
    }

    /** Rewrites the architecture string in the header (re-padded, new length prefix), keeping the data bytes. */
    private static void editArchitecture(Path f, UnaryOperator<String> edit) throws Exception {
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectMapper mapper = new ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode header = (com.fasterxml.jackson.databind.node.ObjectNode)
                mapper.readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
        com.fasterxml.jackson.databind.node.ObjectNode meta = (com.fasterxml.jackson.databind.node.ObjectNode)
                header.get("__metadata__");
        meta.put("architecture", edit.apply(meta.get("architecture").asText()));
        byte[] h = mapper.writeValueAsBytes(header);
        ByteBuffer out = ByteBuffer.allocate(8 + h.length + bytes.length - 8 - (int) n).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h).put(bytes, 8 + (int) n, bytes.length - 8 - (int) n);
        Files.write(f, out.array());
    }

    private static void assertRejected(Path f, String fragment) {
        assertThatThrownBy(() -> ModelFile.read(f)).isInstanceOf(InvalidDataException.class)
                .hasMessageStartingWith("Cannot read model file " + f + ": ")
                .hasMessageContaining(fragment);
    }

    @Test
    void unknownKindsFieldsAndMisfitsAreOneClearMessage(@TempDir Path dir) throws Exception {
        Path f = cnnFile(dir);
        editArchitecture(f, a -> a.replace("{\"kind\":\"act\",\"function\":\"relu\"}", "{\"kind\":\"dropout\"}"));
        assertRejected(f, "block 'conv1', layer 1 is of kind 'dropout', which this forward4j does not know (it reads "
                + "[linear, conv2d, pool2d, flatten, layernorm, act, patch-embed, class-token, position-embed, "
                + "attention, token-pool, residual])");
        f = cnnFile(dir);
        editArchitecture(f, a -> a.replace("\"kind\":\"linear\"", "\"kind\":\"linaer\""));
        assertRejected(f, "is of kind 'linaer', which this forward4j does not know (did you mean 'linear'?)");
        f = cnnFile(dir);
        editArchitecture(f, a -> a.replace("\"padding\":1", "\"padding\":1,\"dilation\":2"));
        assertRejected(f, "block 'conv1', layer 0 (conv2d) has the unknown field \"dilation\" (known: name, in, out, "
                + "kernel, stride, padding)");
        f = cnnFile(dir);
        editArchitecture(f, a -> a.replace(",\"stride\":1,\"padding\":1", ",\"padding\":1"));
        assertRejected(f, "(conv2d) has no \"stride\"");
        f = cnnFile(dir);
        editArchitecture(f, a -> a.replace("\"function\":\"relu\"", "\"function\":\"swish\""));
        assertRejected(f, "function is \"swish\"; expected one of [relu, tanh, gelu]");
        f = cnnFile(dir);
        editArchitecture(f, a -> a.replace("\"in\":1,", "\"in\":3,"));
        assertRejected(f, "the graph architecture does not fit together: Block 'conv1': conv2d 'conv1' (3 -> 2, "
                + "kernel 3, stride 1, padding 1) cannot take input [1, 8, 8]");
        f = cnnFile(dir);
        editArchitecture(f, a -> a.replace("\"out\":5", "\"out\":6").replace("\"in\":5", "\"in\":6"));
        assertRejected(f, "tensor \"fc.weight\" has shape [5, 16] but the architecture graph [1, 8, 8] -> 4 blocks "
                + "-> 3 classes (219 parameters) needs [6, 16]");
        f = cnnFile(dir);
        editArchitecture(f, a -> a.replace("\"classes\":3,", ""));
        assertRejected(f, "the graph architecture's \"classes\" must be a positive integer, got null");
        f = cnnFile(dir);
        editArchitecture(f, a -> a.replace("\"blocks\":", "\"layers\":[],\"blocks\":"));
        assertRejected(f, "the graph architecture has the unknown field \"layers\"");
    }

    @Test
    void architectureFilesAreReadWithTheFileNamed(@TempDir Path dir) throws Exception {
        LayerGraph g = Graphs.preset("vit", 10);
        Path f = dir.resolve("vit.json");
        Files.writeString(f, Graphs.toJson(g));
        assertThat(Graphs.read(f).blocks()).isEqualTo(g.blocks());
        assertThatThrownBy(() -> Graphs.read(dir.resolve("none.json")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Model architecture file " + dir.resolve("none.json") + " does not exist");
        Files.writeString(f, "{\"type\":\"graph\"");
        assertThatThrownBy(() -> Graphs.read(f)).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("Model architecture file " + f + ": the architecture is not valid JSON");
        assertThatThrownBy(() -> Graphs.fromJson("[]")).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("Invalid architecture: the architecture must be a JSON object");
    }
}
