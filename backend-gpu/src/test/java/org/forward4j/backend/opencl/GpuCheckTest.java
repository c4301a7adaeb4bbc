package org.forward4j.backend.opencl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.estimator.Activation;
import org.junit.jupiter.api.Test;

/** The command line of {@link GpuCheck}: every user error is one line on standard error and exit status 2. */
class GpuCheckTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(OpenClBackendProvider provider, String... args) {
        return GpuCheck.run(args, provider, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String errLine() {
        String e = err.toString(StandardCharsets.UTF_8);
        assertThat(e.lines()).as("standard error: %s", e).hasSize(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).as("standard output").isEmpty();
        return e.strip();
    }

    @Test
    void defaultsAndValues() {
        GpuCheck.Options d = GpuCheck.parse(new String[0]);
        assertThat(d.shape()).containsExactly(784, 1024, 1024, 10);
        assertThat(d.activation()).isEqualTo(Activation.RELU);
        assertThat(d.batch()).isEqualTo(256);
        assertThat(d.queries()).isEqualTo(16);
        assertThat(d.seconds()).isEqualTo(3.0);
        assertThat(d.skipParity()).isFalse();
        assertThat(d.settings()).isEmpty();
        GpuCheck.Options o = GpuCheck.parse(new String[] {"--shape", "64-32-10", "--activation", "tanh", "--batch",
            "64", "--queries", "4", "--seconds", "0.5", "--device-type", "gpu", "--label", "H200", "--skip-parity"});
        assertThat(o.shape()).containsExactly(64, 32, 10);
        assertThat(o.activation()).isEqualTo(Activation.TANH);
        assertThat(o.batch()).isEqualTo(64);
        assertThat(o.queries()).isEqualTo(4);
        assertThat(o.seconds()).isEqualTo(0.5);
        assertThat(o.label()).isEqualTo("H200");
        assertThat(o.skipParity()).isTrue();
        assertThat(o.settings()).isEqualTo(List.of("device-type", "gpu"));
    }

    @Test
    void badOptionsAreOneLineAndStatus2() {
        OpenClBackendProvider none = new OpenClBackendProvider(List::of);
        assertThat(run(none, "--bogus", "1")).isEqualTo(2);
        assertThat(errLine()).startsWith("gpu-check: unknown option '--bogus'; options: --shape");
        err.reset();
        assertThat(run(none, "--batch")).isEqualTo(2);
        assertThat(errLine()).startsWith("gpu-check: option '--batch' needs a value");
        err.reset();
        assertThat(run(none, "--batch", "many")).isEqualTo(2);
        assertThat(errLine()).isEqualTo("gpu-check: --batch 'many' must be a positive integer");
        err.reset();
        assertThat(run(none, "--seconds", "0")).isEqualTo(2);
        assertThat(errLine()).isEqualTo("gpu-check: --seconds '0' must be a positive number");
        err.reset();
        assertThat(run(none, "--shape", "784")).isEqualTo(2);
        assertThat(errLine()).startsWith("gpu-check: --shape '784' needs at least an input and an output size");
        err.reset();
        assertThat(run(none, "--shape", "784-x-10")).isEqualTo(2);
        assertThat(errLine()).startsWith("gpu-check: --shape '784-x-10' is not a list of layer sizes");
        err.reset();
        assertThat(run(none, "--activation", "sigmoid")).isEqualTo(2);
        assertThat(errLine()).isEqualTo("gpu-check: --activation 'sigmoid' is not relu, tanh or identity");
    }

    @Test
    void withoutOpenClItIsOneLineAndStatus2() {
        assertThat(run(new OpenClBackendProvider(List::of), "--device-type", "gpu")).isEqualTo(2);
        assertThat(errLine()).isEqualTo("gpu-check: no OpenCL device: " + OpenClDevices.NO_PLATFORM);
    }

    @Test
    void withoutAGpuDeviceTypeGpuIsOneLineAndStatus2() {
        OpenClBackendProvider system = new OpenClBackendProvider();
        BackendProvider.Availability a = system.availability();
        assumeTrue(a.available() && !a.gpu(), () -> "needs an OpenCL device that is not a GPU (PoCL): " + a.detail());
        assertThat(run(system, "--device-type", "gpu")).isEqualTo(2);
        assertThat(errLine()).startsWith("gpu-check: The opencl backend cannot run here: no OpenCL device matches "
                + "device-type=gpu; devices found: [");
    }

    @Test
    void aBadDeviceSettingIsOneLineAndStatus2() {
        OpenClBackendProvider system = new OpenClBackendProvider();
        BackendProvider.Availability a = system.availability();
        assumeTrue(a.available(), () -> "needs an OpenCL device: " + a.detail());
        assertThat(run(system, "--device-type", "fpga")).isEqualTo(2);
        assertThat(errLine()).startsWith("gpu-check: ").contains("device-type");
    }
}
