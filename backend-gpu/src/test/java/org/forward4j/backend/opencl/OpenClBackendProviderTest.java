package org.forward4j.backend.opencl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.aparapi.Config;
import com.aparapi.Range;
import com.aparapi.device.Device;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.internal.kernel.KernelManager;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.ServiceLoader;
import java.util.logging.Logger;
import org.forward4j.backend.Backend;
import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.BackendUnavailableException;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.InvalidDataException;
import org.forward4j.plugin.PluginProvider;
import org.forward4j.plugin.Settings;
import org.forward4j.plugin.UnsupportedCapabilityException;
import org.junit.jupiter.api.Test;

class OpenClBackendProviderTest {

    private static final OpenClBackendProvider NO_OPENCL = new OpenClBackendProvider(List::of);

    @Test
    void identity() {
        OpenClBackendProvider p = new OpenClBackendProvider();
        assertThat(p.name()).isEqualTo("opencl");
        assertThat(PluginProvider.isValidName(p.name())).isTrue();
        assertThat(p.spiVersion()).isEqualTo(BackendProvider.SPI_VERSION);
        assertThat(p.capabilities()).containsExactlyInAnyOrder(org.forward4j.backend.spi.BackendCapability.ACTIVATION_NOISE,
                org.forward4j.backend.spi.BackendCapability.BLACK_BOX);
        assertThat(p.description()).isNotBlank();
    }

