package org.forward4j.cli;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.forward4j.plugin.InvalidConfigurationException;
import org.junit.jupiter.api.Test;

/** The bench command's own checks (the measurement harness is tested in the benchmarks module). */
class BenchCommandTest {

    @Test
    void invalidOptionsFailBeforeAnyMeasurement() {
        BenchCommand c = new BenchCommand();
        c.steps = 0;
        c.threads = 0;
        assertThatThrownBy(c::call).isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("bench: --steps must be at least 1, got 0; --threads must be at least 1, got 0");
    }

    @Test
    void unknownGraphModelsAndSelectionsFailBeforeAnyMeasurement() {
        BenchCommand c = new BenchCommand();
        c.models = java.util.List.of("cnn", "resnet");
        c.trainable = java.util.List.of("all", "last:9");
        assertThatThrownBy(c::call).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("--models/--trainable: trainable=last:9: the graph has 4 blocks")
                .hasMessageContaining("--models/--trainable: model=resnet is not a preset");
    }
}
