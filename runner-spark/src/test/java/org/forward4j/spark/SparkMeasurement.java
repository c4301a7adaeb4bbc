package org.forward4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's measurements (not part of the build: run it by name, {@code mvn verify -pl runner-spark
 * -Dit.test=SparkMeasurement}). Standalone clusters of one and two one-core workers on this machine run the
 * runner-spark assembly with spark-submit; the same workloads also run on one machine with one backend thread.
 * Results go to stdout and {@code target/spark-measurements.txt}.
 */
class SparkMeasurement {

    private static final String TINY = "--hidden 16 -b 32 -q 8 --train-limit 640 -e 1 --estimator spsa";
    private static final String SPSA = "--hidden 1024,1024 -b 256 -q 16 --train-limit 6400 -e 1 --estimator spsa "
            + "-D estimator.distribution=rademacher";
    private static final String BIG = "--hidden 1024,1024 -b 1024 -q 16 --train-limit 8192 -e 1 --estimator spsa "
            + "-D estimator.distribution=rademacher";
    private static final String LR = "--hidden 1024,1024 -b 256 -q 4 --train-limit 2560 -e 1 --estimator lr";
    private static final String RATE_FROM = "5";

    private final StringBuilder report = new StringBuilder();

    private void say(String line) {
        System.out.println(line);
        report.append(line).append('\n');
    }

    /** queries/s between the evaluation at step RATE_FROM and the last one (the first steps warm executors up). */
    private static double rate(Path out) throws Exception {
        JsonNode json = new ObjectMapper().readTree(out.resolve("result.json").toFile());
        JsonNode records = json.get("records");
        JsonNode from = null;
        JsonNode last = records.get(records.size() - 1);
        for (JsonNode r : records) {
            if (r.get("step").asLong() == Long.parseLong(RATE_FROM)) {
                from = r;
            }
        }
        assertThat(from).as("an evaluation at step %s in %s", RATE_FROM, json).isNotNull();
        return (last.get("queries").asDouble() - from.get("queries").asDouble())
                / (last.get("wallSeconds").asDouble() - from.get("wallSeconds").asDouble());
    }

    private static List<String> args(String workload, Path out) {
        List<String> a = new ArrayList<>(List.of((workload + " --test-limit 100 --no-progress --eval-every "
                + RATE_FROM).split(" ")));
        a.addAll(List.of("-o", out.toString()));
        return a;
    }

    private double local(Path dir, String name, String workload) throws Exception {
        Path out = dir.resolve("local-" + name);
        List<String> cmd = new ArrayList<>(List.of(StandaloneCluster.java(), "-Xmx3g", "-cp",
                System.getProperty("forward4j.spark.jars") + "/*:" + System.getProperty("forward4j.spark.assembly"),
                "org.forward4j.cli.Forward4jCli", "train", "-D", "backend.threads=1"));
        cmd.addAll(args(workload, out));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("local-" + name
                + ".log").toFile()).start();
        assertThat(p.waitFor(900, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(dir.resolve("local-" + name + ".log"))).isZero();
        return rate(out);
    }

    private String[] cluster(StandaloneCluster c, Path dir, String name, String workload, int executors)
            throws Exception {
        Path out = dir.resolve(name);
        List<String> a = new ArrayList<>(List.of("--class", "org.forward4j.spark.SparkTrain", "--executor-memory",
                "3g", "--conf", "spark.executor.cores=1", System.getProperty("forward4j.spark.assembly")));
        a.addAll(args(workload, out));
        a.addAll(List.of("-D", "runner.executors=" + executors));
        Path log = dir.resolve(name + ".log");
        Process p = c.submit(a, log);
        assertThat(p.waitFor(900, TimeUnit.SECONDS)).isTrue();
        String text = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(text).isZero();
        String summary = text.lines().filter(l -> l.contains("runner spark:") && l.contains("steps after the first"))
                .findFirst().orElse("(no summary)");
        return new String[] {String.format(Locale.ROOT, "%.0f", workload.equals(TINY) ? 0.0 : rate(out)),
            summary.substring(summary.indexOf("runner spark:"))};
    }

    @Test
    void measure(@TempDir Path dir) throws Exception {
        String only = System.getenv().getOrDefault("F4J_MEASURE", "all");
        if (only.equals("big")) {
            say("load average before: " + Files.readString(Path.of("/proc/loadavg")).trim());
            say(String.format(Locale.ROOT, "one machine, 1 backend thread: spsa 784-1024-1024-10, batch 1024: %.0f "
                    + "queries/s", local(dir, "big", BIG)));
            for (int workers = 1; workers <= 2; workers++) {
                try (StandaloneCluster c = StandaloneCluster.start(dir.resolve("cluster-" + workers), workers, "4g")) {
                    String[] big = cluster(c, dir, "big-" + workers, BIG, workers);
                    say(workers + " executor(s), spsa 784-1024-1024-10, batch 1024: " + big[0] + " queries/s; "
                            + big[1]);
                }
            }
            say("load average after: " + Files.readString(Path.of("/proc/loadavg")).trim());
            return;
        }
        if (only.equals("tiny")) {
            try (StandaloneCluster c = StandaloneCluster.start(dir.resolve("cluster"), 2, "4g")) {
                say("2 executor(s), tiny spsa 784-16-10: " + cluster(c, dir, "tiny", TINY, 2)[1]);
            }
            return;
        }
        say("machine: " + Runtime.getRuntime().availableProcessors() + " cores, Java "
                + System.getProperty("java.version"));
        say(String.format(Locale.ROOT, "one machine, 1 backend thread: spsa 784-1024-1024-10 %.0f queries/s",
                local(dir, "spsa", SPSA)));
        say(String.format(Locale.ROOT, "one machine, 1 backend thread: lr 784-1024-1024-10 %.0f queries/s",
                local(dir, "lr", LR)));
        for (int workers = 1; workers <= 2; workers++) {
            try (StandaloneCluster c = StandaloneCluster.start(dir.resolve("cluster-" + workers), workers, "4g")) {
                String[] tiny = cluster(c, dir, "tiny-" + workers, TINY, workers);
                say(workers + " executor(s), tiny spsa 784-16-10: " + tiny[1]);
                String[] spsa = cluster(c, dir, "spsa-" + workers, SPSA, workers);
                say(workers + " executor(s), spsa 784-1024-1024-10: " + spsa[0] + " queries/s; " + spsa[1]);
                String[] lr = cluster(c, dir, "lr-" + workers, LR, workers);
                say(workers + " executor(s), lr 784-1024-1024-10: " + lr[0] + " queries/s; " + lr[1]);
            }
        }
        Files.writeString(Path.of("target", "spark-measurements.txt"), report.toString());
    }
}