    @Test
    void registeredForServiceLoader() {
        assertThat(ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::type))
                .contains(OpenClBackendProvider.class);
    }

    @Test
    void withoutAPlatformItIsUnavailableAndSaysHowToFixIt() {
        BackendProvider.Availability a = NO_OPENCL.availability();
        assertThat(a.available()).isFalse();
        assertThat(a.gpu()).isFalse();
        assertThat(a.detail()).isEqualTo("no OpenCL platform found; install pocl-opencl-icd ocl-icd-libopencl1 for "
                + "a CPU OpenCL device, or a GPU driver");
        assertThatThrownBy(() -> NO_OPENCL.create(Settings.empty()))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessage("The opencl backend cannot run here: no OpenCL platform found; install pocl-opencl-icd "
                        + "ocl-icd-libopencl1 for a CPU OpenCL device, or a GPU driver; or select the cpu backend");
    }

    @Test
    void aMissingOpenClLibraryIsReportedNotThrown() {
        OpenClBackendProvider broken = new OpenClBackendProvider(() -> {
            throw new UnsatisfiedLinkError("no libOpenCL.so");
        });
        BackendProvider.Availability a = broken.availability();
        assertThat(a.available()).isFalse();
        assertThat(a.detail()).startsWith("no OpenCL platform found; install pocl-opencl-icd")
                .contains("loading OpenCL failed: java.lang.UnsatisfiedLinkError: no libOpenCL.so");
        assertThatThrownBy(() -> broken.create(Settings.empty())).isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("no libOpenCL.so");
    }

    @Test
    void invalidSettingsAreAllReportedAtOnce() {
        assertThatThrownBy(() -> NO_OPENCL.create(Settings.of("device-type", "tpu", "chunk-rows", "0",
                "chunk-size", "9")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("Invalid settings for backend 'opencl': ")
                .hasMessageContaining("device-type=tpu is not one of [auto, gpu, accelerator, cpu]")
                .hasMessageContaining("chunk-rows=0 is out of range; use an integer in [1, 1048576]")
                .hasMessageContaining("unknown setting 'chunk-size'");
    }

    @Test
    void availableDeviceIsDescribed() {
        Fixtures.assumeOpenCl();
        OpenClBackendProvider p = new OpenClBackendProvider();
        BackendProvider.Availability a = p.availability();
        OpenCLDevice d = OpenClDevices.choose(OpenClDevices::systemDevices, OpenClDevices.DeviceType.AUTO, "")
                .device();
        assertThat(a.detail()).startsWith(OpenClDevices.name(d));
        assertThat(a.gpu()).isEqualTo(d.getType() == Device.TYPE.GPU);
        try (Backend b = p.create(Settings.empty())) {
            assertThat(b.device()).startsWith("opencl: " + OpenClDevices.name(d));
        }
    }

    @Test
    void anAbsentDeviceTypeIsUnavailableWithTheDevicesFound() {
        Fixtures.assumeOpenCl();
        boolean hasAccelerator = OpenClDevices.systemDevices().stream().anyMatch(d -> d.getType() == Device.TYPE.ACC);
        assumeFalse(hasAccelerator, "this machine has an OpenCL accelerator");
        assertThatThrownBy(() -> new OpenClBackendProvider().create(Settings.of("device-type", "accelerator")))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageStartingWith("The opencl backend cannot run here: no OpenCL device matches "
                        + "device-type=accelerator; devices found: [");
        assertThatThrownBy(() -> new OpenClBackendProvider().create(Settings.of("device-name", "no-such-device")))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("device-name containing 'no-such-device'");
    }

    @Test
    void aJavaFallbackIsRefused() {
        Fixtures.assumeOpenCl();
        OpenCLDevice d = OpenClDevices.choose(OpenClDevices::systemDevices, OpenClDevices.DeviceType.AUTO, "")
                .device();
        UntranslatableKernel k = new UntranslatableKernel();
        LinkedHashSet<Device> only = new LinkedHashSet<>();
        only.add(d);
        KernelManager.instance().setPreferredDevices(k, only);
        // Aparapi logs the (expected) failure and prints its stack trace; keep both off the console (our own
        // handler still records the reason).
        Logger log = Logger.getLogger(Config.getLoggerName());
        boolean parents = log.getUseParentHandlers();
        log.setUseParentHandlers(false);
        KernelSession.captureAparapiWarnings();
        PrintStream err = System.err;
        System.setErr(new PrintStream(OutputStream.nullOutputStream()));
        try {
            k.execute(Range.create(64, 64));
            assertThat(k.out[3]).as("Aparapi ran it in Java").isEqualTo(1);
            assertThatThrownBy(() -> KernelSession.verify(k, d, OpenClDevices.describe(d)))
                    .isInstanceOf(BackendUnavailableException.class)
                    .hasMessageStartingWith("Aparapi did not run UntranslatableKernel on OpenCL device "
                            + OpenClDevices.describe(d) + " and fell back to Java (JTP); the opencl backend never "
                            + "runs in Java. Reason: ")
                    .hasMessageContaining("We don't support new instructions")
                    .hasMessageContaining("Use the cpu backend, or fix the OpenCL driver");
        } finally {
            System.setErr(err);
            log.setUseParentHandlers(parents);
            k.dispose();
        }
    }

    @Test
    void blackBoxObjectivesRunOnTheHost() {
        Fixtures.assumeOpenCl();
        Objective quadratic = new Objective() {
            @Override
            public int dimension() {
                return 5;
            }

            @Override
            public int size() {
                return 3;
            }

            @Override
            public void losses(float[] params, int[] rows, double[] out) {
                for (int k = 0; k < rows.length; k++) {
                    double s = 0;
                    for (int i = 0; i < params.length; i++) {
                        double d = params[i] - rows[k] - i;
                        s += d * d;
                    }
                    out[k] = s;
                }
            }
        };
        try (Backend b = Fixtures.backend()) {
            QueryEvaluator e = b.evaluator(quadratic);
            assertThat(e.objective()).isSameAs(quadratic);
            float[] theta = {0.5f, -1f, 2f, 0f, 3f};
            WeightPlan plan = new WeightPlan(9, 2, NoiseStream.Distribution.GAUSSIAN, List.of(
                    new WeightQuery(0, 0.1f, new int[] {0, 1, 2}),
                    new WeightQuery(1, -0.1f, new int[] {2})));
            assertThat(e.evaluate(theta, plan)).isDeepEqualTo(new ReferenceQueryEvaluator(quadratic)
                    .evaluate(theta, plan));
            ActivationPlan ap = new ActivationPlan(1, 1, 0.1f, new int[] {0}, new int[] {0}, new boolean[] {false});
            assertThatThrownBy(() -> e.evaluate(theta, ap)).isInstanceOf(UnsupportedCapabilityException.class)
                    .hasMessageContaining("use the spsa or rge estimator for black-box objectives");
        }
    }

    @Test
    void badInputsAreRejectedWithTheirValues() {
        Fixtures.assumeOpenCl();
        var net = Fixtures.net(Activation.RELU, 3, 4, 2);
        var obj = Fixtures.objective(net, 5, 1);
        try (Backend b = Fixtures.backend()) {
            QueryEvaluator e = b.evaluator(obj);
            assertThatThrownBy(() -> e.evaluate(new float[3], new ActivationPlan(1, 1, 0.1f, new int[] {0},
                    new int[] {0}, new boolean[] {false})))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("theta has length 3 but mlp 3-4-2 (relu) has 26 parameters");
            assertThatThrownBy(() -> e.evaluate(new float[26], new ActivationPlan(1, 1, 0.1f, new int[] {5},
                    new int[] {0}, new boolean[] {false})))
                    .isInstanceOf(InvalidDataException.class)
                    .hasMessage("Row 5 at position 0 of the activation plan is outside [0, 5) of mlp 3-4-2 (relu) "
                            + "on 5 rows");
            var pass = e.evaluate(new float[26], new ActivationPlan(1, 1, 0.1f, new int[] {4}, new int[] {0},
                    new boolean[] {false}));
            assertThatThrownBy(() -> pass.accumulateGradient(new double[2], new float[26]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("rowWeights has 2 entries for a plan of 1 queries");
        }
    }
}
