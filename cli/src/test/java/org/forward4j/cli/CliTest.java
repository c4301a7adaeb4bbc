package org.forward4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.forward4j.cli.Forward4jCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {

    private static String capture(Runnable r, boolean err) {
        PrintStream old = err ? System.err : System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        if (err) {
            System.setErr(new PrintStream(buf, true));
        } else {
            System.setOut(new PrintStream(buf, true));
        }
        try {
            r.run();
        } finally {
            if (err) {
                System.setErr(old);
            } else {
                System.setOut(old);
            }
        }
        return buf.toString();
    }

    @Test
    void trainWritesMetricsAndResultsWithQueriesSpent(@TempDir Path dir) throws Exception {
        int[] status = new int[1];
        String out = capture(() -> status[0] = Forward4jCli.run("train", "--train-limit", "512", "--test-limit", "200",
                "-e", "2", "-b", "32", "--no-progress", "-o", dir.toString()), false);
        assertThat(status[0]).isZero();
        assertThat(out).contains("final test accuracy");
        JsonNode json = new ObjectMapper().readTree(dir.resolve("result.json").toFile());
        assertThat(json.get("trainingQueries").asLong()).isEqualTo(2L * 16 * 32 * 16);
        assertThat(json.get("provenance").get("estimator").asText()).isEqualTo("spsa");
        assertThat(json.get("provenance").get("allocator").asText()).isEqualTo("uniform");
        assertThat(json.get("records")).hasSize(3);
        assertThat(Files.readAllLines(dir.resolve("metrics.csv"))).hasSize(4)
                .first().isEqualTo("epoch,step,queries,train_loss,test_loss,test_accuracy,wall_seconds");
    }

    @Test
    void configurationErrorsPrintTheMessageAndExitWith2() {
        int[] status = new int[1];
        String err = capture(() -> status[0] = Forward4jCli.run("train", "--allocator", "optimall"), true);
        assertThat(status[0]).isEqualTo(2);
        assertThat(err).contains("error: No allocator named 'optimall' (did you mean 'optimal'?). Available: "
                + "[neyman, optimal, uniform].")
                .doesNotContain("at org.forward4j");
    }

    @Test
    void aRunnerThatIsNotOnTheClasspathIsOneErrorNamingTheSparkAssembly(@TempDir Path dir) {
        int[] status = new int[1];
        String err = capture(() -> status[0] = Forward4jCli.run("train", "--train-limit", "64", "-e", "1",
                "--no-progress", "-D", "runner=spark", "-o", dir.toString()), true);
        assertThat(status[0]).isEqualTo(2);
        assertThat(err).contains("error: No runner named 'spark'. Available: [local]. The spark runner is the "
                + "runner-spark assembly: start it with spark-submit --class org.forward4j.spark.SparkTrain");
    }

    @Test
    void pluginsListsEveryKind() {
        String out = capture(() -> Forward4jCli.run("plugins"), false);
        assertThat(out).contains("allocators:", "optimal", "estimators:", "lr", "backends:", "cpu");
    }
}
