package org.forward4j.backend.opencl;

import com.aparapi.device.Device;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.internal.opencl.OpenCLLoader;
import com.aparapi.internal.opencl.OpenCLPlatform;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Finds OpenCL devices through Aparapi's platform API, and chooses one. */
final class OpenClDevices {

    /** What {@code availability()} says when the machine has no OpenCL platform at all. */
    static final String NO_PLATFORM = "no OpenCL platform found; install pocl-opencl-icd ocl-icd-libopencl1 for a CPU "
            + "OpenCL device, or a GPU driver";

    /** Which kind of device a backend may use. */
    enum DeviceType {
        /** A GPU if there is one, else an accelerator, else a CPU device. */
        AUTO,
        /** Only GPUs. */
        GPU,
        /** Only accelerators (OpenCL {@code CL_DEVICE_TYPE_ACCELERATOR}). */
        ACCELERATOR,
        /** Only CPU devices (for example PoCL). */
        CPU
    }

    /** The OpenCL devices of the machine, or why there are none. */
    interface Lister {
        /**
         * Lists the devices.
         *
         * @return every OpenCL device of every platform (empty if there is no platform)
         * @throws LinkageError if the OpenCL library or Aparapi's native part cannot be loaded
         */
        List<OpenCLDevice> devices();
    }

    /** The outcome of a search: a device, or the reason there is none. */
    record Choice(OpenCLDevice device, String problem) {
    }

    private OpenClDevices() {
    }

    /** What {@code availability()} says when the OpenCL library itself cannot be loaded. */
    static final String NO_LIBRARY = "the OpenCL library (libOpenCL.so.1) cannot be loaded; install "
            + "ocl-icd-libopencl1 and a driver (pocl-opencl-icd for the CPU, or the GPU vendor's)";

    /**
     * Aparapi's loader logs a SEVERE message with a paragraph of advice when it is first loaded on a machine
     * without OpenCL (whatever level its logger is set to: Aparapi resets it); availability reports that in one
     * line instead, so this filter drops exactly that record. The logger is held here because
     * java.util.logging keeps loggers only weakly, which would lose the filter.
     */
    private static final Logger APARAPI_LOG = Logger.getLogger(com.aparapi.Config.getLoggerName());

    static {
        java.util.logging.Filter previous = APARAPI_LOG.getFilter();
        APARAPI_LOG.setFilter(r -> !(r.getLevel() == Level.SEVERE && r.getMessage() != null
                && r.getMessage().startsWith("Check your environment")) && (previous == null || previous.isLoggable(r)));
    }

    /** Aparapi's platform enumeration (loads the OpenCL ICD loader and every installed driver). */
    static List<OpenCLDevice> systemDevices() {
        if (!OpenCLLoader.isOpenCLAvailable()) {
            throw new UnsatisfiedLinkError(NO_LIBRARY);
        }
        List<OpenCLDevice> all = new ArrayList<>();
        for (OpenCLPlatform p : new OpenCLPlatform().getOpenCLPlatforms()) {
            all.addAll(p.getOpenCLDevices());
        }
        return all;
    }

    /**
     * Picks a device: the requested type (for {@code auto}: GPU, then accelerator, then CPU), containing
     * {@code nameFilter} in its name if that is not empty, most compute units first.
     */
    static Choice choose(Lister lister, DeviceType type, String nameFilter) {
        List<OpenCLDevice> devices;
        try {
            devices = lister.devices();
        } catch (UnsatisfiedLinkError e) {
            return new Choice(null, NO_LIBRARY.equals(e.getMessage()) ? NO_LIBRARY
                    : NO_PLATFORM + " (loading OpenCL failed: " + e + ")");
        } catch (LinkageError | RuntimeException e) {
            return new Choice(null, NO_PLATFORM + " (loading OpenCL failed: " + e + ")");
        }
        if (devices == null || devices.isEmpty()) {
            return new Choice(null, NO_PLATFORM);
        }
        String filter = nameFilter == null ? "" : nameFilter.trim().toLowerCase(Locale.ROOT);
        List<Device.TYPE> order = switch (type) {
            case AUTO -> List.of(Device.TYPE.GPU, Device.TYPE.ACC, Device.TYPE.CPU);
            case GPU -> List.of(Device.TYPE.GPU);
            case ACCELERATOR -> List.of(Device.TYPE.ACC);
            case CPU -> List.of(Device.TYPE.CPU);
        };
        for (Device.TYPE t : order) {
            Optional<OpenCLDevice> best = devices.stream()
                    .filter(d -> d.getType() == t)
                    .filter(d -> filter.isEmpty() || name(d).toLowerCase(Locale.ROOT).contains(filter))
                    .max(Comparator.comparingInt(OpenCLDevice::getMaxComputeUnits));
            if (best.isPresent()) {
                return new Choice(best.get(), null);
            }
        }
        List<String> seen = devices.stream().map(OpenClDevices::describe).toList();
        return new Choice(null, "no OpenCL device matches device-type=" + kebab(type)
                + (filter.isEmpty() ? "" : " and device-name containing '" + nameFilter.trim() + "'")
                + "; devices found: " + seen + "; change device-type / device-name or install a driver for the "
                + "wanted device");
    }

    /** One line for logs and results: name, type, platform, compute units, memory. */
    static String describe(OpenCLDevice d) {
        String platform = d.getOpenCLPlatform() == null ? "?" : d.getOpenCLPlatform().getName();
        return String.format(Locale.ROOT, "%s (%s, platform '%s', %d compute units, %.1f GiB)", name(d),
                typeName(d.getType()), platform, d.getMaxComputeUnits(), d.getGlobalMemSize() / (double) (1L << 30));
    }

    static String name(OpenCLDevice d) {
        String n = d.getName();
        return n == null ? "unnamed device" : n.trim();
    }

    static String typeName(Device.TYPE t) {
        return switch (t) {
            case GPU -> "GPU";
            case ACC -> "accelerator";
            case CPU -> "CPU";
            default -> t.name();
        };
    }

    static String kebab(DeviceType t) {
        return t.name().toLowerCase(Locale.ROOT);
    }

    /**
     * A warning when the JVM does not chain signal handlers: LLVM-based OpenCL drivers (PoCL) replace the JVM's
     * handlers, which crashes the JVM now and then unless {@code libjsig.so} is preloaded.
     *
     * @return the warning, or an empty string
     */
    static String signalChainingWarning() {
        String preload = System.getenv("LD_PRELOAD");
        if (preload != null && preload.contains("libjsig")) {
            return "";
        }
        return "; WARNING: LD_PRELOAD does not name libjsig.so: OpenCL drivers built on LLVM (PoCL) can crash the JVM "
                + "with SIGSEGV; start the JVM with LD_PRELOAD=" + System.getProperty("java.home") + "/lib/libjsig.so";
    }
}
