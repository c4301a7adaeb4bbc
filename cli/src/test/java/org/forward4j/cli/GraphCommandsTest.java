package org.forward4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.forward4j.cli.InProcessCli.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.forward4j.cli.InProcessCli.Call;
import org.forward4j.core.model.Graphs;
import org.forward4j.core.model.Model;
import org.forward4j.core.model.ModelFile;
import org.forward4j.estimator.graph.Block;
import org.forward4j.estimator.graph.Layer;
import org.forward4j.estimator.graph.LayerGraph;
import org.forward4j.estimator.graph.Shape;
import org.forward4j.estimator.graph.Trainable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layer graphs on the command line: {@code pretrain} (backprop) writes a model, {@code train --init --trainable
 * --shots} fine-tunes it forward-only and writes the whole model with the frozen tensors unchanged,
 * {@code train --model} trains a preset or an architecture file from scratch, {@code evaluate} reads graph models;
 * every user error is one {@code error:} line and exit status 2. Tiny sizes on the bundled MNIST; the graph runs use
 * the plain-Java {@code reference} backend.
 */
class GraphCommandsTest {

    @TempDir
    static Path dir;

    private static Path pretrained;

    /** The error lines of a failed call: exactly one, starting with "error: ". */
    private static String oneError(Call c) {
        assertThat(c.status()).as("exit status; out: %s err: %s", c.out(), c.err()).isEqualTo(2);
        List<String> lines = c.err().lines().filter(l -> l.startsWith("error:")).toList();
        assertThat(lines).as("error lines in %s", c.err()).hasSize(1);
        assertThat(c.err()).doesNotContain("\tat org.forward4j");
        return lines.get(0);
    }

    /** Pretraining the cnn preset for one epoch on 320 rows, tested on 100. */
    @BeforeAll
    static void pretrain() throws Exception {
        Path out = dir.resolve("pre");
        Call c = cli("pretrain", "--model", "cnn", "--train-limit", "320", "--test-limit", "100", "-e", "1", "-b", "32",
                "--lr", "3e-3", "--seed", "5", "-o", out.toString());
        assertThat(c.status()).as("pretrain: %s %s", c.out(), c.err()).isZero();
        pretrained = out.resolve(ModelFile.FILE_NAME);
        assertThat(c.out()).contains("forward4j pretrain: cnn: graph [1, 28, 28] -> 4 blocks -> 10 classes",
                "backprop (SameDiff)", "model written to " + pretrained);
    }

    @Test
    void pretrainWritesAGraphModelWithItsProvenanceAndResults() throws Exception {
        Model m = ModelFile.read(pretrained);
        assertThat(m.isMlp()).isFalse();
        assertThat(Graphs.toJson(m.graph())).isEqualTo(Graphs.toJson(Graphs.preset("cnn", 10)));
        assertThat(m.parameters()).isNotEqualTo(Graphs.initialParameters(m.graph(), 5));
        assertThat(m.metadata()).containsEntry("dataset", "mnist").containsEntry("epochs", "1")
                .containsEntry("trained_with", "backprop (SameDiff)").containsEntry("model", "cnn")
                .containsEntry("seed", "5").containsEntry("train_rows", "320").containsEntry("test_rows", "100")
                .containsKey("test_accuracy");
        JsonNode result = new ObjectMapper().readTree(pretrained.resolveSibling("result.json").toFile());
        assertThat(result.get("model").asText()).isEqualTo(ModelFile.FILE_NAME);
        assertThat(result.get("records")).hasSize(2);
        assertThat(result.get("steps").asLong()).isEqualTo(10);
        assertThat(result.get("trainingQueries").asLong()).as("backprop spends no forward4j queries").isZero();
        assertThat(result.get("provenance").get("trainer").asText()).isEqualTo("backprop (reference)");
        double accuracy = result.get("finalTestAccuracy").asDouble();
        assertThat(Double.toString(accuracy)).isEqualTo(m.metadata().get("test_accuracy"));
        // 1 epoch on 320 rows: well above the 10% of chance (100 test rows, SE about 5 points)
        assertThat(accuracy).as("seed 5").isGreaterThan(0.4);
        Call e = cli("evaluate", "-m", pretrained.toString(), "--limit", "100", "--backend", "reference");
        assertThat(e.status()).as(e.err()).isZero();
        assertThat(e.out()).contains(String.format(java.util.Locale.ROOT, "accuracy %.4f", accuracy));
    }

