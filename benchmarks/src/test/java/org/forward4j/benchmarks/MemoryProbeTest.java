package org.forward4j.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The live-heap measure sees what an operation holds and not the garbage it makes. */
class MemoryProbeTest {

    private static final int HELD = 64 << 20;

    /** Keeps the allocations observable to the JIT. */
    private static volatile long sink;

    @Test
    void liveHeapCountsAHeldArrayButNotGarbage() {
        MemoryProbe probe = new MemoryProbe();
        long held = probe.peakLiveHeap(() -> {
            byte[] big = new byte[HELD];
            big[HELD - 1] = 1;
            churn(300);
            sink += big[HELD - 1];
        });
        long garbageOnly = probe.peakLiveHeap(() -> churn(300));
        assertThat(held).as("a %d-byte array held for the whole operation", HELD)
                .isBetween((long) HELD, (long) HELD + (32L << 20));
        assertThat(garbageOnly).as("1 MB arrays dropped at once").isLessThan(16L << 20);
    }

    /** Allocates and drops 1 MB arrays for about {@code millis} milliseconds (several GB of garbage). */
    private static void churn(long millis) {
        long end = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < end) {
            byte[] garbage = new byte[1 << 20];
            garbage[garbage.length - 1] = 1;
            sink += garbage[garbage.length - 1];
        }
    }
}
