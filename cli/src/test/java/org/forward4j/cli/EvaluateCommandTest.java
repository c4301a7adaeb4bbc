package org.forward4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.forward4j.cli.InProcessCli.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.forward4j.cli.InProcessCli.Call;
import org.forward4j.core.model.Mlp;
import org.forward4j.core.model.Model;
import org.forward4j.core.model.ModelFile;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train} writes the model, {@code evaluate} loads it and reproduces the run's last test record. */
class EvaluateCommandTest {

    @TempDir
    static Path run;

    private static JsonNode result;

    /** One epoch of the lr estimator on 512 training rows, tested on the first 200 test rows. */
    @BeforeAll
    static void train() throws Exception {
        Call c = cli("train", "--estimator", "lr", "-q", "4", "--train-limit", "512", "--test-limit", "200", "-e", "1",
                "-b", "32", "--seed", "3", "--no-progress", "-o", run.toString());
        assertThat(c.status()).as("train: %s %s", c.out(), c.err()).isZero();
        assertThat(c.out()).contains("model written to " + run.resolve(ModelFile.FILE_NAME).toAbsolutePath());
        result = new ObjectMapper().readTree(run.resolve("result.json").toFile());
    }

    @Test
    void trainWritesTheModelAndResultJsonNamesIt() {
        assertThat(result.get("model").asText()).isEqualTo(ModelFile.FILE_NAME);
        Model m = ModelFile.read(run.resolve(ModelFile.FILE_NAME));
        assertThat(m.network()).isEqualTo(Mlp.network(784, new int[] {64}, 10, Activation.RELU));
        assertThat(m.metadata()).containsEntry("dataset", "mnist").containsEntry("estimator", "lr")
                .containsEntry("allocator", "uniform").containsEntry("seed", "3").containsEntry("test_rows", "200")
                .containsEntry("training_queries", result.get("trainingQueries").asText())
                .containsEntry("test_accuracy", Double.toString(result.get("finalTestAccuracy").asDouble()));
    }

    @Test
    void evaluateReproducesTheTrainingRunsLastTestRecord() {
        Call c = cli("evaluate", "--model", run.resolve(ModelFile.FILE_NAME).toString(), "--limit", "200");
        assertThat(c.status()).as("evaluate: %s %s", c.out(), c.err()).isZero();
        double acc = result.get("finalTestAccuracy").asDouble();
        assertThat(result.get("records")).hasSize(2);
        assertThat(c.out()).contains("test split of mnist: 200 rows, backend cpu")
                .contains(String.format(Locale.ROOT, "test loss %.6f, accuracy %.4f (%d of 200 rows correct)",
                        result.get("finalTestLoss").asDouble(), acc, Math.round(acc * 200)));
    }

    @Test
    void evaluateTakesTheRunDirectoryTheTrainSplitAndWritesPredictions(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("out/predictions.csv");
        Call c = cli("evaluate", "-m", run.toString(), "--split", "train", "--limit", "300", "-o", csv.toString());
        assertThat(c.status()).as("evaluate: %s %s", c.out(), c.err()).isZero();
        assertThat(c.out()).contains("train split of mnist: 300 rows", "predictions written to " + csv);
        List<String> lines = Files.readAllLines(csv);
        assertThat(lines).hasSize(301).first().isEqualTo("row,label,predicted,loss");
        long correct = lines.stream().skip(1).map(l -> l.split(",")).filter(f -> f[1].equals(f[2])).count();
        assertThat(c.out()).as("the reference forward's predictions agree with the backend's accuracy")
                .contains("(" + correct + " of 300 rows correct)");
        assertThat(lines.get(1)).matches("0,\\d,\\d,\\d+\\.\\d{6}");
        assertThat(dir.resolve("out")).isDirectoryNotContaining("glob:**.tmp");
    }

    @Test
    void aMissingOrForeignFileIsOneErrorLine(@TempDir Path dir) throws Exception {
        Call missing = cli("evaluate", "--model", dir.resolve("none.safetensors").toString());
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err().strip()).isEqualTo("error: Cannot read model file " + dir.resolve("none.safetensors")
                + ": it does not exist");
        Path csv = dir.resolve("data.csv");
        Files.writeString(csv, "label,x\n1,0.5\n");
        Call foreign = cli("evaluate", "--model", csv.toString());
        assertThat(foreign.status()).isEqualTo(2);
        assertThat(foreign.err().strip()).startsWith("error: Cannot read model file " + csv + ": its first 8 bytes "
                + "declare a header of").doesNotContain("\n").doesNotContain("at org.");
    }

    @Test
    void dataOfAnotherWidthIsRefusedNamingBoth(@TempDir Path dir) {
        DenseNetwork net = new DenseNetwork(new int[] {100, 10}, Activation.IDENTITY);
        Path f = dir.resolve(ModelFile.FILE_NAME);
        ModelFile.write(f, net, new float[net.dimension()], Map.of("dataset", "csv:a.csv,b.csv"));
        Call c = cli("evaluate", "--model", f.toString(), "--dataset", "mnist");
        assertThat(c.status()).isEqualTo(2);
        assertThat(c.err().strip()).isEqualTo("error: Dataset 'mnist' has 784 features per row, but the model mlp "
                + "100-10 (identity) in " + f + " takes 100 inputs (it was trained on 'csv:a.csv,b.csv'); evaluate it "
                + "on data of its input width");
    }

    @Test
    void fewerClassesThanTheLabelsAreRefused(@TempDir Path dir) {
        DenseNetwork net = new DenseNetwork(new int[] {784, 5}, Activation.IDENTITY);
        Path f = dir.resolve(ModelFile.FILE_NAME);
        ModelFile.write(f, net, new float[net.dimension()], Map.of());
        Call c = cli("evaluate", "--model", f.toString());
        assertThat(c.status()).isEqualTo(2);
        assertThat(c.err().strip()).isEqualTo("error: Dataset 'mnist' has labels up to 9, but the model mlp 784-5 "
                + "(identity) in " + f + " predicts 5 classes (0..4)");
    }
}
