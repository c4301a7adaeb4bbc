package org.forward4j.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.forward4j.backend.Backend;
import org.forward4j.core.Forward4j;
import org.forward4j.core.train.Trainer;
import org.forward4j.core.train.TrainingResult;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.EvaluationMetrics;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.InvalidDataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model files: exact round trips, the safetensors layout byte for byte, and one clear error for every bad file. */
class ModelFileTest {

    private static final DenseNetwork SMALL = new DenseNetwork(new int[] {4, 3, 2}, Activation.TANH);

    /** Every float a file must keep bit for bit: signed zeros, subnormals, extremes, infinities, a NaN payload. */
    private static float[] awkwardParameters(DenseNetwork net) {
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE,
            -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x7fc12345),
            Float.intBitsToFloat(0xffa00001), 1f / 3, (float) Math.PI, -1e-30f};
        float[] p = new float[net.dimension()];
        for (int i = 0; i < p.length; i++) {
            p[i] = i < special.length ? special[i] : (i * 0.37f - 3f);
        }
        return p;
    }

    private static Map<String, String> meta() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("estimator", "lr");
        m.put("seed", "7");
        m.put("note", "quotes \" and backslashes \\ and unicode \u00e9\u4e2d\ud83d\ude00 survive");
        return m;
    }

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }

    @Test
    void roundTripKeepsEveryFloatBitAndTheMetadata(@TempDir Path dir) {
        float[] p = awkwardParameters(SMALL);
        Path f = dir.resolve("nested/deeper").resolve(ModelFile.FILE_NAME);
        ModelFile.write(f, SMALL, p, meta());
        Model m = ModelFile.read(f);
        assertThat(m.network()).isEqualTo(SMALL);
        assertThat(bits(m.parameters())).isEqualTo(bits(p));
        assertThat(m.metadata()).containsAllEntriesOf(meta());
        assertThat(m.metadata()).containsEntry("format", "forward4j-model").containsEntry("format_version", "1")
                .containsEntry("architecture", "{\"type\":\"mlp\",\"sizes\":[4,3,2],\"activation\":\"tanh\","
                        + "\"output\":\"softmax-cross-entropy\"}");
        assertThat(m.metadata().get("forward4j_version")).as("filled in by the build").matches("\\d+\\.\\d+.*");
        assertThat(new ArrayList<>(m.metadata().keySet())).as("reserved keys first, then the caller's in order")
                .containsExactly("format", "format_version", "architecture", "forward4j_version", "estimator", "seed",
                        "note");
        assertThat(dir.resolve("nested/deeper")).isDirectoryNotContaining("glob:**.tmp");
    }

    @Test
    void aSeededMlpRoundTripsAndEvaluatesIdentically(@TempDir Path dir) {
        DenseNetwork net = Mlp.network(784, new int[] {64, 32}, 10, Activation.RELU);
        float[] p = Mlp.initialParameters(net, 3);
        Path f = dir.resolve(ModelFile.FILE_NAME);
        ModelFile.write(f, net, p, Map.of());
        Model m = ModelFile.read(f);
        assertThat(m).isEqualTo(new Model(net, p.clone(), m.metadata()));
        float[] x = new float[20 * 784];
        new NoiseStream(9, 0, 0, 0).fill(NoiseStream.Distribution.GAUSSIAN, x, 0, x.length, 0);
        int[] y = new int[20];
        Arrays.setAll(y, i -> i % 10);
        NetworkObjective data = Networks.objective(m.network(), x, y);
        assertThat(Networks.metrics(data, m.parameters())).isEqualTo(Networks.metrics(data, p));
        assertThat(m.toString()).contains("784-64-32-10", Integer.toString(net.dimension())).hasSizeLessThan(300);
    }

    /**
     * The Java API path a library user takes: train, save, load, evaluate on the same backend; the loaded model
     * gives exactly the training run's last test loss and accuracy.
     */
    @Test
    void aTrainedModelLoadsBackToTheSameTestMetrics(@TempDir Path dir) {
        DenseNetwork net = Mlp.network(8, new int[] {6}, 3, Activation.TANH);
        NetworkObjective train = labelled(net, 96, 1);
        NetworkObjective test = labelled(net, 48, 2);
        Forward4j f4j = Forward4j.builder().environment(Map.of()).systemProperties(new Properties())
                .set("backend", "reference").set("estimator", "lr").set("batch-size", "16")
                .set("queries-per-point", "8").set("epochs", "2").set("learning-rate", "0.01").build();
        TrainingResult r;
        try (Trainer t = f4j.trainer(train, test, Mlp.initialParameters(net, 5))) {
            r = t.fit();
        }
        Path f = dir.resolve(ModelFile.FILE_NAME);
        ModelFile.write(f, net, r.parameters(), Map.of("test_accuracy", Double.toString(r.last().testAccuracy())));
        Model m = ModelFile.read(f);
        try (Backend backend = f4j.newBackend()) {
            EvaluationMetrics e = backend.evaluator(Networks.objective(m.network(), test.features(), test.labels()))
                    .evaluateClean(m.parameters());
            assertThat(e.accuracy()).isEqualTo(r.last().testAccuracy());
            assertThat(e.loss()).isEqualTo(r.last().testLoss());
        }
    }

    private static NetworkObjective labelled(DenseNetwork net, int n, int seed) {
        float[] x = new float[n * 8];
        new NoiseStream(seed, 0, 1, 0).fill(NoiseStream.Distribution.GAUSSIAN, x, 0, x.length, 0);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            double a = x[i * 8] + x[i * 8 + 1] - x[i * 8 + 2];
            y[i] = a < -0.5 ? 0 : a < 0.5 ? 1 : 2;
        }
        return Networks.objective(net, x, y);
    }

    /**
     * Reads the file the way the safetensors specification describes it, with no forward4j code: the u64 header
     * length, the JSON header, then every tensor's little-endian bytes at its offsets.
     */
    @Test
    void theFileIsSafetensorsByteForByte(@TempDir Path dir) throws Exception {
        DenseNetwork net = new DenseNetwork(new int[] {5, 4, 3, 2}, Activation.RELU);
        float[] p = new float[net.dimension()];
        new NoiseStream(1, 0, 0, 0).fill(NoiseStream.Distribution.GAUSSIAN, p, 0, p.length, 0);
        Path f = dir.resolve(ModelFile.FILE_NAME);
        ModelFile.write(f, net, p, Map.of("seed", "1"));
        byte[] bytes = Files.readAllBytes(f);

        long n = 0;
        for (int i = 7; i >= 0; i--) {
            n = (n << 8) | (bytes[i] & 0xFF);
        }
        assertThat((8 + n) % 8).as("the data starts 8-byte aligned").isZero();
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertThat(header).startsWith("{");
        assertThat(header.substring(header.lastIndexOf('}') + 1)).as("padding").matches(" *");
        JsonNode root = new ObjectMapper().readTree(header);
        List<String> names = new ArrayList<>();
        root.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactly("__metadata__", "layers.0.weight", "layers.0.bias", "layers.1.weight",
                "layers.1.bias", "layers.2.weight", "layers.2.bias");
        JsonNode meta = root.get("__metadata__");
        for (Iterator<JsonNode> it = meta.elements(); it.hasNext(); ) {
            assertThat(it.next().isTextual()).as("metadata values are strings").isTrue();
        }
        assertThat(meta.get("format").asText()).isEqualTo("forward4j-model");
        assertThat(meta.get("format_version").asText()).isEqualTo("1");
        assertThat(new ObjectMapper().readTree(meta.get("architecture").asText()).toString())
                .isEqualTo("{\"type\":\"mlp\",\"sizes\":[5,4,3,2],\"activation\":\"relu\","
                        + "\"output\":\"softmax-cross-entropy\"}");
        long expectedBegin = 0;
        for (int l = 0; l < net.layers(); l++) {
            int in = net.in(l);
            int out = net.out(l);
            JsonNode w = root.get("layers." + l + ".weight");
            assertThat(w.get("dtype").asText()).isEqualTo("F32");
            assertThat(w.get("shape").toString()).isEqualTo("[" + out + "," + in + "]");
            assertThat(w.get("data_offsets").get(0).asLong()).isEqualTo(expectedBegin);
            assertThat(w.get("data_offsets").get(1).asLong()).isEqualTo(expectedBegin + 4L * out * in);
            int base = (int) (8 + n + expectedBegin);
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    assertThat(floatAt(bytes, base + 4 * (o * in + i))).as("W%d[%d][%d]", l, o, i)
                            .isEqualTo(p[net.weightOffset(l) + o * in + i]);
                }
            }
            expectedBegin += 4L * out * in;
            JsonNode b = root.get("layers." + l + ".bias");
            assertThat(b.get("shape").toString()).isEqualTo("[" + out + "]");
            assertThat(b.get("data_offsets").get(0).asLong()).isEqualTo(expectedBegin);
            for (int o = 0; o < out; o++) {
                assertThat(floatAt(bytes, (int) (8 + n + expectedBegin) + 4 * o)).isEqualTo(p[net.biasOffset(l) + o]);
            }
            expectedBegin += 4L * out;
        }
        assertThat((long) bytes.length).isEqualTo(8 + n + expectedBegin);
    }

    private static float floatAt(byte[] b, int at) {
        int bits = (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
        return Float.intBitsToFloat(bits);
    }

    // ---- rejected files ----

    private static Path valid(Path dir) {
        Path f = dir.resolve(ModelFile.FILE_NAME);
        ModelFile.write(f, SMALL, awkwardParameters(SMALL), Map.of("seed", "1"));
        return f;
    }

    /** Rewrites the header text (re-padded, new length prefix) and keeps the data bytes. */
    private static void editHeader(Path f, UnaryOperator<String> edit) throws Exception {
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8).strip();
        byte[] h = edit.apply(header).getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + h.length + bytes.length - 8 - (int) n).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h).put(bytes, 8 + (int) n, bytes.length - 8 - (int) n);
        Files.write(f, out.array());
    }

    private static void assertRejected(Path f, String... fragments) {
        assertThatThrownBy(() -> ModelFile.read(f)).isInstanceOf(InvalidDataException.class)
                .hasMessageStartingWith("Cannot read model file " + f + ": ")
                .hasMessageContainingAll(fragments);
    }

    @Test
    void missingFilesAndDirectoriesAreNamed(@TempDir Path dir) {
        assertRejected(dir.resolve("nope.safetensors"), "it does not exist");
        valid(dir);
        assertRejected(dir, "it is a directory; give the model file itself (" + dir.resolve(ModelFile.FILE_NAME) + ")");
    }

    @Test
    void damagedLengthPrefixesAreRejected(@TempDir Path dir) throws Exception {
        Path f = valid(dir);
        byte[] good = Files.readAllBytes(f);
        Files.write(f, new byte[] {1, 2, 3});
        assertRejected(f, "it is 3 bytes long, too short for a safetensors file");
        byte[] huge = good.clone();
        Arrays.fill(huge, 0, 8, (byte) 0xFF);
        Files.write(f, huge);
        assertRejected(f, "declare a header of 18446744073709551615 bytes", "not a safetensors file or it is damaged");
        Files.write(f, Arrays.copyOf(good, 40));
        assertRejected(f, "but only 32 bytes follow the length: the file is truncated");
        byte[] notJson = good.clone();
        notJson[8] = 'x';
        Files.write(f, notJson);
        assertRejected(f, "its header does not start with '{'");
    }

    @Test
    void truncatedOrPaddedDataIsRejected(@TempDir Path dir) throws Exception {
        Path f = valid(dir);
        byte[] good = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(good, good.length - 4));
        assertRejected(f, "the file is truncated: its header describes " + good.length + " bytes but it holds "
                + (good.length - 4));
        Files.write(f, Arrays.copyOf(good, good.length + 3));
        assertRejected(f, "it has 3 bytes after its last tensor");
    }

    @Test
    void brokenJsonIsOneMessageNotAJacksonTrace(@TempDir Path dir) throws Exception {
        Path f = valid(dir);
        editHeader(f, h -> h.replace("\"dtype\":\"F32\"", "\"dtype\":F32"));
        assertRejected(f, "its header is not valid JSON: ", "(at byte ");
        f = valid(dir);
        editHeader(f, h -> h.replace("}}", "}} trailing"));
        assertRejected(f, "its header is not valid JSON");
        f = valid(dir);
        editHeader(f, h -> h.replace("\"layers.0.bias\"", "\"layers.0.weight\""));
        assertRejected(f, "its header is not valid JSON", "Duplicate field 'layers.0.weight'");
        f = valid(dir);
        editHeader(f, h -> "[" + h + "]");
        assertRejected(f, "its header does not start with '{'");
    }

    @Test
    void wrongDtypeAndWrongShapeAreNamed(@TempDir Path dir) throws Exception {
        Path f = valid(dir);
        editHeader(f, h -> h.replaceFirst("\"F32\"", "\"F16\""));
        assertRejected(f, "tensor \"layers.0.weight\" has dtype F16; forward4j models hold F32 tensors only");
        f = valid(dir);
        editHeader(f, h -> h.replace("\"shape\":[3,4]", "\"shape\":[4,3]"));
        assertRejected(f, "tensor \"layers.0.weight\" has shape [4, 3] but the architecture mlp 4-3-2 (tanh) needs "
                + "[3, 4]");
        f = valid(dir);
        editHeader(f, h -> h.replace("\"shape\":[3,4]", "\"shape\":[3,-4]"));
        assertRejected(f, "the header entry of tensor \"layers.0.weight\" has the shape [3,-4]: dimensions must be "
                + "non-negative integers");
        f = valid(dir);
        editHeader(f, h -> h.replace("\"sizes\\\":[4,3,2]", "\"sizes\\\":[4,5,2]"));
        assertRejected(f, "tensor \"layers.0.weight\" has shape [3, 4] but the architecture mlp 4-5-2 (tanh) needs "
                + "[5, 4]");
    }

    @Test
    void offsetsMustTileTheData(@TempDir Path dir) throws Exception {
        Path f = valid(dir);
        editHeader(f, h -> h.replace("\"data_offsets\":[48,60]", "\"data_offsets\":[44,56]"));
        assertRejected(f, "the data of tensor \"layers.0.bias\" starts at byte 44 but tensor \"layers.0.weight\" ends "
                + "at byte 48: tensors must tile the data section without gaps or overlaps");
        f = valid(dir);
        editHeader(f, h -> h.replace("\"data_offsets\":[0,48]", "\"data_offsets\":[0,44]"));
        assertRejected(f, "tensor \"layers.0.weight\" spans bytes 0..44 (44 bytes) but its shape [3, 4] of F32 needs "
                + "48 bytes");
        f = valid(dir);
        editHeader(f, h -> h.replace("\"data_offsets\":[0,48]", "\"data_offsets\":[48,0]"));
        assertRejected(f, "has data_offsets [48,0]: they must be two non-negative integers, begin <= end");
    }

    @Test
    void tensorsInAnotherByteOrderStillLoad(@TempDir Path dir) throws Exception {
        // Other writers (Python's safetensors sorts by dtype and name) may order the data differently from the
        // header; the reader follows the offsets. Swap the data of layers.1.weight [2,3] and layers.1.bias [2].
        float[] p = awkwardParameters(SMALL);
        Path f = valid(dir);
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        int data = 8 + (int) n;
        byte[] swapped = bytes.clone();
        // layers.1.weight at [60,84), layers.1.bias at [84,92): bias first, then weight
        System.arraycopy(bytes, data + 84, swapped, data + 60, 8);
        System.arraycopy(bytes, data + 60, swapped, data + 68, 24);
        Files.write(f, swapped);
        editHeader(f, h -> h.replace("\"data_offsets\":[60,84]", "\"data_offsets\":[68,92]")
                .replace("\"data_offsets\":[84,92]", "\"data_offsets\":[60,68]"));
        assertThat(bits(ModelFile.read(f).parameters())).isEqualTo(bits(p));
    }

    @Test
    void otherFilesFormatsVersionsAndArchitecturesAreRefusedByName(@TempDir Path dir) throws Exception {
        Path f = valid(dir);
        editHeader(f, h -> {
            try {
                com.fasterxml.jackson.databind.node.ObjectNode root =
                        (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(h);
                root.remove("__metadata__");
                return root.toString();
            } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertRejected(f, "it is a safetensors file but not a forward4j model: its header has no __metadata__, not "
                + "format \"forward4j-model\"");
        f = valid(dir);
        editHeader(f, h -> h.replace("\"format\":\"forward4j-model\"", "\"format\":\"pt\""));
        assertRejected(f, "not a forward4j model: its metadata has format \"pt\", not format \"forward4j-model\"");
        f = valid(dir);
        editHeader(f, h -> h.replace("\"format_version\":\"1\"", "\"format_version\":\"2\""));
        assertRejected(f, "it has format_version \"2\"; this forward4j reads format_version \"1\"");
        f = valid(dir);
        editHeader(f, h -> h.replace("\"format_version\":\"1\"", "\"format_version\":1"));
        assertRejected(f, "its header's __metadata__ entry \"format_version\" is number, not a string");
        f = valid(dir);
        editHeader(f, h -> h.replace("{\\\"type\\\":\\\"mlp\\\",", "{\\\"type\\\":\\\"rnn\\\",\\\"layers\\\":[],"));
        assertRejected(f, "architecture type 'rnn' is not supported by this forward4j (it reads [mlp, graph])");
        f = valid(dir);
        editHeader(f, h -> h.replace("\\\"activation\\\":\\\"tanh\\\"", "\\\"activation\\\":\\\"gelu\\\""));
        assertRejected(f, "the mlp architecture has activation \"gelu\"; expected one of \"relu\", \"tanh\", "
                + "\"identity\"");
        f = valid(dir);
        editHeader(f, h -> h.replace("\\\"output\\\":", "\\\"dropout\\\":0.5,\\\"output\\\":"));
        assertRejected(f, "the mlp architecture has the unknown field \"dropout\"");
        f = valid(dir);
        editHeader(f, h -> h.replace("\"architecture\":", "\"architecturе\":"));
        assertRejected(f, "its metadata has no architecture");
        f = valid(dir);
        editHeader(f, h -> h.replace("\"architecture\":\"{", "\"architecture\":\"{{"));
        assertRejected(f, "the architecture is not valid JSON");
    }

    @Test
    void missingAndUnexpectedTensorsAreListed(@TempDir Path dir) throws Exception {
        Path f = valid(dir);
        editHeader(f, h -> h.replace("\"layers.1.bias\"", "\"layers.1.b\""));
        assertRejected(f, "its tensors do not match its architecture mlp 4-3-2 (tanh): missing [layers.1.bias], "
                + "unexpected [layers.1.b]");
    }

    /** Whatever bytes are damaged, reading either succeeds or throws one InvalidDataException: never anything else. */
    @Test
    void randomDamageNeverEscapesAsAnotherException(@TempDir Path dir) throws Exception {
        Path f = valid(dir);
        byte[] good = Files.readAllBytes(f);
        Random rnd = new Random(42);
        int loaded = 0;
        int rejected = 0;
        for (int trial = 0; trial < 3000; trial++) {
            byte[] bad = good.clone();
            switch (trial % 3) {
                case 0 -> bad[rnd.nextInt(bad.length)] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> bad = Arrays.copyOf(bad, rnd.nextInt(bad.length));
                default -> {
                    for (int k = 0; k < 4; k++) {
                        bad[rnd.nextInt(Math.min(bad.length, 8 + 300))] = (byte) rnd.nextInt(256);
                    }
                }
            }
            Files.write(f, bad);
            try {
                ModelFile.read(f);
                loaded++;
            } catch (InvalidDataException e) {
                assertThat(e.getMessage()).startsWith("Cannot read model file " + f + ": ");
                rejected++;
            }
        }
        assertThat(loaded).as("flips in the data section still load").isPositive();
        assertThat(rejected).isPositive();
    }

    // ---- writing ----

    @Test
    void writeRefusesParametersOfTheWrongLengthAndReservedKeys(@TempDir Path dir) {
        Path f = dir.resolve(ModelFile.FILE_NAME);
        assertThatThrownBy(() -> ModelFile.write(f, SMALL, new float[3], Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has 23 parameters, got 3");
        assertThatThrownBy(() -> ModelFile.write(f, SMALL, new float[23], Map.of("format", "mine")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key 'format' is reserved");
        assertThat(f).doesNotExist();
    }

    @Test
    void aFailedWriteLeavesTheOldFileInPlace(@TempDir Path dir) throws Exception {
        Path f = valid(dir);
        byte[] before = Files.readAllBytes(f);
        Path blocker = dir.resolve(ModelFile.FILE_NAME + ".tmp");
        Files.createDirectories(blocker.resolve("occupied"));
        assertThatThrownBy(() -> ModelFile.write(f, SMALL, new float[23], Map.of()))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("Could not write the model file " + f);
        assertThat(Files.readAllBytes(f)).isEqualTo(before);
        Files.delete(blocker.resolve("occupied"));
        Files.delete(blocker);
        ModelFile.write(f, SMALL, new float[23], Map.of());
        assertThat(ModelFile.read(f).parameters()).containsOnly(0f);
    }
}