    @Test
    void fineTuningTheHeadOnShotsKeepsFrozenTensorsBitForBit() throws Exception {
        Path out = dir.resolve("ft");
        Call c = cli("train", "--init", pretrained.toString(), "--trainable", "head", "--shots", "4", "--estimator",
                "lr", "-q", "4", "-b", "8", "-e", "2", "--lr", "1e-2", "--test-limit", "100", "--backend", "reference",
                "--no-progress", "-o", out.toString());
        assertThat(c.status()).as("train: %s %s", c.out(), c.err()).isZero();
        assertThat(c.out()).contains("(40 train / 100 test rows)", "trainable=head: 650 of 52,138 parameters train "
                + "(head.weight, head.bias)");
        Model before = ModelFile.read(pretrained);
        Model after = ModelFile.read(out.resolve(ModelFile.FILE_NAME));
        assertThat(Graphs.toJson(after.graph())).isEqualTo(Graphs.toJson(before.graph()));
        boolean[] head = Trainable.select("head", before.graph());
        for (int t = 0; t < head.length; t++) {
            LayerGraph.Tensor tensor = before.graph().tensors().get(t);
            float[] a = Arrays.copyOfRange(before.parameters(), tensor.offset(), tensor.offset() + tensor.size());
            float[] b = Arrays.copyOfRange(after.parameters(), tensor.offset(), tensor.offset() + tensor.size());
            if (head[t]) {
                assertThat(b).as("%s trained", tensor.name()).isNotEqualTo(a);
            } else {
                assertThat(b).as("%s frozen", tensor.name()).containsExactly(a);
            }
        }
        assertThat(after.metadata()).containsEntry("model", "init:" + pretrained).containsEntry("trainable", "head")
                .containsEntry("shots", "4").containsEntry("shot_rows", "40").containsEntry("estimator", "lr");
        JsonNode result = new ObjectMapper().readTree(out.resolve("result.json").toFile());
        assertThat(result.get("data").get("shotRows").asInt()).isEqualTo(40);
        // 2 epochs of 5 steps, 4 queries per point of a batch of 8
        assertThat(result.get("trainingQueries").asLong()).isEqualTo(2L * 5 * 4 * 8);
        assertThat(result.get("config").get("forward4j.trainable").asText()).isEqualTo("head");
    }

    @Test
    void aPresetAndAnArchitectureFileTrainFromScratch() throws Exception {
        Path out = dir.resolve("vit");
        Call c = cli("train", "--model", "vit", "--estimator", "spsa", "-q", "4", "--train-limit", "64", "--test-limit",
                "40", "-e", "1", "-b", "16", "--backend", "reference", "--no-progress", "-o", out.toString());
        assertThat(c.status()).as("train: %s %s", c.out(), c.err()).isZero();
        Model m = ModelFile.read(out.resolve(ModelFile.FILE_NAME));
        assertThat(Graphs.toJson(m.graph())).isEqualTo(Graphs.toJson(Graphs.preset("vit", 10)));
        assertThat(m.metadata()).containsEntry("model", "vit").containsEntry("trainable", "all");

        LayerGraph small = new LayerGraph(Shape.image(1, 28, 28), List.of(
                new Block("pool", List.of(new Layer.Pool2d(Layer.Pool2d.Kind.AVG, 4, 4), new Layer.Flatten(),
                        new Layer.Linear("fc", 49, 16), new Layer.Act(Layer.Act.Fn.GELU))),
                new Block("head", List.of(new Layer.Linear("head", 16, 10)))), 10);
        Path json = dir.resolve("small.json");
        Files.writeString(json, Graphs.toJson(small));
        Path out2 = dir.resolve("small");
        c = cli("train", "--model", json.toString(), "--estimator", "lr", "-q", "4", "--train-limit", "64",
                "--test-limit", "40", "-e", "1", "-b", "16", "--backend", "reference", "--no-progress", "-o",
                out2.toString());
        assertThat(c.status()).as("train: %s %s", c.out(), c.err()).isZero();
        Model s = ModelFile.read(out2.resolve(ModelFile.FILE_NAME));
        assertThat(s.graph().blocks()).isEqualTo(small.blocks());
        assertThat(s.metadata()).containsEntry("model", json.toString());
    }

