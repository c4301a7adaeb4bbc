package org.forward4j.allocator.optimal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.forward4j.allocator.Allocation;
import org.forward4j.allocator.AllocationRequest;
import org.forward4j.allocator.Allocations;
import org.forward4j.allocator.PointStatistics;
import org.forward4j.allocator.QueryAllocator;
import org.forward4j.plugin.Settings;
import org.junit.jupiter.api.Test;

/** {@code neyman} (docs/method.md §3.3) against the relaxed optimum of docs/method.md §3.1 on batches with known sigma_i. */
class NeymanQueryAllocatorTest {

    private static final long SEED = 77L;

    private static PointStatistics exact(long step, int[] ids, double[] sigma) {
        double[] v = new double[sigma.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = sigma[i] * sigma[i];
        }
        int[] ones = new int[ids.length];
        Arrays.fill(ones, 1);
        return new PointStatistics(step, ids, sigma, ones, v, new double[ids.length]);
    }

    /**
     * With exact sigma_i and A* = D sigma_i / sum sigma inside the bounds, largest-remainder rounding gives
     * A_i = A*_i + delta_i with |delta_i| < 1 and sum delta_i = 0. Because sigma_i^2 / A*_i^2 is the same for every
     * point, the first-order term of V(A) - V* cancels and exactly V(A)/V* - 1 = (1/D) sum_i delta_i^2 / A_i,
     * which is below (1/D) sum_i 1/A_i: the rounding bound asserted here.
     */
    @Test
    void matchesTheRelaxedOptimumUpToRounding() {
        TestRandom rnd = new TestRandom(SEED, 3);
        double worst = 0;
        for (int trial = 0; trial < 200; trial++) {
            int b = 2 + rnd.nextInt(99);
            int d = b * (4 + rnd.nextInt(13));
            int[] ids = new int[b];
            double[] sigma = new double[b];
            double[] proxies = new double[b];
            for (int i = 0; i < b; i++) {
                ids[i] = trial * 1000 + i;
                sigma[i] = 0.5 + 2.5 * rnd.nextDouble();
                proxies[i] = rnd.nextDouble(); // unrelated to sigma: neyman must use the observed variances
            }
            QueryAllocator neyman = Allocators.create("neyman");
            neyman.observe(exact(0, ids, sigma));
            AllocationRequest r = new AllocationRequest(SEED, 1, ids, proxies, d, 1, d);
            Allocation a = neyman.allocate(r).validate(r, "neyman");
            double[] s2 = new double[b];
            double sum = 0;
            for (int i = 0; i < b; i++) {
                s2[i] = sigma[i] * sigma[i];
                sum += sigma[i];
            }
            double ratio = Allocations.variance(s2, a.draws()) / Allocations.optimalVariance(sigma, d);
            double exactExcess = 0;
            double bound = 0;
            for (int i = 0; i < b; i++) {
                double delta = a.draws(i) - d * sigma[i] / sum;
                assertThat(Math.abs(delta)).as("trial %d point %d, seed %d", trial, i, SEED).isLessThan(1.0);
                exactExcess += delta * delta / a.draws(i) / d;
                bound += 1.0 / a.draws(i) / d;
            }
            assertThat(ratio - 1).as("trial %d (B=%d, D=%d), seed %d", trial, b, d, SEED)
                    .isCloseTo(exactExcess, org.assertj.core.data.Offset.offset(1e-9))
                    .isLessThanOrEqualTo(bound);
            worst = Math.max(worst, ratio);
        }
        System.out.printf("neyman with exact sigma: worst V/V* over 200 random batches = %.5f%n", worst);
    }

