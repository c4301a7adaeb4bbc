package org.forward4j.backend.opencl;

import com.aparapi.Config;
import com.aparapi.Kernel;
import com.aparapi.Range;
import com.aparapi.device.Device;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.exception.QueryFailedException;
import com.aparapi.internal.kernel.KernelManager;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.BackendUnavailableException;

/**
 * One {@link NetworkKernel} bound to one OpenCL device, in explicit buffer mode, with a check after every launch
 * that Aparapi really ran it there: Aparapi silently falls back to a Java thread pool when compiling or running on
 * the device fails, and this backend must never do that (it would be correct but orders of magnitude slower, and
 * would misreport where it ran).
 */
final class KernelSession implements AutoCloseable {

    /** Local memory one forward or gradient work-group needs, in bytes. */
    static final long LOCAL_BYTES = 4L * (2L * NetworkKernel.TK * NetworkKernel.LDS
            + (long) NetworkKernel.TILE * NetworkKernel.LDS + NetworkKernel.GROUP);

    private static final Logger APARAPI_LOG = Logger.getLogger(Config.getLoggerName());
    private static final LastProblem LAST_PROBLEM = new LastProblem();

    private final OpenCLDevice device;
    private final String description;
    final NetworkKernel kernel;
    private boolean closed;

    /**
     * Creates the kernel and runs a one-element probe, so that a device that cannot compile or run it is reported
     * here rather than in the middle of training.
     *
     * @param device the device
     * @throws BackendUnavailableException if the device lacks the resources the kernel needs, or the probe did not
     *     run on it
     */
    KernelSession(OpenCLDevice device) {
        this.device = device;
        this.description = OpenClDevices.describe(device);
        if (device.getMaxWorkGroupSize() < NetworkKernel.GROUP) {
            throw new BackendUnavailableException("OpenCL device " + description + " allows work-groups of "
                    + device.getMaxWorkGroupSize() + " items, but the opencl backend's kernels need "
                    + NetworkKernel.GROUP + "; choose another device with device-type / device-name, or use the cpu "
                    + "backend");
        }
        if (device.getLocalMemSize() < LOCAL_BYTES) {
            throw new BackendUnavailableException("OpenCL device " + description + " has " + device.getLocalMemSize()
                    + " bytes of local memory, but the opencl backend's kernels need " + LOCAL_BYTES
                    + "; choose another device with device-type / device-name, or use the cpu backend");
        }
        captureAparapiWarnings();
        this.kernel = new NetworkKernel();
        kernel.setExplicit(true);
        LinkedHashSet<Device> only = new LinkedHashSet<>();
        only.add(device);
        KernelManager.instance().setPreferredDevices(kernel, only);
        try {
            noise(new NoiseStream(0L, 0, 0, 0), NoiseStream.Distribution.GAUSSIAN, 0, 1, new int[1], new float[1]);
            int maxGroup = kernel.getKernelMaxWorkGroupSize(device);
            if (maxGroup < NetworkKernel.GROUP) {
                throw new BackendUnavailableException("OpenCL device " + description + " can run the opencl "
                        + "backend's kernel with at most " + maxGroup + " items per work-group (register pressure), "
                        + "but it needs " + NetworkKernel.GROUP + "; choose another device or use the cpu backend");
            }
        } catch (QueryFailedException e) {
            kernel.dispose();
            throw new BackendUnavailableException("Could not query the opencl backend's kernel on " + description
                    + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            kernel.dispose();
            throw e;
        }
    }

    /** Starts remembering Aparapi's warnings (the reasons of fallbacks) for {@link #verify}. */
    static void captureAparapiWarnings() {
        LAST_PROBLEM.install();
    }

    /**
     * The device.
     *
     * @return the device this session runs on
     */
    OpenCLDevice device() {
        return device;
    }

    /**
     * A one-line description of the device.
     *
     * @return name, type, platform, compute units, memory
     */
    String description() {
        return description;
    }

    /** Runs a one-dimensional routine over {@code items} work-items (rounded up to whole work-groups). */
    void launch(int pass, int items) {
        int global = roundUp(Math.max(items, 1), NetworkKernel.LINEAR_GROUP);
        kernel.pass = pass;
        execute(Range.create(global, NetworkKernel.LINEAR_GROUP));
    }

    /** Runs a tiled routine over {@code groupsX x groupsY} work-groups of 16 x 16 items. */
    void launchTiles(int pass, int groupsX, int groupsY) {
        kernel.pass = pass;
        execute(Range.create2D(groupsX * NetworkKernel.TS, groupsY * NetworkKernel.TS, NetworkKernel.TS,
                NetworkKernel.TS));
    }

    private void execute(Range range) {
        if (closed) {
            throw new IllegalStateException("This opencl evaluator's backend was closed; create a new backend");
        }
        LAST_PROBLEM.clear();
        kernel.execute(range);
        verify(kernel, device, description);
    }

    /**
     * Throws if Aparapi did not run the last launch of {@code k} on {@code device} (it falls back to Java after a
     * compile or launch failure, marking the device failed in the kernel class's preferences).
     *
     * @param k the kernel just executed
     * @param device the device it must have run on
     * @param description the device, for the message
     * @throws BackendUnavailableException on a fallback, with Aparapi's reason
     */
    static void verify(Kernel k, OpenCLDevice device, String description) {
        Device target = k.getTargetDevice();
        List<Device> failed = KernelManager.instance().getPreferences(k).getFailedDevices();
        if (target == null || target.getDeviceId() != device.getDeviceId() || !failed.isEmpty()) {
            String reason = LAST_PROBLEM.get();
            throw new BackendUnavailableException("Aparapi did not run " + k.getClass().getSimpleName()
                    + " on OpenCL device " + description + " and fell back to "
                    + (target == null ? "Java (JTP)" : target.getShortDescription())
                    + "; the opencl backend never runs in Java. Reason: "
                    + (reason.isEmpty() ? "see the Aparapi log above" : reason)
                    + ". Failed devices for this kernel class in this JVM: " + failed
                    + ". Use the cpu backend, or fix the OpenCL driver");
        }
    }

    /**
     * Generates noise elements {@code start .. start + n - 1} of a stream on the device.
     *
     * @param stream the stream (seed, step, draw, tensor)
     * @param dist the distribution
     * @param start first element
     * @param n how many
     * @param words receives each element's Philox word
     * @param values receives the elements
     */
    void noise(NoiseStream stream, NoiseStream.Distribution dist, int start, int n, int[] words, float[] values) {
        if (kernel.noiseWords.length < n) {
            kernel.noiseWords = new int[n];
            kernel.noiseValues = new float[n];
        }
        kernel.key0 = (int) stream.seed();
        kernel.key1 = (int) (stream.seed() >>> 32);
        kernel.step = (int) stream.step();
        kernel.noiseDraw = stream.draw();
        kernel.noiseTensor = stream.tensor();
        kernel.noiseStart = start;
        kernel.count = n;
        kernel.gaussian = dist == NoiseStream.Distribution.GAUSSIAN ? 1 : 0;
        launch(NetworkKernel.PASS_NOISE, n);
        kernel.get(kernel.noiseWords);
        kernel.get(kernel.noiseValues);
        System.arraycopy(kernel.noiseWords, 0, words, 0, n);
        System.arraycopy(kernel.noiseValues, 0, values, 0, n);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            kernel.dispose();
        }
    }

    static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }

    /** Remembers Aparapi's last warning, which carries the reason of a fallback. */
    private static final class LastProblem extends Handler {
        private volatile String last = "";
        private boolean installed;

        synchronized void install() {
            if (!installed) {
                installed = true;
                APARAPI_LOG.addHandler(this);
            }
        }

        void clear() {
            last = "";
        }

        String get() {
            return last;
        }

        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                String msg = r.getMessage() == null ? "" : r.getMessage();
                if (msg.startsWith("Aparapi is running on an untested OpenCL platform")) {
                    return;
                }
                if (r.getThrown() != null) {
                    msg = msg + " (" + r.getThrown() + ")";
                }
                last = last.isEmpty() ? msg : last + "; " + msg;
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
