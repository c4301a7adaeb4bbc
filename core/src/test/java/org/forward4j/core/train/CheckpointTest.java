package org.forward4j.core.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.forward4j.plugin.InvalidDataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

    private static Checkpoint sample(long step) {
        return new Checkpoint(step, 1000 * step, 7, 1, 2.5, 3.25, 4, new float[] {1f, -2f, Float.MIN_VALUE},
                new float[] {0.5f}, Map.of("phi", new double[] {0, 1, -1.5, 0}), Map.of("log-sigma", new double[] {-4.6}),
                Map.of(3, 0.25, 9, Double.NaN), List.of(new EvalRecord(0, 0, 0, Double.NaN, 2.3, 0.1, 0)),
                Map.of("forward4j.seed", "7"));
    }

    @Test
    void roundTripsEveryField(@TempDir Path dir) {
        Checkpoint c = sample(12);
        c.save(dir);
        Checkpoint r = Checkpoint.read(dir.resolve(Checkpoint.LATEST));
        assertThat(r.step()).isEqualTo(12);
        assertThat(r.trainingQueries()).isEqualTo(12000);
        assertThat(r.parameters()).containsExactly(1f, -2f, Float.MIN_VALUE);
        assertThat(r.optimizerState()).containsExactly(0.5f);
        assertThat(r.allocatorState().get("phi")).containsExactly(0, 1, -1.5, 0);
        assertThat(r.estimatorState().get("log-sigma")).containsExactly(-4.6);
        assertThat(r.previousLoss()).containsEntry(3, 0.25).containsKey(9);
        assertThat(r.records()).isEqualTo(c.records());
        assertThat(r.config()).isEqualTo(c.config());
        assertThat(r.lossSum()).isEqualTo(3.25);
    }

    @Test
    void keepsThePreviousCheckpointAndFallsBackToItWhenTheLatestIsCorrupt(@TempDir Path dir) throws Exception {
        sample(5).save(dir);
        sample(10).save(dir);
        assertThat(Checkpoint.read(dir.resolve(Checkpoint.PREVIOUS)).step()).isEqualTo(5);
        Path latest = dir.resolve(Checkpoint.LATEST);
        byte[] bytes = Files.readAllBytes(latest);
        bytes[bytes.length / 2] ^= 0x10;
        Files.write(latest, bytes);
        assertThatThrownBy(() -> Checkpoint.read(latest)).isInstanceOf(InvalidDataException.class)
                .hasMessageContaining("is corrupt: its SHA-256 checksum does not match");
        List<String> warnings = new ArrayList<>();
        assertThat(Checkpoint.loadLatest(dir, warnings).step()).isEqualTo(5);
        assertThat(warnings).singleElement().asString().contains("corrupt").contains("trying " + Checkpoint.PREVIOUS);
    }

    @Test
    void truncatedAndForeignFilesAreRejectedWhole(@TempDir Path dir) throws Exception {
        sample(3).save(dir);
        Path latest = dir.resolve(Checkpoint.LATEST);
        byte[] bytes = Files.readAllBytes(latest);
        for (int cut : new int[] {0, 5, 20, bytes.length / 2, bytes.length - 1}) {
            Files.write(latest, java.util.Arrays.copyOf(bytes, cut));
            assertThatThrownBy(() -> Checkpoint.read(latest)).as("cut at %d", cut)
                    .isInstanceOf(InvalidDataException.class).hasMessageContaining(latest.toString());
        }
        Files.writeString(latest, "not a checkpoint at all, but long enough to have a header and a checksum........");
        assertThatThrownBy(() -> Checkpoint.read(latest)).isInstanceOf(InvalidDataException.class)
                .hasMessageContaining("is not a forward4j checkpoint");
    }

    @Test
    void noValidCheckpointNamesEveryFileAndWhy(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(Checkpoint.LATEST), "garbage");
        assertThatThrownBy(() -> Checkpoint.loadLatest(dir, new ArrayList<>()))
                .isInstanceOf(InvalidDataException.class)
                .hasMessageContaining("No valid checkpoint in")
                .hasMessageContaining(Checkpoint.LATEST + " is not a forward4j checkpoint")
                .hasMessageContaining(Checkpoint.PREVIOUS + " does not exist")
                .hasMessageContaining("Start without --resume");
    }

    @Test
    void aSaveThatDiesBeforeTheRenameLeavesTheOldCheckpointsUntouched(@TempDir Path dir) throws Exception {
        sample(4).save(dir);
        // a crashed save leaves only its temporary file behind
        Files.writeString(dir.resolve("checkpoint-8.tmp"), "half-written");
        assertThat(Checkpoint.loadLatest(dir, new ArrayList<>()).step()).isEqualTo(4);
    }

    @Test
    void aCheckpointLargerThanTheHeapIsWrittenStreaming(@TempDir Path dir) throws Exception {
        int n = 30_000_000; // 120 MB of parameters, written twice: a 240 MB file from a 176 MB heap
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx176m",
                "-cp", System.getProperty("java.class.path"), WriteLargeCheckpoint.class.getName(), dir.toString(),
                Integer.toString(n)).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("the child JVM:%n%s", output).isZero();
        long size = Files.size(dir.resolve(Checkpoint.LATEST));
        assertThat(size).as("file size").isGreaterThan(176L << 20);
        Checkpoint c = Checkpoint.read(dir.resolve(Checkpoint.LATEST));
        assertThat(c.parameters()).hasSize(n);
        assertThat(c.optimizerState()).hasSize(n);
        for (int i = 0; i < n; i += 9973) {
            assertThat(c.parameters()[i]).isEqualTo(i * 0.5f);
            assertThat(c.optimizerState()[i]).isEqualTo(i * 0.5f);
        }
        assertThat(c.step()).isEqualTo(3);
    }
}