    @Test
    void batchOf64With512Draws() {
        TestRandom rnd = new TestRandom(SEED, 4);
        int b = 64;
        int d = 512;
        int[] ids = new int[b];
        double[] lambda = new double[b];
        double[] sigma = new double[b];
        double[] s2 = new double[b];
        for (int i = 0; i < b; i++) {
            ids[i] = i;
            lambda[i] = 0.1 + 2.9 * rnd.nextDouble();
            sigma[i] = 0.1 + lambda[i];
            s2[i] = sigma[i] * sigma[i];
        }
        QueryAllocator neyman = Allocators.create("neyman");
        neyman.observe(exact(0, ids, sigma));
        AllocationRequest r = new AllocationRequest(SEED, 1, ids, lambda, d, 1, d);
        double vStar = Allocations.optimalVariance(sigma, d);
        double ratio = Allocations.variance(s2, neyman.allocate(r).draws()) / vStar;
        double uniform = Allocations.variance(s2, Allocations.uniform(r).draws()) / vStar;
        System.out.printf("neyman with exact sigma, B=64, D=512, seed %d: V/V* = %.5f (uniform %.4f)%n", SEED, ratio,
                uniform);
        assertThat(ratio).as("seed %d", SEED).isLessThan(1.01).isLessThan(uniform);
    }

    @Test
    void unseenPointsGetTheMeanSigmaOfSeenOnes() {
        QueryAllocator neyman = Allocators.create("neyman");
        neyman.observe(exact(0, new int[] {1, 2}, new double[] {1.0, 3.0}));
        AllocationRequest r = new AllocationRequest(SEED, 1, new int[] {1, 2, 3}, new double[] {9, 9, 9}, 60, 1, 60);
        // sigma = (1, 3, mean 2): shares 10, 30, 20
        assertThat(neyman.allocate(r).draws()).containsExactly(10, 30, 20);
    }

    @Test
    void withNothingSeenTheProxiesStandInForSigma() {
        AllocationRequest r = new AllocationRequest(SEED, 0, new int[] {1, 2, 3}, new double[] {1, 2, 3}, 60, 1, 60);
        assertThat(Allocators.create("neyman").allocate(r).draws()).containsExactly(10, 20, 30);
        AllocationRequest negative = new AllocationRequest(SEED, 0, new int[] {1, 2, 3}, new double[] {-1, 2, 3}, 60,
                1, 60);
        assertThat(Allocators.create("neyman").allocate(negative).draws()).containsExactly(20, 20, 20);
    }

    @Test
    void theFloorKeepsANoiselessPointFromStarving() {
        QueryAllocator neyman = Allocators.create("neyman");
        neyman.observe(exact(0, new int[] {1, 2, 3, 4}, new double[] {0, 1, 1, 1}));
        AllocationRequest r = new AllocationRequest(SEED, 1, new int[] {1, 2, 3, 4}, new double[] {1, 1, 1, 1}, 1000,
                1, 1000);
        // mean sigma 0.75, floor 0.075: shares 1000 * 0.075 / 3.075 = 24.39 and 325.20 each; floors sum to 999 and
        // the largest remainder (0.39) takes the last draw
        int[] draws = neyman.allocate(r).draws();
        assertThat(draws).containsExactly(25, 325, 325, 325);
        QueryAllocator noFloor = new NeymanQueryAllocatorProvider().create(Settings.of("floor", "0"));
        noFloor.observe(exact(0, new int[] {1, 2, 3, 4}, new double[] {0, 1, 1, 1}));
        assertThat(noFloor.allocate(r).draws()[0]).isEqualTo(1); // only A_min without the floor
    }

    @Test
    void varianceIsAnExponentialMovingAverageOverVisits() {
        NeymanQueryAllocator neyman = (NeymanQueryAllocator) new NeymanQueryAllocatorProvider()
                .create(Settings.of("decay", "0.25"));
        neyman.observe(exact(0, new int[] {5}, new double[] {2.0}));   // v = 4: first visit sets it
        assertThat(neyman.variance(5)).isEqualTo(4.0);
        neyman.observe(exact(1, new int[] {5}, new double[] {4.0}));   // v = 16
        assertThat(neyman.variance(5)).isEqualTo(0.25 * 4 + 0.75 * 16);
        assertThat(neyman.variance(6)).isNull();
    }

    @Test
    void invalidVariancesAreSkipped() {
        NeymanQueryAllocator neyman = (NeymanQueryAllocator) Allocators.create("neyman");
        neyman.observe(new PointStatistics(0, new int[] {1, 2, 3}, new double[3], new int[] {1, 1, 1},
                new double[] {Double.NaN, -1, 2}, new double[3]));
        assertThat(neyman.variance(1)).isNull();
        assertThat(neyman.variance(2)).isNull();
        assertThat(neyman.variance(3)).isEqualTo(2.0);
    }
}
