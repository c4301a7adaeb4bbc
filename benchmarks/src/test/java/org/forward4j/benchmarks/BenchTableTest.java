package org.forward4j.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.forward4j.plugin.InvalidConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchTableTest {

    private static final MachineInfo MACHINE = new MachineInfo(2, "Test CPU", "TestVM 17", "TestOS 1 amd64",
            4L << 30);

    private static BenchRow row(String estimator, double[] steps, double[] plain, boolean warmed, long alloc) {
        // CPU time: twice the wall time for steps, three times for plain passes
        return new BenchRow("784-256-10", estimator, 8, 1024, steps, plain, scaled(steps, 2), scaled(plain, 3), warmed,
                alloc, 3L << 20, 5L << 19, 7L << 18, "1.50", Double.NaN, Double.NaN);
    }

    @Test
    void theWarmRateIsTheWindowsOrTheColdStepsWhereNoneRan() {
        BenchRow cold = row("lr", new double[] {0.2}, new double[] {0.05}, true, 0);
        assertThat(cold.warmQueriesPerSecond()).isEqualTo(cold.queriesPerSecond());
        assertThat(cold.warmQueriesPerCpuSecond()).isCloseTo(1024 / 0.4, within(1e-9));
        BenchRow warm = new BenchRow("784-256-10", "lr", 8, 1024, new double[] {0.2}, new double[] {0.05},
                new double[] {0.4}, new double[] {0.15}, true, 0, 0, 0, -1, "1", 0.05, 0.08);
        assertThat(warm.warmQueriesPerSecond()).isCloseTo(1024 / 0.05, within(1e-9));
        assertThat(warm.warmQueriesPerCpuSecond()).isCloseTo(1024 / 0.08, within(1e-9));
        assertThat(warm.queriesPerSecond()).isCloseTo(1024 / 0.2, within(1e-9));
        assertThatThrownBy(() -> new BenchRow("s", "lr", 1, 1, new double[] {1}, new double[] {1},
                new double[] {1}, new double[] {1}, true, 0, 0, 0, -1, "0", 0.0, 0.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("warmStepSeconds must be positive or NaN, got 0.0");
    }

    private static double[] scaled(double[] v, double f) {
        double[] out = v.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= f;
        }
        return out;
    }

    @Test
    void ratiosUseMediansOfTheInterleavedSamples() {
        // step medians: 0.2 s (odd count); plain: (0.04 + 0.06) / 2 = 0.05 s (even count)
        BenchRow r = row("lr", new double[] {0.3, 0.2, 0.1}, new double[] {0.06, 0.02, 0.04, 0.08}, true, 1 << 20);
        assertThat(r.stepMedian()).isEqualTo(0.2);
        assertThat(r.plainMedian()).isCloseTo(0.05, within(1e-15));
        assertThat(r.queriesPerSecond()).isCloseTo(1024 / 0.2, within(1e-9));
        assertThat(r.plainRowsPerSecond()).isCloseTo(1024 / 0.05, within(1e-9));
        assertThat(r.fractionOfPlain()).isCloseTo(0.25, within(1e-12));
        assertThat(r.stepCpuMedian()).isCloseTo(0.4, within(1e-15));
        assertThat(r.plainCpuMedian()).isCloseTo(0.15, within(1e-15));
        assertThat(r.fractionOfPlainCpu()).isCloseTo(0.375, within(1e-12));
    }

    @Test
    void rowsRejectMissingOrNonPositiveSamples() {
        assertThatThrownBy(() -> row("lr", new double[0], new double[] {1}, true, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("stepSeconds needs at least one sample");
        assertThatThrownBy(() -> row("lr", new double[] {1}, new double[] {0.0}, true, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plainSeconds must be positive and finite, got [0.0]");
        assertThatThrownBy(() -> new BenchRow("s", "lr", 1, 1, new double[] {1, 2}, new double[] {1},
                new double[] {1}, new double[] {1}, true, 0, 0, 0, -1, "0", Double.NaN, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("stepCpuSeconds needs one value per wall-time sample (2), got 1");
    }

    @Test
    void markdownHasTheMachineTheLoadAndOneLinePerRow() {
        BenchRow a = row("lr", new double[] {0.1}, new double[] {0.05}, true, 2L << 20);
        BenchRow b = row("spsa:directions=per-point", new double[] {1.5}, new double[] {0.05}, false, -1);
        String md = BenchTable.markdown(new BenchTable.Header(MACHINE, "cpu (ND4J, 2 threads)", 64, 7, "1.0 2.0 3.0",
                "4.0 5.0 6.0"), List.of(a, b));
        assertThat(md).contains("- machine: 2 cores (Test CPU), TestVM 17, TestOS 1 amd64, max heap 4096 MiB\n")
                .contains("- backend: cpu (ND4J, 2 threads); batch 64 of bundled MNIST; seed 7\n")
                .contains("- load average (1/5/15 min): 1.0 2.0 3.0 at start, 4.0 5.0 6.0 at end\n")
                .contains("| 784-256-10 | lr | 8 | 1024 | 1 | 100.0 | 10,240 | 10,240 | 20,480 | 0.500 | 0.750 | 2.0 "
                        + "| 3.0 | 1.8 | 2.5 |\n")
                .contains("| 784-256-10 | spsa:directions=per-point | 8 | 1024 | 1* | 1500.0 | 683 | 683 | 20,480 "
                        + "| 0.033 | 0.050 | n/a | 3.0 | 1.8 | 2.5 |\n")
                .contains("*: a single step, without a separate warm-up step");
        assertThat(md.lines().filter(l -> l.startsWith("|"))).hasSize(4);
    }

    @Test
    void markdownLeavesOutTheFootnoteWhenEveryRowWasWarmedUp() {
        String md = BenchTable.markdown(new BenchTable.Header(MACHINE, "cpu", 64, 1, "0 0 0", "0 0 0"),
                List.of(row("lr", new double[] {0.1}, new double[] {0.05}, true, 0)));
        assertThat(md).doesNotContain("*: a single step");
    }

    @Test
    void csvHasOneLinePerRowAndQuotesCommas() {
        BenchRow r = row("spsa:scale=1e-3,x", new double[] {0.1, 0.3}, new double[] {0.05}, true, 1 << 20);
        List<String> lines = BenchTable.csv(List.of(r)).lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).isEqualTo(BenchTable.CSV_HEADER);
        assertThat(lines.get(1)).isEqualTo("784-256-10,\"spsa:scale=1e-3,x\",8,1024,2,true,200.000,100.000,300.000,"
                + "5120.0,50.000,20480.0,0.2500,400.000,150.000,0.3750,1.0,3.0,1.8,2.5,1.50,5120.0,2560.0");
    }

    @Test
    void variantsParseLikeTheCompareCommand() {
        EstimatorVariant v = EstimatorVariant.parse(" spsa:directions=per-point; estimator.scale = 1e-2 ");
        assertThat(v.estimator()).isEqualTo("spsa");
        assertThat(v.settings()).containsExactly(Map.entry("directions", "per-point"), Map.entry("scale", "1e-2"));
        assertThat(v.configuration()).containsExactly(Map.entry("estimator", "spsa"),
                Map.entry("estimator.directions", "per-point"), Map.entry("estimator.scale", "1e-2"));
        assertThat(EstimatorVariant.parse("lr").settings()).isEmpty();
        assertThatThrownBy(() -> EstimatorVariant.parse("spsa:directions"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Estimator variant 'spsa:directions' has a malformed setting 'directions'; write "
                        + "NAME:key=value;key=value, e.g. spsa:directions=per-point");
    }

    @Test
    void cpuModelComesFromCpuinfo(@TempDir Path dir) throws Exception {
        Path info = dir.resolve("cpuinfo");
        Files.writeString(info, "processor\t: 0\nmodel name\t: Example CPU @ 3.0GHz\nflags\t: fpu\n");
        assertThat(MachineInfo.cpuModel(info)).isEqualTo("Example CPU @ 3.0GHz");
        assertThat(MachineInfo.cpuModel(dir.resolve("missing"))).isEqualTo("unknown");
    }
}
