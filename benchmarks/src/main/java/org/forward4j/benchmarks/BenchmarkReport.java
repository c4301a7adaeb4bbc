package org.forward4j.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.forward4j.benchmarks.MachineInfo;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link EstimatorStepBenchmark} and {@link PlainForwardBenchmark} in one JMH run and prints a markdown table of
 * every estimator's queries per second as a fraction of the plain forward's rows per second for the same shape
 * (docs/method.md §6). Usage: {@code java -cp benchmarks/target/benchmarks.jar org.forward4j.benchmarks.BenchmarkReport
 * [shapes=784-256-10,784-1024-1024-10] [estimators=lr,spsa,...] [threads=0] [forks=1] [warmup=2] [iterations=3]
 * [seconds=5] [out=runs/bench/jmh.md]}.
 */
public final class BenchmarkReport {

    private BenchmarkReport() {
    }

    /**
     * Runs the benchmarks and prints (and writes) the table.
     *
     * @param args {@code key=value} options, see the class description
     * @throws RunnerException if JMH fails
     * @throws IOException if the table cannot be written
     */
    public static void main(String[] args) throws RunnerException, IOException {
        Map<String, String> o = new HashMap<>(Map.of("shapes", "784-256-10,784-1024-1024-10",
                "estimators", "lr,spsa,spsa:distribution=rademacher,spsa:directions=per-point,rge", "threads", "0",
                "forks", "1", "warmup", "2",
                "iterations", "3", "seconds", "5", "out", "runs/bench/jmh.md"));
        for (String a : args) {
            String[] kv = a.split("=", 2);
            if (kv.length != 2 || !o.containsKey(kv[0])) {
                throw new IllegalArgumentException("Unknown or malformed option '" + a + "'; options: " + o.keySet());
            }
            o.put(kv[0], kv[1]);
        }
        String loadStart = MachineInfo.loadAverage();
        ChainedOptionsBuilder b = new OptionsBuilder()
                .include(EstimatorStepBenchmark.class.getName() + ".step$")
                .include(PlainForwardBenchmark.class.getName() + ".forward$")
                .param("shape", o.get("shapes").split(","))
                .param("estimator", o.get("estimators").split(","))
                .param("threads", o.get("threads"))
                .forks(Integer.parseInt(o.get("forks")))
                .warmupIterations(Integer.parseInt(o.get("warmup")))
                .measurementIterations(Integer.parseInt(o.get("iterations")))
                .warmupTime(TimeValue.seconds(Long.parseLong(o.get("seconds"))))
                .measurementTime(TimeValue.seconds(Long.parseLong(o.get("seconds"))));
        Collection<RunResult> results = new Runner(b.build()).run();
        String table = table(results, MachineInfo.current(), loadStart, MachineInfo.loadAverage());
        System.out.print(table);
        Path out = Path.of(o.get("out"));
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        Files.writeString(out, table);
        System.err.println("table written to " + out.toAbsolutePath());
    }

    /**
     * The markdown table of a run: one row per shape and estimator, with the plain forward of its shape.
     *
     * @param results JMH's results
     * @param machine the machine
     * @param loadStart load averages at the start
     * @param loadEnd load averages at the end
     * @return markdown text
     */
    static String table(Collection<RunResult> results, MachineInfo machine, String loadStart, String loadEnd) {
        Map<String, double[]> plain = new LinkedHashMap<>();
        List<RunResult> steps = new ArrayList<>();
        for (RunResult r : results) {
            if (r.getParams().getBenchmark().endsWith(".forward")) {
                plain.put(r.getParams().getParam("shape"), new double[] {r.getPrimaryResult().getScore(),
                        r.getPrimaryResult().getScoreError()});
            } else {
                steps.add(r);
            }
        }
        StringBuilder t = new StringBuilder("# forward4j JMH: estimator throughput vs plain forward\n\n");
        t.append("- machine: ").append(machine.describe()).append('\n');
        t.append(String.format(Locale.ROOT, "- batch %d, %d queries per point (%d per step), bundled MNIST%n",
                Workload.BATCH, Workload.QUERIES_PER_POINT, Workload.QUERIES_PER_STEP));
        t.append("- load average (1/5/15 min): ").append(loadStart).append(" at start, ").append(loadEnd)
                .append(" at end\n\n");
        t.append("| shape | estimator | threads | queries/s | plain rows/s | of plain |\n|---|---|--:|--:|--:|--:|\n");
        for (RunResult r : steps) {
            String shape = r.getParams().getParam("shape");
            double q = r.getPrimaryResult().getScore();
            double qe = r.getPrimaryResult().getScoreError();
            double[] p = plain.get(shape);
            t.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", shape,
                    r.getParams().getParam("estimator"), r.getParams().getParam("threads"), score(q, qe),
                    p == null ? "n/a" : score(p[0], p[1]),
                    p == null ? "n/a" : String.format(Locale.ROOT, "%.3f", q / p[0])));
        }
        t.append("\nqueries/s and rows/s: JMH throughput scores (± the 99.9% confidence half-width where JMH has "
                + "enough iterations for one); of plain: queries/s over the plain forward's rows/s of the same shape, both "
                + "from this run.\n");
        return t.toString();
    }

    private static String score(double value, double error) {
        return Double.isNaN(error) ? String.format(Locale.ROOT, "%,.0f", value)
                : String.format(Locale.ROOT, "%,.0f ± %,.0f", value, error);
    }
}
