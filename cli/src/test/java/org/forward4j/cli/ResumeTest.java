package org.forward4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.forward4j.cli.Forward4jCli;
import org.forward4j.core.train.Checkpoint;
import org.forward4j.plugin.InvalidDataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run killed with SIGKILL and resumed ends bit-identical to an uninterrupted run. */
class ResumeTest {

    private static final String[] RUN = {"train", "--estimator", "lr", "--allocator", "optimal", "-q", "4",
        "--train-limit", "2048", "--test-limit", "200", "-b", "32", "-e", "8", "--seed", "11", "--no-progress",
        "--checkpoint-every", "7"};

    private static String[] args(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of(RUN));
        a.add("-o");
        a.add(out.toString());
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void killedRunResumesToBitIdenticalParameters(@TempDir Path dir) throws Exception {
        Path reference = dir.resolve("reference");
        assertThat(Forward4jCli.run(args(reference))).isZero();
        Checkpoint expected = Checkpoint.read(reference.resolve("checkpoints").resolve(Checkpoint.LATEST));
        assertThat(expected.step()).isEqualTo(8 * 64);

        Path killed = dir.resolve("killed");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.bytedeco.javacpp.cachedir=" + System.getProperty("org.bytedeco.javacpp.cachedir",
                        dir.resolve("javacpp").toString()),
                "-cp", System.getProperty("java.class.path"), Forward4jCli.class.getName()));
        cmd.addAll(List.of(args(killed)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("child.log").toFile()).start();
        Path latest = killed.resolve("checkpoints").resolve(Checkpoint.LATEST);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        long stepAtKill = -1;
        while (System.nanoTime() < deadline && p.isAlive()) {
            if (Files.exists(latest)) {
                try {
                    long s = Checkpoint.read(latest).step();
                    if (s >= 100) {
                        stepAtKill = s;
                        break;
                    }
                } catch (InvalidDataException racing) {
                    // being renamed right now; look again
                }
            }
            Thread.sleep(10);
        }
        assertThat(p.isAlive()).as("child still training when killed; log: %s",
                Files.exists(dir.resolve("child.log")) ? Files.readString(dir.resolve("child.log")) : "").isTrue();
        p.destroyForcibly(); // SIGKILL
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(stepAtKill).isBetween(100L, 8L * 64 - 1);

        assertThat(Forward4jCli.run(args(killed, "--resume"))).isZero();
        Checkpoint resumed = Checkpoint.read(latest);
        assertThat(resumed.step()).isEqualTo(expected.step());
        assertThat(resumed.trainingQueries()).isEqualTo(expected.trainingQueries());
        assertThat(resumed.parameters()).as("parameters after kill at step %d and resume", stepAtKill)
                .isEqualTo(expected.parameters());
        assertThat(resumed.allocatorState().get("phi")).isEqualTo(expected.allocatorState().get("phi"));
        assertThat(resumed.records()).extracting(r -> r.testAccuracy())
                .isEqualTo(expected.records().stream().map(r -> r.testAccuracy()).toList());
    }

    @Test
    void resumingWithADifferentConfigurationIsRefused(@TempDir Path dir) {
        Path out = dir.resolve("run");
        assertThat(Forward4jCli.run("train", "--train-limit", "256", "--test-limit", "100", "-b", "32", "-e", "1",
                "--no-progress", "-o", out.toString())).isZero();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.err;
        System.setErr(new java.io.PrintStream(err, true));
        try {
            assertThat(Forward4jCli.run("train", "--train-limit", "256", "--test-limit", "100", "-b", "32", "-e", "2",
                    "--seed", "99", "--no-progress", "-o", out.toString(), "--resume")).isEqualTo(2);
        } finally {
            System.setErr(old);
        }
        assertThat(err.toString()).contains("Cannot resume from").contains("forward4j.seed (checkpoint: null, now: 99)");
    }

    @Test
    void aCorruptLatestCheckpointFallsBackToThePreviousOne(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        String[] base = {"train", "--train-limit", "256", "--test-limit", "100", "-b", "32", "-e", "2",
            "--no-progress", "-o", out.toString()};
        assertThat(Forward4jCli.run(base)).isZero();
        Path ck = out.resolve("checkpoints");
        Files.write(ck.resolve(Checkpoint.LATEST), new byte[] {1, 2, 3});
        assertThat(Checkpoint.loadLatest(ck, new ArrayList<>()).step()).isEqualTo(8);
        String[] more = java.util.Arrays.copyOf(base, base.length + 1);
        more[base.length] = "--resume";
        assertThat(Forward4jCli.run(more)).isZero();
        assertThat(Checkpoint.read(ck.resolve(Checkpoint.LATEST)).step()).isEqualTo(16);
        assertThatThrownBy(() -> Checkpoint.read(ck.resolve("nothing.bin"))).isInstanceOf(InvalidDataException.class);
    }
}
