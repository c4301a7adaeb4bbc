package org.forward4j.allocator.optimal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Map;
import org.forward4j.allocator.Allocation;
import org.forward4j.allocator.AllocationRequest;
import org.forward4j.allocator.PointStatistics;
import org.forward4j.allocator.QueryAllocator;
import org.forward4j.noise.Philox;
import org.forward4j.plugin.InvalidConfigurationException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Properties every allocator must have on many random requests (method.md §1, §3.4): exact sum, bounds,
 * determinism for a seed, invariance to the order of the batch, and sane behaviour on degenerate proxies.
 * The learning allocators also observe synthetic statistics after every step, so the properties are checked
 * on learned states, not only on the initial one.
 */
class AllocatorPropertiesTest {

    private static final long SEED = 0x5EEDL;
    private static final int STEPS = 300;
    private static final int POOL = 300;

    /** One generated step: the request in batch order and a permutation of it. */
    private record Scenario(AllocationRequest request, AllocationRequest permuted, int[] perm) {
    }

    private static Scenario scenario(TestRandom rnd, long step) {
        int b = 1 + rnd.nextInt(100);
        int min = 1 + rnd.nextInt(3);
        int max = switch (rnd.nextInt(3)) {
            case 0 -> min;
            case 1 -> min + 1 + rnd.nextInt(10);
            default -> 10_000;
        };
        long span = (long) b * (max - min);
        int total = (int) (b * min + Math.min(span, rnd.nextInt((int) Math.min(span, 5_000) + 1)));
        int[] pool = new int[POOL];
        for (int i = 0; i < POOL; i++) {
            pool[i] = 1000 + i;
        }
        rnd.shuffle(pool);
        int[] ids = Arrays.copyOf(pool, b);
        double[] proxies = new double[b];
        int kind = rnd.nextInt(5);
        double constant = 0.5 + rnd.nextDouble();
        for (int i = 0; i < b; i++) {
            proxies[i] = switch (kind) {
                case 0 -> 5 * rnd.nextDouble();
                case 1 -> Math.exp(rnd.nextGaussian());
                case 2 -> constant;                         // all equal
                case 3 -> 1 + rnd.nextInt(3);               // many ties
                default -> rnd.nextGaussian();              // negative proxies too
            };
        }
        int[] perm = new int[b];
        for (int i = 0; i < b; i++) {
            perm[i] = i;
        }
        rnd.shuffle(perm);
        int[] pIds = new int[b];
        double[] pProxies = new double[b];
        for (int j = 0; j < b; j++) {
            pIds[j] = ids[perm[j]];
            pProxies[j] = proxies[perm[j]];
        }
        return new Scenario(new AllocationRequest(SEED, step, ids, proxies, total, min, max),
                new AllocationRequest(SEED, step, pIds, pProxies, total, min, max), perm);
    }

    /** Synthetic statistics: a per-draw variance that depends on the point and step only, not on the order. */
    private static PointStatistics statistics(AllocationRequest r, Allocation a) {
        int b = r.batchSize();
        double[] v = new double[b];
        int[] w = new int[4];
        for (int i = 0; i < b; i++) {
            Philox.block(r.pointId(i), (int) r.step(), 0, 0x57A7, 11, 12, w);
            double noise = -Math.log(Philox.uniform(w[0])); // exponential, mean 1
            v[i] = Math.pow(0.1 + Math.abs(r.proxy(i)), 2) * noise;
        }
        return new PointStatistics(r.step(), r.pointIds(), r.proxies(), a.draws(), v, new double[b]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"uniform", "optimal", "neyman"})
    void sumBoundsDeterminismAndOrderInvariance(String name) {
        QueryAllocator first = Allocators.create(name);
        QueryAllocator twin = Allocators.create(name);
        QueryAllocator permuted = Allocators.create(name);
        TestRandom rnd = new TestRandom(SEED, 1);
        for (int t = 0; t < STEPS; t++) {
            Scenario s = scenario(rnd, t);
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
                        .isEqualTo(a.draws(s.perm()[j]));
            }
            first.observe(statistics(r, a));
            twin.observe(statistics(r, a));
            permuted.observe(statistics(s.permuted(), p));
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
