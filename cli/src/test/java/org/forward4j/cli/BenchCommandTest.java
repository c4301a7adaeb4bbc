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
}