    /** An MLP with a selection trains as a graph of the MLP's layout and is still written as an MLP. */
    @Test
    void anMlpFineTunesItsHeadAndStaysAnMlp() throws Exception {
        Path out = dir.resolve("mlp-head");
        Call c = cli("train", "--hidden", "16", "--trainable", "head", "--estimator", "lr", "-q", "4", "--train-limit",
                "64", "--test-limit", "40", "-e", "1", "-b", "16", "--backend", "reference", "--no-progress", "-o",
                out.toString());
        assertThat(c.status()).as("train: %s %s", c.out(), c.err()).isZero();
        assertThat(c.out()).contains("trainable=head: 170 of 12,730 parameters train (layers.1.weight, "
                + "layers.1.bias)");
        Model m = ModelFile.read(out.resolve(ModelFile.FILE_NAME));
        assertThat(m.isMlp()).isTrue();
        assertThat(m.network().toString()).isEqualTo("mlp 784-16-10 (relu)");
        float[] init = org.forward4j.core.model.Mlp.initialParameters(m.network(), 1);
        int first = m.network().weightOffset(1);
        assertThat(Arrays.copyOf(m.parameters(), first)).as("layer 0 frozen").containsExactly(Arrays.copyOf(init,
                first));
        assertThat(Arrays.copyOfRange(m.parameters(), first, init.length)).as("the head trained")
                .isNotEqualTo(Arrays.copyOfRange(init, first, init.length));
    }

    @Test
    void userErrorsAreOneLine() throws Exception {
        assertThat(oneError(cli("pretrain", "-o", dir.resolve("x1").toString())))
                .isEqualTo("error: pretrain needs a layer graph: --model cnn, --model vit, --model FILE.json, or "
                        + "--init MODEL to continue from a model file");
        assertThat(oneError(cli("train", "--model", "cnnn", "-o", dir.resolve("x2").toString())))
                .contains("model=cnnn is neither a preset [cnn, vit] nor an architecture JSON file (FILE.json) (did "
                        + "you mean 'cnn'?)");
        assertThat(oneError(cli("pretrain", "--model", dir.resolve("none.json").toString(), "-o",
                dir.resolve("x3").toString()))).contains("the architecture file does not exist");
        assertThat(oneError(cli("train", "--init", dir.resolve("none.safetensors").toString(), "-o",
                dir.resolve("x4").toString()))).contains("the model file does not exist");
        assertThat(oneError(cli("train", "--model", "cnn", "--hidden", "32", "-o", dir.resolve("x5").toString())))
                .contains("hidden shapes the MLP and does not apply to model=cnn; remove it");
        assertThat(oneError(cli("train", "--model", "cnn", "--init", pretrained.toString(), "-o",
                dir.resolve("x6").toString()))).contains("give model or init, not both");
        assertThat(oneError(cli("train", "--model", "cnn", "--trainable", "heads", "-o",
                dir.resolve("x7").toString()))).contains("'heads' is not a selection (did you mean 'head'?)");
        assertThat(oneError(cli("train", "--model", "cnn", "--trainable", "last:9", "--backend", "reference",
                "--train-limit", "64", "-o", dir.resolve("x8").toString())))
                .contains("trainable=last:9: the graph has 4 blocks; K must be in 1..4");
        assertThat(oneError(cli("train", "--init", pretrained.toString(), "--trainable", "names:attn.*",
                "--backend", "reference", "--train-limit", "64", "-o", dir.resolve("x9").toString())))
                .contains("trainable=names:attn.* matches no tensor of the graph");
        assertThat(oneError(cli("train", "--model", "cnn", "--shots", "100", "--train-limit", "300", "-o",
                dir.resolve("x10").toString()))).contains("shots=100 is larger than the ")
                .contains(" training rows of class ");
        LayerGraph tiny = new LayerGraph(Shape.image(1, 8, 8), List.of(new Block("head", List.of(new Layer.Flatten(),
                new Layer.Linear("head", 64, 10)))), 10);
        Path small = dir.resolve("tiny.safetensors");
        ModelFile.write(small, tiny, new float[tiny.parameterCount()], Map.of());
        assertThat(oneError(cli("train", "--init", small.toString(), "-o", dir.resolve("x11").toString())))
                .contains("init=" + small + " (graph [1, 8, 8] -> 1 blocks -> 10 classes (650 parameters)) takes 64 "
                        + "inputs per row (shape [1, 8, 8]), but the training data has 784 features");
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, Graphs.toJson(tiny).replace("\"kind\":\"flatten\"", "\"kind\":\"reshape\""));
        assertThat(oneError(cli("train", "--model", bad.toString(), "-o", dir.resolve("x12").toString())))
                .contains("block 'head', layer 0 is of kind 'reshape', which this forward4j does not know");
        assertThat(oneError(cli("pretrain", "--model", "cnn", "-o", pretrained.getParent().toString())))
                .contains("holds another run");
    }
}
