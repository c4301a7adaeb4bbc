package org.forward4j.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;

/**
 * Measures the memory one operation (an estimator step) needs, in three numbers (method of the {@code bench}
 * table's memory columns):
 * <ul>
 *   <li><b>allocated bytes</b>: heap bytes allocated by all threads during the operation (the caller and the
 *       backend's workers), from {@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}; exact, and
 *       independent of when the collector runs;</li>
 *   <li><b>peak heap</b>: the highest used heap sampled every millisecond during the operation, over the used heap
 *       right after a full collection before it. An upper bound of the operation's live heap, since it includes
 *       garbage the collector has not reclaimed yet;</li>
 *   <li><b>peak native</b>: the highest number of bytes in use by the C allocator ({@link NativeHeap}, glibc's
 *       {@code mallinfo2}), sampled every {@value #NATIVE_EVERY} milliseconds (a sample costs about a millisecond)
 *       and at the end, over the same figure after the collection: ND4J's off-heap arrays. ND4J frees a native
 *       buffer only when the collector reclaims its Java wrapper, so this is the peak for the collection schedule
 *       the run had; with no collection during the operation it is everything it allocated natively. -1 where
 *       glibc's statistics are unavailable.</li>
 * </ul>
 * and, by {@link #peakLiveHeap(Runnable)} in a separate run of the operation, <b>peak live heap</b>: full collections
 * forced every {@value #LIVE_EVERY_MILLIS} ms during the operation, each one's own record of the heap in use after
 * it, which is what the operation holds at that moment (its garbage is gone); the highest over the collected
 * baseline. This is the measure of "memory a step needs" that does not depend on when the collector
 * happens to run; the forced collections slow the operation, so that run is never timed.
 * One probe measures one operation at a time; it is not thread-safe.
 */
public final class MemoryProbe {

    /** The memory of one operation.
     *
     * @param allocatedBytes heap bytes allocated by all threads (-1 when the JVM cannot count them)
     * @param peakHeapBytes peak sampled used heap over the collected baseline
     * @param peakNativeBytes peak sampled native (malloc) bytes in use over the baseline (-1 if unknown)
     */
    public record Usage(long allocatedBytes, long peakHeapBytes, long peakNativeBytes) {
    }

    private static final long SAMPLE_NANOS = 1_000_000L;

    /** Native samples are taken every this many heap samples (milliseconds). */
    static final int NATIVE_EVERY = 10;

    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final com.sun.management.ThreadMXBean allocations;

    private volatile boolean sampling;
    private volatile long peakHeap;
    private volatile long peakNative;
    private Thread sampler;
    private long baseHeap;
    private long baseNative;
    private java.util.Map<Long, Long> baseAllocated = java.util.Map.of();

    /** Creates a probe; enables per-thread allocation counting where the JVM supports it. */
    public MemoryProbe() {
        com.sun.management.ThreadMXBean a = threads instanceof com.sun.management.ThreadMXBean sun ? sun : null;
        if (a != null && a.isThreadAllocatedMemorySupported()) {
            a.setThreadAllocatedMemoryEnabled(true);
        } else {
            a = null;
        }
        this.allocations = a;
    }

    /**
     * Collects garbage, records the baselines and starts sampling. Call right before the operation.
     */
    public void start() {
        if (sampling) {
            throw new IllegalStateException("the probe is already measuring an operation");
        }
        collect();
        baseHeap = heapUsed();
        baseNative = NativeHeap.inUse();
        peakHeap = baseHeap;
        peakNative = baseNative;
        sampling = true;
        sampler = new Thread(this::sample, "forward4j-memory-probe");
        sampler.setDaemon(true);
        sampler.start();
        baseAllocated = allocatedByThread();
    }

