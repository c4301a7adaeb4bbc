package org.forward4j.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import org.forward4j.core.train.Checkpoint;
import org.forward4j.core.train.EvalRecord;
import org.forward4j.core.train.TrainingConfig;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.InvalidDataException;
import org.forward4j.plugin.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random, truncated and mutated config files and checkpoints: each either loads or is rejected with the documented
 * exception, quickly, never with another exception or an OutOfMemoryError.
 */
class ConfigFuzzTest {

    private static final long SEED = 20261130L;
    private static final String VALID = "forward4j.allocator=optimal\nforward4j.estimator=lr\n"
            + "forward4j.queries-per-point=4\nforward4j.allocator.beta=0.1\n# comment\nforward4j.hidden=64,32\n";

    private static final String SPECIAL = "=:\\\n\r\t #!\u00ff0-.";

    private static byte[] mutate(byte[] base, SplittableRandom r) {
        byte[] b;
        switch (r.nextInt(4)) {
            case 0 -> {
                b = new byte[r.nextInt(400)];
                r.nextBytes(b);
            }
            case 1 -> b = java.util.Arrays.copyOf(base, r.nextInt(base.length + 1));
            case 2 -> {
                b = base.clone();
                for (int k = 0, n = 1 + r.nextInt(8); k < n; k++) {
                    b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                }
            }
            default -> {
                b = base.clone();
                for (int k = 0, n = 1 + r.nextInt(8); k < n; k++) {
                    b[r.nextInt(b.length)] = (byte) SPECIAL.charAt(r.nextInt(SPECIAL.length()));
                }
            }
        }
        return b;
    }

    @Test
    void configFilesLoadOrFailWithInvalidConfiguration(@TempDir Path dir) throws Exception {
        SplittableRandom r = new SplittableRandom(SEED);
        byte[] base = VALID.getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("fuzz.properties");
        int loaded = 0;
        for (int i = 0; i < 1500; i++) {
            byte[] bytes = mutate(base, r);
            Files.write(file, bytes);
            final int iteration = i;
            boolean ok = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
                try {
                    Map<String, String> m = ConfigSources.readFile(file);
                    // whatever loaded must also validate cleanly or with the documented error
                    try {
                        TrainingConfig.from(Settings.of(m));
                    } catch (InvalidConfigurationException expected) {
                        assertThat(expected.getMessage()).isNotBlank();
                    }
                    return true;
                } catch (InvalidConfigurationException expected) {
                    assertThat(expected.getMessage()).as("seed %d iteration %d", SEED, iteration)
                            .contains(file.toString());
                    return false;
                }
            }, () -> "seed " + SEED + " iteration " + iteration);
            loaded += ok ? 1 : 0;
        }
        assertThat(loaded).as("some mutations still load, seed %d", SEED).isPositive().isLessThan(1500);
    }

    @Test
    void checkpointsLoadOrFailWithInvalidData(@TempDir Path dir) throws Exception {
        new Checkpoint(3, 300, 0, 0, 1.0, 0, 0, new float[] {1, 2, 3}, new float[6], Map.of("phi", new double[4]),
                Map.of(), Map.of(1, 0.5), java.util.List.of(new EvalRecord(0, 0, 0, 0, 0, 0, 0)),
                Map.of("forward4j.seed", "1")).save(dir);
        byte[] base = Files.readAllBytes(dir.resolve(Checkpoint.LATEST));
        SplittableRandom r = new SplittableRandom(SEED);
        Path file = dir.resolve("fuzz.bin");
        for (int i = 0; i < 1500; i++) {
            byte[] bytes = mutate(base, r);
            Files.write(file, bytes);
            final int iteration = i;
            assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertThatCode(() -> {
                try {
                    Checkpoint.read(file);
                } catch (InvalidDataException expected) {
                    // rejected whole
                }
            }).as("seed %d iteration %d", SEED, iteration).doesNotThrowAnyException());
        }
    }
}
