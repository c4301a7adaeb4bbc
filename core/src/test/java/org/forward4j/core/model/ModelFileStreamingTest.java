package org.forward4j.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model is written and read through a bounded buffer: a 96 MB model round-trips in a child JVM whose 160 MB heap
 * holds its parameters once but not twice (checked by a control run that allocates the byte array a non-streaming
 * writer would build, and must run out of memory).
 */
class ModelFileStreamingTest {

    private static final String HEAP = "-Xmx160m";

    private static Result child(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                HEAP, "-XX:+UseG1GC", "-cp", System.getProperty("java.class.path"), StreamingChild.class.getName()));
        cmd.addAll(List.of(args));
        Path log = dir.resolve("child-" + args[0] + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("child finished").isTrue();
        return new Result(p.exitValue(), Files.readString(log));
    }

    private record Result(int status, String output) {
    }

    @Test
    void aModelTwiceTheFreeHeapIsWrittenAndReadBack(@TempDir Path dir) throws Exception {
        Result control = child(dir, "copy");
        assertThat(control.status()).as("control: a byte array of the model beside its parameters must not fit in "
                + HEAP + "; output: %s", control.output()).isEqualTo(3);

        Path f = dir.resolve(ModelFile.FILE_NAME);
        Result r = child(dir, "write-read", f.toString());
        assertThat(r.status()).as("child output: %s", r.output()).isZero();
        assertThat(r.output()).contains("read back 24088010 parameters intact");
        assertThat(Files.size(f)).isGreaterThan(4L * 24_088_010);
    }
}
