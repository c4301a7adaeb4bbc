package org.forward4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.forward4j.cli.InProcessCli.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.forward4j.cli.InProcessCli.Call;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code forward4j finetune} end to end at toy size (the cnn pretrained on 500 bundled-MNIST rows for one epoch,
 * two seeds of two epochs, no grid): every output file, every method in summary.json, the forward methods' equal
 * budget, the backprop ceiling and floor, the pretrained model reused by a second run, and one error line for a bad
 * option.
 */
class FinetuneCommandTest {

    @TempDir
    Path dir;

    private String[] tiny(Path out) {
        return new String[] {"finetune", "--models", "cnn", "--seeds", "2", "-e", "cnn=2", "-q", "cnn=16", "--no-grid",
            "--pretrain-dataset", "mnist", "--pretrain-limit", "500", "--test-limit", "300", "--no-progress",
            "--cache", dir.resolve("cache").toString(), "-o", out.toString()};
    }

    @Test
    void tinyRunWritesEveryOutputAtEqualBudgetAndReusesThePretrainedModel() throws Exception {
        Path out = dir.resolve("ft");
        Call c = cli(tiny(out));
        assertThat(c.status()).as("out: %s err: %s", c.out(), c.err()).isZero();
        assertThat(c.out()).contains("pretraining cnn by backprop on mnist", "[12/12]", "ETA", "total wall time");
        for (String f : List.of("summary.md", "summary.json", "runs.csv", "accuracy-cnn.png")) {
            assertThat(out.resolve(f)).isNotEmptyFile();
        }
        JsonNode json = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        List<String> methods = new ArrayList<>();
        json.get("methods").get("cnn").forEach(m -> methods.add(m.get("method").asText()));
        assertThat(methods).contains("lr/uniform", "lr/neyman", "lr/optimal", "spsa/uniform",
                "backprop/same-layers", "backprop/head");
        Set<Long> budgets = new HashSet<>();
        Set<Long> used = new HashSet<>();
        int backprop = 0;
        for (JsonNode r : json.get("runs")) {
            long budget = r.get("budget").asLong();
            if (budget < 0) {
                backprop++;
                assertThat(r.get("method").asText()).startsWith("backprop/");
                continue;
            }
            budgets.add(budget);
            long last = 0;
            for (JsonNode e : r.get("records")) {
                if (e.get("queries").asLong() <= budget) {
                    last = e.get("queries").asLong();
                }
            }
            used.add(last);
        }
        // 2 epochs x 160/32 steps x 32 rows x 16 queries (-q cnn=16): every forward method spends the same N
        assertThat(budgets).containsExactly(2L * 5 * 32 * 16);
        assertThat(used).containsExactly(2L * 5 * 32 * 16);
        assertThat(backprop).isEqualTo(4);
        String md = Files.readString(out.resolve("summary.md"));
        assertThat(md).contains("| backprop/same-layers | 2 |", "| backprop/head | 2 |", "query saving to reach "
                + "uniform's accuracy at N", "Seed noise: uniform against uniform", "optimal − neyman");
        assertThat(Files.readAllLines(out.resolve("runs.csv")).get(0)).startsWith("model,method,seed,");

        Path model = Files.list(dir.resolve("cache")).filter(p -> p.getFileName().toString().startsWith("cnn-"))
                .findFirst().orElseThrow().resolve("model.safetensors");
        long stamp = Files.getLastModifiedTime(model).toMillis();
        Call again = cli(tiny(dir.resolve("ft2")));
        assertThat(again.status()).as("out: %s err: %s", again.out(), again.err()).isZero();
        assertThat(again.out()).contains("pretrained cnn: reusing").doesNotContain("pretraining cnn by backprop");
        assertThat(Files.getLastModifiedTime(model).toMillis()).isEqualTo(stamp);

        Call refused = cli(tiny(out));
        assertThat(refused.status()).isEqualTo(Forward4jCli.USER);
        assertThat(refused.err()).contains("holds another run", "--overwrite");
    }

    @Test
    void badOptionsAreOneErrorLineNamingTheValueAndTheFix() {
        Call c = cli("finetune", "--models", "cnn,resnet", "-o", dir.resolve("x").toString());
        assertThat(c.status()).isEqualTo(Forward4jCli.USER);
        List<String> lines = c.err().lines().filter(l -> l.startsWith("error:")).toList();
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).contains("'resnet'", "cnn, vit");
        Call lr = cli("finetune", "--lr", "cnn=-1", "-o", dir.resolve("y").toString());
        assertThat(lr.status()).isEqualTo(Forward4jCli.USER);
        assertThat(lr.err()).contains("error: --lr cnn=-1.0", "3e-3");
        Call key = cli("finetune", "--trainable", "mlp=head", "-o", dir.resolve("z").toString());
        assertThat(key.err()).contains("error: --trainable mlp=head", "cnn=VALUE");
        Call q = cli("finetune", "-q", "cnn=16,vit=lots", "-o", dir.resolve("q").toString());
        assertThat(q.status()).isEqualTo(Forward4jCli.USER);
        assertThat(q.err()).contains("error: --queries-per-point vit=lots", "'lots' is not a whole number",
                "-q cnn=16,vit=128");
        Call qm = cli("finetune", "-q", "mlp=4", "-o", dir.resolve("q2").toString());
        assertThat(qm.err()).contains("'mlp' is not a model");
        Call q0 = cli("finetune", "-q", "0", "-o", dir.resolve("q3").toString());
        assertThat(q0.err()).contains("--queries-per-point cnn=0 must be at least 1");
    }

    @Test
    void missingFashionMnistNamesTheDebianPackageAndTheAlternative() {
        String key = "forward4j.fashion-mnist.dir";
        String old = System.getProperty(key);
        System.setProperty(key, dir.resolve("no-such-dir").toString());
        try {
            Call c = cli("finetune", "--models", "cnn", "--no-grid", "--cache", dir.resolve("cache").toString(), "-o",
                    dir.resolve("fm").toString());
            assertThat(c.status()).isEqualTo(Forward4jCli.USER);
            List<String> lines = c.err().lines().filter(l -> l.startsWith("error:")).toList();
            assertThat(lines).hasSize(1);
            assertThat(lines.get(0)).contains("--pretrain-dataset fashion-mnist", "dataset-fashion-mnist",
                    "--pretrain-dataset mnist");
        } finally {
            if (old == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, old);
            }
        }
    }
}