    /**
     * Stops sampling. Call right after the operation.
     *
     * @return the operation's memory
     */
    public Usage stop() {
        if (!sampling) {
            throw new IllegalStateException("the probe is not measuring an operation; call start() first");
        }
        long allocated = allocations == null ? -1 : allocatedSince(baseAllocated, sampler.getId());
        observe(true);
        sampling = false;
        try {
            sampler.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new Usage(allocated, Math.max(0, peakHeap - baseHeap),
                baseNative < 0 ? -1 : Math.max(0, peakNative - baseNative));
    }

    /**
     * The sampling thread's id while measuring (its own CPU time and allocations are not the operation's).
     *
     * @return the id, or -1 when not measuring
     */
    public long samplerThreadId() {
        Thread t = sampler;
        return sampling && t != null ? t.getId() : -1;
    }

    /** Milliseconds between forced collections in {@link #peakLiveHeap(Runnable)}. */
    static final int LIVE_EVERY_MILLIS = 25;

    /**
     * Runs an operation while a helper thread forces a full collection every {@value #LIVE_EVERY_MILLIS} ms and
     * reads the used heap right after it; the highest reading over the heap after a collection before the
     * operation is its peak live heap (at least one reading is taken, at the operation's start).
     *
     * @param operation the operation (its time is distorted by the collections)
     * @return peak live heap bytes over the baseline, at least 0
     */
    public long peakLiveHeap(Runnable operation) {
        collect();
        long base = heapAfterLastCollection();
        java.util.concurrent.atomic.AtomicLong peak = new java.util.concurrent.atomic.AtomicLong(base);
        java.util.concurrent.CountDownLatch first = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread collector = new Thread(() -> {
            do {
                System.gc();
                peak.accumulateAndGet(heapAfterLastCollection(), Math::max);
                first.countDown();
                try {
                    Thread.sleep(LIVE_EVERY_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            } while (running.get());
        }, "forward4j-live-heap");
        collector.setDaemon(true);
        collector.start();
        try {
            first.await();
            operation.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            running.set(false);
            try {
                collector.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return Math.max(0, peak.get() - base);
    }

    /**
     * Two full collections, then a pause so ND4J's deallocator thread frees the native buffers of collected arrays.
     */
    public static void collect() {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void sample() {
        long next = System.nanoTime();
        for (long tick = 1; sampling; tick++) {
            observe(tick % NATIVE_EVERY == 0);
            next += SAMPLE_NANOS;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
            } else {
                next = System.nanoTime();
            }
        }
    }

    private synchronized void observe(boolean withNative) {
        long heap = heapUsed();
        if (heap > peakHeap) {
            peakHeap = heap;
        }
        if (withNative) {
            long nat = NativeHeap.inUse();
            if (nat > peakNative) {
                peakNative = nat;
            }
        }
    }

    /**
     * The heap in use at the end of the most recent collection, as that collection recorded it (not a later
     * reading, which would include what other threads allocated since): the sum over heap pools of the latest
     * collection's usage-after-GC. Falls back to the current used heap where the JVM does not report it.
     */
    private long heapAfterLastCollection() {
        com.sun.management.GcInfo latest = null;
        for (java.lang.management.GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (bean instanceof com.sun.management.GarbageCollectorMXBean sun) {
                com.sun.management.GcInfo info = sun.getLastGcInfo();
                if (info != null && (latest == null || info.getEndTime() > latest.getEndTime())) {
                    latest = info;
                }
            }
        }
        if (latest == null) {
            return heapUsed();
        }
        long used = 0;
        for (java.lang.management.MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            java.lang.management.MemoryUsage after = pool.getType() == java.lang.management.MemoryType.HEAP
                    ? latest.getMemoryUsageAfterGc().get(pool.getName()) : null;
            if (after != null) {
                used += after.getUsed();
            }
        }
        return used;
    }

    private long heapUsed() {
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** Bytes allocated so far by each live thread. */
    private java.util.Map<Long, Long> allocatedByThread() {
        java.util.Map<Long, Long> out = new java.util.HashMap<>();
        if (allocations != null) {
            long[] ids = threads.getAllThreadIds();
            long[] bytes = allocations.getThreadAllocatedBytes(ids);
            for (int i = 0; i < ids.length; i++) {
                if (bytes[i] >= 0) {
                    out.put(ids[i], bytes[i]);
                }
            }
        }
        return out;
    }

    /**
     * Bytes allocated since {@code base} by the threads alive now (threads that ended in between are lost: the JVM
     * forgets their counts, which is why the per-thread difference is taken rather than a difference of sums).
     */
    private long allocatedSince(java.util.Map<Long, Long> base, long excluded) {
        long sum = 0;
        for (java.util.Map.Entry<Long, Long> e : allocatedByThread().entrySet()) {
            if (e.getKey() != excluded) {
                sum += e.getValue() - base.getOrDefault(e.getKey(), 0L);
            }
        }
        return sum;
    }
}
