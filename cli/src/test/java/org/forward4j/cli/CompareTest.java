package org.forward4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.forward4j.cli.Forward4jCli;
import org.forward4j.cli.compare.Comparison;
import org.forward4j.core.train.EvalRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareTest {

    private static List<EvalRecord> curve(long step, double... acc) {
        List<EvalRecord> out = new ArrayList<>();
        for (int i = 0; i < acc.length; i++) {
            out.add(new EvalRecord(i, i, i * step, 0, 0, acc[i], i));
        }
        return out;
    }

    @Test
    void savingIsMeasuredAgainstUniformWithSmoothedAccuracy() {
        // optimal reaches smoothed 0.8 at 300 queries (its budget); uniform first reaches 0.8 at 600
        Comparison.Run opt = new Comparison.Run("lr", "optimal", 1, curve(100, 0.5, 0.7, 0.8, 0.9, 0.7), 400);
        Comparison.Run uni = new Comparison.Run("lr", "uniform", 1,
                curve(100, 0.5, 0.6, 0.7, 0.75, 0.75, 0.8, 0.85, 0.85, 0.9), 400);
        double[] s = Comparison.smoothed(opt.records());
        assertThat(s[2]).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(Comparison.smoothedAt(opt.records(), 400)).isCloseTo(0.8, within(1e-12));
        Comparison.Saving sv = Comparison.saving(Comparison.Definition.TO_OWN_ACCURACY, opt, uni);
        assertThat(sv.target()).isCloseTo(0.8, within(1e-12));
        assertThat(sv.queries()).isEqualTo(300L);
        assertThat(sv.uniformQueries()).isEqualTo(600L);
        assertThat(sv.value()).isCloseTo(0.5, within(1e-12));
        assertThat(sv.bound()).isEqualTo(Comparison.Bound.EXACT);
        Comparison.Run never = new Comparison.Run("lr", "uniform", 1, curve(100, 0.1, 0.2, 0.3), 400);
        Comparison.Saving lower = Comparison.saving(Comparison.Definition.TO_OWN_ACCURACY, opt, never);
        assertThat(lower.uniformQueries()).isNull();
        assertThat(lower.bound()).isEqualTo(Comparison.Bound.AT_LEAST);
        assertThat(lower.value()).isCloseTo(1 - 300.0 / 200, within(1e-12));
    }

    @Test
    void compareWritesTableCsvJsonAndPlotAtEqualQueries(@TempDir Path dir) throws Exception {
        int status = Forward4jCli.run("compare", "--estimators", "lr", "--allocators", "uniform,optimal", "--seeds",
                "2", "--uniform-factor", "2", "-q", "4", "-e", "2", "--train-limit", "384", "--test-limit", "200",
                "-b", "32", "--no-progress", "-o", dir.toString());
        assertThat(status).isZero();
        String md = Files.readString(dir.resolve("summary.md"));
        assertThat(md).contains("| lr | uniform | 2 | 3,072 |").contains("| lr | optimal | 2 | 3,072 |");
        List<String> csv = Files.readAllLines(dir.resolve("runs.csv"));
        // uniform: 2 seeds x (4 epochs + initial); optimal: 2 seeds x (2 epochs + initial)
        assertThat(csv).hasSize(1 + 2 * 5 + 2 * 3);
        assertThat(csv.stream().filter(l -> l.startsWith("lr,optimal,") && l.contains(",2,24,3072,"))).hasSize(2);
        assertThat(Files.size(dir.resolve("accuracy.png"))).isGreaterThan(1000);
        String json = Files.readString(dir.resolve("summary.json"));
        assertThat(json).contains("\"uniformFactor\" : 2").contains("\"TO_UNIFORM_ACCURACY\"")
                .contains("\"reports\"").contains("\"toUniformAccuracy\"").contains("\"nulls\"")
                .contains("\"differences\"");
        // undefined numbers (the training loss before the first step) are null, never the string "NaN"
        assertThat(json).doesNotContain("NaN").contains("\"trainLoss\" : null");
        // the conservative saving is the headline, before the paper's definition, then the null, then differences
        int headline = md.indexOf("## Headline: query saving to reach uniform's accuracy at N");
        assertThat(headline).isPositive();
        assertThat(md.indexOf("## Query saving to reach the allocator's own accuracy at N")).isGreaterThan(headline);
        assertThat(md).contains("| lr | optimal | **").contains("| lr | saving to uniform's accuracy at N | 2 |")
                .contains("| lr | optimal − uniform | 2 |").contains("this project's four-parameter reading");
    }
}
