package org.forward4j.allocator.optimal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Map;
import org.forward4j.allocator.Allocation;
import org.forward4j.allocator.AllocationRequest;
import org.forward4j.allocator.QueryAllocator;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.tck.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Properties every allocator must have on many random requests (docs/method.md §1, §3.4): exact sum, bounds,
 * determinism for a seed, invariance to the order of the batch, and sane behaviour on degenerate proxies.
 * The learning allocators also observe synthetic statistics after every step, so the properties are checked
 * on learned states, not only on the initial one.
 */
class AllocatorPropertiesTest {

    private static final long SEED = 0x5EEDL;
    private static final int STEPS = 300;

    @ParameterizedTest
    @ValueSource(strings = {"uniform", "optimal", "neyman"})
    void sumBoundsDeterminismAndOrderInvariance(String name) {
        QueryAllocator first = Allocators.create(name);
        QueryAllocator twin = Allocators.create(name);
        QueryAllocator permuted = Allocators.create(name);
        for (int t = 0; t < STEPS; t++) {
            // the tck's random requests (sizes, bounds, budgets, five kinds of proxies) and synthetic statistics
            Fixtures.AllocationScenario s = Fixtures.allocationScenario(SEED, t);
            AllocationRequest r = s.request();
            Allocation a = first.allocate(r);
            String where = name + " step " + t + " " + r + " seed " + SEED;
            a.validate(r, name);
            assertThat(a.total()).as(where).isEqualTo(r.totalDraws());
            for (int i = 0; i < r.batchSize(); i++) {
                assertThat(a.draws(i)).as(where).isBetween(r.minDraws(), r.maxDraws());
            }
            assertThat(twin.allocate(r)).as("determinism, " + where).isEqualTo(a);
            Allocation p = permuted.allocate(s.permuted());
            for (int j = 0; j < r.batchSize(); j++) {
                assertThat(p.draws(j)).as("order invariance at permuted position %d, %s", j, where)
                        .isEqualTo(a.draws(s.permutation()[j]));
            }
            first.observe(Fixtures.statistics(r, a));
            twin.observe(Fixtures.statistics(r, a));
            permuted.observe(Fixtures.statistics(s.permuted(), p));
        }
        assertStateEquals(first.saveState(), twin.saveState());
        assertStateEquals(first.saveState(), permuted.saveState());
    }

    private static void assertStateEquals(Map<String, double[]> x, Map<String, double[]> y) {
        assertThat(x.keySet()).isEqualTo(y.keySet());
        for (String k : x.keySet()) {
            assertThat(x.get(k)).as("state entry %s, seed %d", k, SEED).containsExactly(y.get(k));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"uniform", "optimal", "neyman"})
    void allEqualProxiesGiveAValidAllocation(String name) {
        double[] proxies = new double[37];
        Arrays.fill(proxies, 0.1);        // 0.1 is not exact in binary: the batch mean differs from it by rounding
        int[] ids = new int[37];
        Arrays.setAll(ids, i -> 7 * i);
        AllocationRequest r = new AllocationRequest(SEED, 3, ids, proxies, 37 * 6 + 5, 2, 40);
        Allocation a = Allocators.create(name).allocate(r).validate(r, name);
        assertThat(a.total()).isEqualTo(37 * 6 + 5);
        if (!name.equals("optimal")) {
            // proxies carry no information and nothing was observed: the allocation is uniform
            assertThat(Arrays.stream(a.draws()).boxed().toList()).allSatisfy(d -> assertThat(d).isBetween(6, 7));
        }
        assertThat(OptimalQueryAllocator.standardise(proxies)).containsOnly(0.0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"uniform", "optimal", "neyman"})
    void oneBatchPointGetsTheWholeBudget(String name) {
        AllocationRequest r = new AllocationRequest(SEED, 0, new int[] {5}, new double[] {2.0}, 9, 1, 9);
        assertThat(Allocators.create(name).allocate(r).draws()).containsExactly(9);
    }

    @ParameterizedTest
    @ValueSource(strings = {"uniform", "optimal", "neyman"})
    void nanProxyIsRejectedWithItsPosition(String name) {
        assertThatThrownBy(() -> Allocators.create(name).allocate(new AllocationRequest(SEED, 0,
                new int[] {10, 11, 12}, new double[] {1.0, 2.0, Double.NaN}, 9, 1, 9)))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Proxy of batch point 2 (row 12) is NaN; proxies must be finite "
                        + "(check the loss of that data point)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"uniform", "optimal", "neyman"})
    void budgetBelowTheMinimumIsRejected(String name) {
        assertThatThrownBy(() -> Allocators.create(name).allocate(new AllocationRequest(SEED, 0,
                new int[] {1, 2, 3, 4}, new double[] {1, 2, 3, 4}, 7, 2, 9)))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Budget of 7 draws is below batch size 4 x min-draws 2 = 8; raise the query budget "
                        + "or lower min-draws");
    }
}
