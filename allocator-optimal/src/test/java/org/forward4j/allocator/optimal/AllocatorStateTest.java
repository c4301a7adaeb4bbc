package org.forward4j.allocator.optimal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.forward4j.allocator.Allocation;
import org.forward4j.allocator.AllocationRequest;
import org.forward4j.allocator.PointStatistics;
import org.forward4j.allocator.QueryAllocator;
import org.forward4j.plugin.InvalidDataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Checkpointing of learned state and matching of statistics to allocations. */
class AllocatorStateTest {

    private static final long SEED = 99L;
    private static final int B = 16;

    private static AllocationRequest request(long step) {
        int[] ids = new int[B];
        double[] proxies = new double[B];
        for (int i = 0; i < B; i++) {
            ids[i] = (int) ((step * 5 + i) % 40);
            proxies[i] = 0.2 + ((i * 7 + step * 3) % 11) / 4.0;
        }
        return new AllocationRequest(SEED, step, ids, proxies, B * 6, 1, 30);
    }

    private static PointStatistics statistics(AllocationRequest r, Allocation a) {
        double[] v = new double[B];
        for (int i = 0; i < B; i++) {
            v[i] = Math.pow(0.1 + r.proxy(i), 2) * (1 + 0.3 * Math.sin(r.step() * 13.0 + i));
        }
        return new PointStatistics(r.step(), r.pointIds(), r.proxies(), a.draws(), v, new double[B]);
    }

    private static void train(QueryAllocator allocator, int from, int to) {
        for (int t = from; t < to; t++) {
            AllocationRequest r = request(t);
            allocator.observe(statistics(r, allocator.allocate(r)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"optimal", "neyman"})
    void restoredStateContinuesExactly(String name) {
        QueryAllocator original = Allocators.create(name);
        train(original, 0, 50);
        Map<String, double[]> saved = original.saveState();
        QueryAllocator restored = Allocators.create(name);
        restored.restoreState(saved);
        for (int t = 50; t < 80; t++) {
            AllocationRequest r = request(t);
            Allocation a = original.allocate(r);
            assertThat(restored.allocate(r)).as("%s step %d, seed %d", name, t, SEED).isEqualTo(a);
            original.observe(statistics(r, a));
            restored.observe(statistics(r, a));
        }
        assertThat(restored.saveState().keySet()).isEqualTo(original.saveState().keySet());
        original.saveState().forEach((k, v) -> assertThat(restored.saveState().get(k)).containsExactly(v));
    }

    @Test
    void optimalLearnsOnlyFromTheBatchItAllocated() {
        OptimalQueryAllocator allocator = (OptimalQueryAllocator) Allocators.create("optimal");
        train(allocator, 0, 20);
        double[] before = allocator.phi();
        AllocationRequest r = request(20);
        Allocation a = allocator.allocate(r);
        PointStatistics good = statistics(r, a);
        // another step
        allocator.observe(new PointStatistics(21, good.pointIds(), good.proxies(), good.draws(),
                good.perDrawVariance(), good.meanLoss()));
        assertThat(allocator.phi()).containsExactly(before);
        // same step, other points
        int[] otherIds = good.pointIds().clone(); // PointStatistics hands out its own array
        otherIds[0] = 12345;
        allocator.observe(new PointStatistics(20, otherIds, good.proxies(), good.draws(), good.perDrawVariance(),
                good.meanLoss()));
        assertThat(allocator.phi()).containsExactly(before);
        allocator.observe(good);
        double[] after = allocator.phi();
        assertThat(after).isNotEqualTo(before);
        allocator.observe(good); // the same statistics again: already learnt from
        assertThat(allocator.phi()).containsExactly(after);
    }

    @Test
    void optimalStateHoldsPhiAndBaseline() {
        QueryAllocator fresh = Allocators.create("optimal");
        assertThat(fresh.saveState()).containsOnlyKeys("phi");
        assertThat(fresh.saveState().get("phi")).containsExactly(0, 1, -1.5, 0);
        train(fresh, 0, 3);
        assertThat(fresh.saveState()).containsOnlyKeys("phi", "baseline");
    }

    @Test
    void malformedStatesAreRejected() {
        QueryAllocator optimal = Allocators.create("optimal");
        assertThatThrownBy(() -> optimal.restoreState(Map.of("phi", new double[3])))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("State of allocator 'optimal' needs 'phi' with 4 values (a, b, log s, log l), got 3 "
                        + "values; restore a state saved by the 'optimal' allocator");
        assertThatThrownBy(() -> optimal.restoreState(Map.of("phi", new double[] {0, Double.NaN, 0, 0})))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("State of allocator 'optimal' has phi[1] = NaN; every parameter must be finite");
        QueryAllocator neyman = Allocators.create("neyman");
        assertThatThrownBy(() -> neyman.restoreState(Map.of("point-ids", new double[] {1, 2},
                "variance-ema", new double[] {1})))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("State of allocator 'neyman' needs 'point-ids' and 'variance-ema' of equal length, got "
                        + "2 values and 1 values; restore a state saved by the 'neyman' allocator");
        assertThatThrownBy(() -> neyman.restoreState(Map.of("point-ids", new double[] {1.5},
                "variance-ema", new double[] {1})))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("State of allocator 'neyman' has point id 1.5 at entry 0; point ids are integers");
    }
}
