package org.forward4j.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time used by the JVM's threads between two points: the sum over threads of their CPU-time differences. On a
 * machine shared with other jobs the wall time of a step depends on how much of the CPUs the other jobs left, while
 * its CPU time barely does, so the {@code bench} table reports a CPU-time fraction of plain next to the wall-time
 * one. Includes collector and compiler threads.
 */
public final class CpuTime {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private CpuTime() {
    }

    /**
     * Whether the JVM measures per-thread CPU time.
     *
     * @return true when supported and enabled
     */
    public static boolean available() {
        return THREADS.isThreadCpuTimeSupported() && THREADS.isThreadCpuTimeEnabled();
    }

    /**
     * The CPU time of every live thread so far.
     *
     * @return nanoseconds by thread id (empty when unavailable)
     */
    public static Map<Long, Long> snapshot() {
        Map<Long, Long> out = new HashMap<>();
        if (available()) {
            for (long id : THREADS.getAllThreadIds()) {
                long t = THREADS.getThreadCpuTime(id);
                if (t >= 0) {
                    out.put(id, t);
                }
            }
        }
        return out;
    }

    /**
     * Seconds of CPU used since a snapshot by the threads alive now, except one.
     *
     * @param base the earlier snapshot
     * @param excluded a thread id left out (the memory probe's sampler), or -1
     * @return the seconds, or NaN when unavailable
     */
    public static double secondsSince(Map<Long, Long> base, long excluded) {
        if (!available()) {
            return Double.NaN;
        }
        long sum = 0;
        for (Map.Entry<Long, Long> e : snapshot().entrySet()) {
            if (e.getKey() != excluded) {
                sum += e.getValue() - base.getOrDefault(e.getKey(), 0L);
            }
        }
        return sum / 1e9;
    }
}
