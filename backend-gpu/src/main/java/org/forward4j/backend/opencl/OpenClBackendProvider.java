package org.forward4j.backend.opencl;

import com.aparapi.device.Device;
import java.util.Set;
import org.forward4j.backend.Backend;
import org.forward4j.backend.spi.BackendCapability;
import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.plugin.BackendUnavailableException;
import org.forward4j.plugin.Settings;

/**
 * Provides {@code opencl}: query plans of native networks run as fused Aparapi/OpenCL kernels on a GPU (or any
 * OpenCL 1.2 device, such as PoCL on the CPU), with the perturbation noise generated inside the kernels from the
 * Philox streams of docs/method.md §5. Black-box objectives are evaluated on the host.
 *
 * <p>Settings:
 * <ul>
 *   <li>{@code device-type}: {@code auto} (default: GPU, else accelerator, else CPU), {@code gpu},
 *       {@code accelerator} or {@code cpu};</li>
 *   <li>{@code device-name}: only devices whose name contains this text (case-insensitive; default: any);</li>
 *   <li>{@code chunk-rows}: the most rows evaluated per launch chunk (default 8192, rounded up to a multiple of
 *       64); bounds device memory for activations;</li>
 *   <li>{@code weight-buffer-mb}: device memory for the perturbed weights of weight-noise plans (default 256); a
 *       chunk holds as many queries' weights as fit.</li>
 * </ul>
 *
 * <p>The JVM must be started with {@code LD_PRELOAD=$JAVA_HOME/lib/libjsig.so} when the OpenCL driver is built on
 * LLVM (PoCL); otherwise the driver's signal handlers crash the JVM now and then. {@link #availability()} warns
 * when that is missing.
 */
public final class OpenClBackendProvider implements BackendProvider {

    private final OpenClDevices.Lister lister;

    /** Creates the provider; ServiceLoader needs this constructor. Nothing is loaded until it is used. */
    public OpenClBackendProvider() {
        this(OpenClDevices::systemDevices);
    }

    /** Creates the provider over an injected device list (tests simulate a machine without OpenCL). */
    OpenClBackendProvider(OpenClDevices.Lister lister) {
        this.lister = lister;
    }

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String description() {
        return "fused perturb-and-evaluate kernels on an OpenCL device (Aparapi)";
    }

    @Override
    public Set<BackendCapability> capabilities() {
        return Set.of(BackendCapability.ACTIVATION_NOISE, BackendCapability.BLACK_BOX);
    }

    /**
     * Lists the OpenCL devices (which loads the OpenCL drivers) and reports the one {@code auto} would use.
     *
     * @return available with the device, or unavailable with the reason and how to fix it
     */
    @Override
    public Availability availability() {
        OpenClDevices.Choice c = OpenClDevices.choose(lister, OpenClDevices.DeviceType.AUTO, "");
        if (c.device() == null) {
            return new Availability(false, false, c.problem());
        }
        return new Availability(true, c.device().getType() == Device.TYPE.GPU,
                OpenClDevices.describe(c.device()) + OpenClDevices.signalChainingWarning());
    }

    @Override
    public void validate(Settings settings) {
        options(settings);
    }

    /** The validated settings. */
    private record Options(OpenClDevices.DeviceType type, String name, int chunkRows, int weightMb) {
    }

    private static Options options(Settings settings) {
        Settings.Reader r = settings.reader("backend 'opencl'");
        OpenClDevices.DeviceType type = r.enumValue("device-type", OpenClDevices.DeviceType.class,
                OpenClDevices.DeviceType.AUTO);
        String name = r.stringValue("device-name", "");
        int chunkRows = r.intValue("chunk-rows", 8192, 1, 1 << 20);
        int weightMb = r.intValue("weight-buffer-mb", 256, 1, 1 << 16);
        r.finish();
        return new Options(type, name, chunkRows, weightMb);
    }

    @Override
    public Backend create(Settings settings) {
        Options o = options(settings);
        OpenClDevices.DeviceType type = o.type();
        String name = o.name();
        int chunkRows = o.chunkRows();
        int weightMb = o.weightMb();
        OpenClDevices.Choice c = OpenClDevices.choose(lister, type, name);
        if (c.device() == null) {
            throw new BackendUnavailableException("The opencl backend cannot run here: " + c.problem()
                    + "; or select the cpu backend");
        }
        // Compile and probe now, so an unusable device fails at assembly time rather than mid-training.
        KernelSession probed = new KernelSession(c.device());
        int rows = (chunkRows + 63) / 64 * 64;
        return new OpenClBackend(probed, rows, weightMb * (1L << 20) / Float.BYTES);
    }
}
