package org.forward4j.backprop;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.Pointer;

/**
 * Measures the peak memory of a stretch of work in this JVM, the same way for a backprop run and a forward run so
 * the two can be compared.
 *
 * <ul>
 *   <li><b>Heap</b>: {@link System#gc()} first (so garbage of earlier work does not count), then the JVM's heap
 *       memory pools' peak usage is reset and, at {@link #stop()}, their peaks are summed. Each pool peaks at its
 *       own moment, so the sum is an upper bound of the simultaneous peak; it includes garbage not yet collected,
 *       that is, the heap the work needed under the JVM's collector.</li>
 *   <li><b>Off-heap</b>: ND4J 1.0.0-M2.1 on the CPU allocates its arrays in native code that no Java counter sees
 *       ({@code Pointer.totalBytes()} and ND4J's {@code AllocationsTracker} stay flat while arrays are created), so
 *       native memory is measured by the operating system as the process's resident set (RSS), which holds the
 *       heap in use, ND4J's buffers, native libraries and JIT code alike. On Linux the kernel's exact high-water
 *       mark {@code VmHWM} is reset at {@link #start()} (writing {@code 5} to {@code /proc/self/clear_refs}) and
 *       read at {@link #stop()}; where that is not possible the peak is the largest RSS seen by {@link #sample()}
 *       calls and {@link Usage#rssPeakExact()} is false.</li>
 * </ul>
 *
 * Work running concurrently in the same JVM is counted too: measure one run at a time.
 */
public final class PeakMemory {

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private final long baselineRss;
    private final boolean exact;
    private long sampledRss;

    private PeakMemory(long baselineRss, boolean exact) {
        this.baselineRss = baselineRss;
        this.exact = exact;
        this.sampledRss = baselineRss;
    }

    /**
     * Starts a measurement: collects garbage, resets the heap pools' peaks and the process's RSS high-water mark.
     *
     * @return the running measurement
     */
    public static PeakMemory start() {
        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
        boolean exact = resetHighWaterMark();
        return new PeakMemory(Pointer.physicalBytes(), exact);
    }

    /** Records the current RSS; only matters where the kernel's high-water mark could not be reset. */
    public void sample() {
        sampledRss = Math.max(sampledRss, Pointer.physicalBytes());
    }

    /**
     * Ends the measurement.
     *
     * @return the peaks since {@link #start()}
     */
    public Usage stop() {
        sample();
        long heap = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                heap += pool.getPeakUsage().getUsed();
            }
        }
        long hwm = exact ? highWaterMark() : -1;
        boolean ok = hwm > 0;
        return new Usage(heap, ok ? Math.max(hwm, sampledRss) : sampledRss, baselineRss, ok);
    }

    private static boolean resetHighWaterMark() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return highWaterMark() > 0;
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            // not Linux, or /proc is read-only here: fall back to sampling, reported through rssPeakExact
            return false;
        }
    }

    /** VmHWM of /proc/self/status in bytes, or -1 where it cannot be read. */
    private static long highWaterMark() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmHWM:")) {
                    String[] p = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(p[0]) * 1024L;
                }
            }
        } catch (IOException | SecurityException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /**
     * Peak memory of a measured stretch.
     *
     * @param peakHeapBytes sum of the heap pools' peak usage (an upper bound of the simultaneous peak, garbage
     *     included)
     * @param peakRssBytes the process's peak resident set: heap in use, ND4J's native buffers, libraries, code
     * @param baselineRssBytes the resident set at the start
     * @param rssPeakExact true when the peak is the kernel's high-water mark, false when it is the largest of the
     *     {@link #sample()} readings
     */
    public record Usage(long peakHeapBytes, long peakRssBytes, long baselineRssBytes, boolean rssPeakExact) {

        /**
         * How far the resident set grew above its level at the start.
         *
         * @return {@code peakRssBytes - baselineRssBytes}, at least 0
         */
        public long rssGrowthBytes() {
            return Math.max(0, peakRssBytes - baselineRssBytes);
        }
    }
}
