package org.forward4j.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ParallelTest {

    @Test
    void orderedCommitsInTaskOrderWithABoundedNumberOfResultsAlive() {
        for (int threads : new int[] {1, 2, 3}) {
            try (Parallel p = new Parallel(threads)) {
                AtomicInteger started = new AtomicInteger();
                AtomicInteger committed = new AtomicInteger();
                AtomicInteger mostAlive = new AtomicInteger();
                List<Integer> order = new ArrayList<>();
                p.ordered(50, i -> {
                    int alive = started.incrementAndGet() - committed.get();
                    mostAlive.accumulateAndGet(alive, Math::max);
                    // uneven task lengths, so later tasks often finish first
                    long spin = (i % 3 == 0 ? 200_000L : 1_000L);
                    double x = 0;
                    for (long k = 0; k < spin; k++) {
                        x += Math.sqrt(k);
                    }
                    return x >= 0 ? i : -1;
                }, r -> {
                    order.add(r);
                    committed.incrementAndGet();
                });
                List<Integer> want = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    want.add(i);
                }
                assertThat(order).as("%d threads", threads).isEqualTo(want);
                assertThat(mostAlive.get()).as("%d threads", threads).isLessThanOrEqualTo(Math.max(1, p.window()));
            }
        }
    }

    @Test
    void aFailingTaskFailsTheCallWithItsOwnException() {
        try (Parallel p = new Parallel(2)) {
            assertThatThrownBy(() -> p.ordered(10, i -> {
                if (i == 4) {
                    throw new IllegalStateException("task 4 broke");
                }
                return i;
            }, r -> { })).isInstanceOf(IllegalStateException.class).hasMessage("task 4 broke");
        }
    }
}
