package org.forward4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as an operator meets it, each case in its own JVM: bad input and faults end in one
 * {@code error:} line and the exit status of their kind, output directories are checked and locked before training,
 * and results record every setting. Runs use the pure-Java {@code reference} backend on a few rows, so each JVM
 * takes a second or two.
 */
class CliProcessTest {

    /** The exit status and the two streams of one run. */
    record Run(int status, String out, String err) {
        String all() {
            return out + err;
        }
    }

    private static Run run(Path dir, Map<String, String> env, List<String> jvm, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvm);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Forward4jCli.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("FORWARD4J_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("%s finished in time", String.join(" ", args)).isTrue();
        return new Run(p.exitValue(), Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8),
                Files.readString(dir.resolve("err.txt"), StandardCharsets.UTF_8));
    }

    private static Run run(Path dir, String... args) throws Exception {
        return run(dir, Map.of(), List.of("-Xmx512m"), args);
    }

    /**
     * A tiny training run's arguments (reference backend: no native library to start); {@code more} replaces an
     * option given here ({@code "-e", "2"}) or adds flags and options.
     */
    private static String[] tiny(String output, String... more) {
        Map<String, String> options = new java.util.LinkedHashMap<>(Map.of("--backend", "reference", "--hidden", "8",
                "-b", "32", "--train-limit", "64", "--test-limit", "50", "-e", "1", "-q", "4", "--estimator", "lr",
                "-o", output));
        List<String> flags = new ArrayList<>();
        for (int i = 0; i < more.length; i++) {
            boolean flag = i + 1 >= more.length || more[i + 1].startsWith("-") && !more[i + 1].matches("-?[0-9].*");
            if (flag) {
                flags.add(more[i]);
            } else if (more[i].equals("-D")) {
                flags.add("-D");
                flags.add(more[++i]);
            } else {
                options.put(more[i], more[++i]);
            }
        }
        List<String> a = new ArrayList<>(List.of("train"));
        options.forEach((k, v) -> {
            a.add(k);
            a.add(v);
        });
        a.addAll(flags);
        return a.toArray(String[]::new);
    }

    private static void assertOneErrorLine(Run r, int status, String contains) {
        assertThat(r.status()).as("exit status; output:%n%s", r.all()).isEqualTo(status);
        List<String> errors = r.err().lines().filter(l -> l.startsWith("error: ")).toList();
        assertThat(errors).as("error lines in:%n%s", r.err()).hasSize(1);
        assertThat(errors.get(0)).contains(contains);
        assertThat(r.err()).as("no stack trace without --verbose").doesNotContain("\tat ");
    }

    @Test
    void anOutputPathThatIsAFileIsRefusedBeforeTraining(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("taken"), "x");
        Run r = run(dir, tiny("taken"));
        assertOneErrorLine(r, Forward4jCli.USER, "Output path " + dir.resolve("taken") + " is a file");
        assertThat(r.out()).doesNotContain("epoch");
    }

    @Test
    void anUnwritableOutputDirectoryIsAnInputOutputError(@TempDir Path dir) throws Exception {
        // /sys is a read-only file system for everyone, root included (permissions alone would not stop root)
        Path readOnly = Path.of("/sys/fs/forward4j-cli-test");
        boolean refused;
        try {
            Files.createDirectory(readOnly);
            Files.delete(readOnly);
            refused = false;
        } catch (IOException e) {
            refused = true;
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(refused, "needs a read-only /sys/fs");
        Run r = run(dir, tiny(readOnly.toString()));
        assertOneErrorLine(r, Forward4jCli.IO, "Cannot write to the output directory " + readOnly);
    }

    @Test
    void aDirectoryHoldingAnotherRunIsRefusedUnlessOverwrittenOrResumed(@TempDir Path dir) throws Exception {
        assertThat(run(dir, tiny("runs")).status()).isZero();
        Run again = run(dir, tiny("runs"));
        assertOneErrorLine(again, Forward4jCli.USER, "holds another run (result.json, metrics.csv, model.safetensors, checkpoints)");
        assertThat(again.err()).contains("--resume", "--overwrite");

        Files.writeString(dir.resolve("runs/metrics.csv"), "stale");
        Files.writeString(dir.resolve("runs/checkpoints/checkpoint-12345.tmp"), "left by a kill");
        Run over = run(dir, tiny("runs", "--overwrite", "--seed", "2"));
        assertThat(over.status()).as(over.all()).isZero();
        assertThat(Files.readString(dir.resolve("runs/metrics.csv"))).startsWith("epoch,step");
        assertThat(dir.resolve("runs/checkpoints/checkpoint-12345.tmp")).doesNotExist();

        Files.writeString(dir.resolve("runs/checkpoints/checkpoint-777.tmp"), "left by a kill");
        Run resumed = run(dir, tiny("runs", "--resume", "--seed", "2", "-e", "2"));
        assertThat(resumed.status()).as(resumed.all()).isZero();
        assertThat(resumed.out()).contains("resuming at step 2");
        assertThat(dir.resolve("runs/checkpoints/checkpoint-777.tmp")).as("stale temporary file").doesNotExist();
    }

    @Test
    void aSecondRunOnALockedDirectoryFailsAtOnceNamingTheHolder(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("shared");
        Files.createDirectories(out);
        // the lock another process holds: a JVM that locks the file the way RunDirectory does, then waits
        Path lockFile = out.resolve(RunDirectory.LOCK);
        Path holderSource = dir.resolve("Holder.java");
        Files.writeString(holderSource, "import java.nio.channels.*; import java.nio.file.*;\n"
                + "public class Holder { public static void main(String[] a) throws Exception {\n"
                + "  FileChannel c = FileChannel.open(Path.of(a[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE);\n"
                + "  c.lock(); c.write(java.nio.ByteBuffer.wrap(\"pid \".concat(String.valueOf(ProcessHandle.current()"
                + ".pid())).concat(\" on test-host, started now\").getBytes()));\n"
                + "  System.out.println(\"locked\"); System.out.flush(); Thread.sleep(60000); } }\n");
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                holderSource.toString(), lockFile.toString()).redirectErrorStream(true).start();
        try {
            byte[] ready = holder.getInputStream().readNBytes("locked".length());
            assertThat(new String(ready, StandardCharsets.UTF_8)).isEqualTo("locked");
            long t0 = System.nanoTime();
            Run r = run(dir, tiny(out.toString()));
            assertOneErrorLine(r, Forward4jCli.USER, "is in use by another forward4j run (pid " + holder.pid()
                    + " on test-host");
            assertThat((System.nanoTime() - t0) / 1e9).as("fails at once, without training").isLessThan(60);
            assertThat(r.out()).doesNotContain("epoch");
        } finally {
            holder.destroyForcibly().waitFor();
        }
    }

    @Test
    void configurationProblemsOfEveryKindComeInOneMessageWithSuggestions(@TempDir Path dir) throws Exception {
        Run r = run(dir, "train", "--backend", "reference", "-D", "seed=1.5", "-D", "estimator.sigmaa=0.1",
                "--estimator", "lr", "-D", "backend.threadz=2", "--allocator", "optimall", "-o", "x");
        assertOneErrorLine(r, Forward4jCli.USER, "The configuration has 4 problems:");
        assertThat(r.err()).contains("seed=1.5 is not a 64-bit integer")
                .contains("No allocator named 'optimall' (did you mean 'optimal'?)")
                .contains("unknown setting 'sigmaa' (did you mean 'sigma'?)")
                .contains("backend 'reference': unknown setting 'threadz'");
        assertThat(dir.resolve("x")).as("nothing written").doesNotExist();
    }

    @Test
    void theLaunchersOwnVariablesAreNotSettingsAndAMissingPluginPathIsNamed(@TempDir Path dir) throws Exception {
        Run fine = run(dir, Map.of("FORWARD4J_JAVA_OPTS", "-Xmx1g", "FORWARD4J_HOME", dir.toString()),
                List.of("-Xmx512m"), "plugins");
        assertThat(fine.status()).as(fine.all()).isZero();
        assertThat(fine.out()).contains("allocators:", "  optimal ", "backends:");
        Run missing = run(dir, Map.of("FORWARD4J_PLUGINS", dir.resolve("nope.jar").toString()), List.of("-Xmx512m"),
                "plugins");
        assertOneErrorLine(missing, Forward4jCli.USER, "plugin path " + dir.resolve("nope.jar") + " (from "
                + "FORWARD4J_PLUGINS) does not exist");
    }

    @Test
    void resultsHoldNoNanStringsAndRecordEveryEffectiveSetting(@TempDir Path dir) throws Exception {
        Run r = run(dir, tiny("run", "--allocator", "optimal"));
        assertThat(r.status()).as(r.all()).isZero();
        assertThat(r.err()).as("no progress bar off a terminal").doesNotContain("%").doesNotContain("epoch 1/1");
        assertThat(r.out()).contains("train loss      -");
        String text = Files.readString(dir.resolve("run/result.json"));
        assertThat(text).doesNotContain("NaN");
        JsonNode json = new ObjectMapper().readTree(text);
        JsonNode p = json.get("provenance");
        assertThat(p.get("training").get("momentum").asText()).as("a default nobody set").isEqualTo("0.9");
        assertThat(p.get("training").get("seed").asText()).isEqualTo("1");
        assertThat(p.get("allocatorSettings").get("beta").asText()).as("optimal's default beta").isEqualTo("0.1");
        assertThat(p.get("estimatorSettings").get("sigma").asText()).isEqualTo("0.01");
        assertThat(p.get("forward4j").get("version").asText()).isNotBlank();
        assertThat(p.get("forward4j").has("commit")).isTrue();
        assertThat(p.get("plugins").get("estimator").get("class").asText()).endsWith("LrGradientEstimatorProvider");
        assertThat(p.get("plugins").get("estimator").get("location").asText()).contains("estimator-lr");
        assertThat(json.get("records").get(0).get("trainLoss").isNull()).as("no loss before the first step").isTrue();
        assertThat(json.get("data").get("scaling").get("method").asText()).isEqualTo("none");
    }

    @Test
    void outOfMemoryIsAnInternalErrorWithAdviceAndVerboseShowsTheTrace(@TempDir Path dir) throws Exception {
        String[] huge = tiny("big", "--hidden", "200000");
        Run r = run(dir, Map.of(), List.of("-Xmx48m"), huge);
        assertOneErrorLine(r, Forward4jCli.INTERNAL, "out of memory");
        assertThat(r.err()).contains("FORWARD4J_JAVA_OPTS=-Xmx");
        List<String> verbose = new ArrayList<>(List.of(huge));
        verbose.add("--verbose");
        Run v = run(dir, Map.of(), List.of("-Xmx48m"), verbose.toArray(String[]::new));
        assertThat(v.status()).isEqualTo(Forward4jCli.INTERNAL);
        assertThat(v.err()).contains("java.lang.OutOfMemoryError").contains("\tat ");
    }

    /** Two CSV files whose first feature is near the float maximum: every loss overflows to a non-finite value. */
    private static String overflowingData(Path dir) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            b.append(i % 2).append(",3e38,").append(i % 5).append(",1\n");
        }
        Files.writeString(dir.resolve("train.csv"), b);
        Files.writeString(dir.resolve("test.csv"), b);
        return "csv:" + dir.resolve("train.csv") + "," + dir.resolve("test.csv");
    }

    @Test
    void nonFiniteLossesNameTheEstimatorOrAreSkippedAndReported(@TempDir Path dir) throws Exception {
        String data = overflowingData(dir);
        Run fail = run(dir, tiny("fail", "--dataset", data));
        assertOneErrorLine(fail, Forward4jCli.USER, "Step 0 (epoch 1) produced loss");
        assertThat(fail.err()).contains("(estimator 'lr')").contains("non-finite=skip");
        Run skip = run(dir, tiny("skip", "--dataset", data, "-D", "non-finite=skip"));
        assertThat(skip.status()).as(skip.all()).isEqualTo(Forward4jCli.USER);
        assertThat(skip.err()).contains("warning: step 0 (epoch 1) skipped: loss")
                .contains("error: every step was skipped");
        assertThat(skip.err().lines().filter(l -> l.startsWith("error: ")).count()).isEqualTo(1);
    }

    static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }
}
