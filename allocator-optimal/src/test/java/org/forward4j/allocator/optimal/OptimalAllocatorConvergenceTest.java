package org.forward4j.allocator.optimal;

import static org.assertj.core.api.Assertions.assertThat;

import org.forward4j.allocator.Allocation;
import org.forward4j.allocator.AllocationRequest;
import org.forward4j.allocator.Allocations;
import org.forward4j.allocator.PointStatistics;
import org.junit.jupiter.api.Test;

/**
 * docs/method.md §3.5 on synthetic batches with known sigma_i: B = 64, D = 512 (8 draws per point), a fresh batch
 * every step with proxies lambda_i uniform in [0.1, 3] and sigma_i = 0.1 + lambda_i (times lognormal noise in
 * the noisy-proxy case). The estimator is simulated exactly: point i's observed per-draw variance is the mean of
 * squares of A_i draws of N(0, sigma_i^2), an unbiased noisy estimate of sigma_i^2. After 2,000 steps the learned
 * allocation's V(A) is compared with V* = (sum sigma)^2 / (B^2 D) over the last 200 steps.
 */
class OptimalAllocatorConvergenceTest {

    private static final int B = 64;
    private static final int D = 512;
    private static final int STEPS = 2000;
    private static final int WINDOW = 200;

    /** What one run measured over the last {@link #WINDOW} steps. */
    record Result(double ratio, double ratioSe, double uniformRatio, double gapMean, double gapSe,
                  double spearman, double earlyRatio, double[] phi) {
    }

    static Result run(long dataSeed, long allocatorSeed, double proxyNoise) {
        OptimalQueryAllocator allocator = (OptimalQueryAllocator) Allocators.create("optimal");
        TestRandom data = new TestRandom(dataSeed, 2);
        double[] ratio = new double[WINDOW];
        double[] gap = new double[WINDOW];
        double uniformSum = 0;
        double spearmanSum = 0;
        double earlySum = 0;
        for (int t = 0; t < STEPS; t++) {
            int[] ids = new int[B];
            double[] lambda = new double[B];
            double[] sigma = new double[B];
            double[] sigma2 = new double[B];
            for (int i = 0; i < B; i++) {
                ids[i] = t * B + i;
                lambda[i] = 0.1 + 2.9 * data.nextDouble();
                sigma[i] = (0.1 + lambda[i]) * (proxyNoise == 0 ? 1 : Math.exp(proxyNoise * data.nextGaussian()));
                sigma2[i] = sigma[i] * sigma[i];
            }
            AllocationRequest request = new AllocationRequest(allocatorSeed, t, ids, lambda, D, 1, D);
            Allocation a = allocator.allocate(request);
            double vStar = Allocations.optimalVariance(sigma, D);
            double r = Allocations.variance(sigma2, a.draws()) / vStar;
            double u = Allocations.variance(sigma2, Allocations.uniform(request).draws()) / vStar;
            if (t >= 200 && t < 400) {
                earlySum += r;
            }
            if (t >= STEPS - WINDOW) {
                int k = t - (STEPS - WINDOW);
                ratio[k] = r;
                gap[k] = u - r;
                uniformSum += u;
                double[] draws = new double[B];
                for (int i = 0; i < B; i++) {
                    draws[i] = a.draws(i);
                }
                spearmanSum += Allocators.spearman(draws, sigma);
            }
            double[] v = new double[B];
            for (int i = 0; i < B; i++) {
                double ss = 0;
                for (int j = 0; j < a.draws(i); j++) {
                    double x = sigma[i] * data.nextGaussian();
                    ss += x * x;
                }
                v[i] = ss / a.draws(i);
            }
            allocator.observe(new PointStatistics(t, ids, lambda, a.draws(), v, new double[B]));
        }
        return new Result(mean(ratio), se(ratio), uniformSum / WINDOW, mean(gap), se(gap), spearmanSum / WINDOW,
                earlySum / 200, allocator.phi());
    }

    private static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s / x.length;
    }

    /** Standard error of the mean, treating the window's steps as independent (each step is a fresh batch). */
    private static double se(double[] x) {
        double m = mean(x);
        double ss = 0;
        for (double v : x) {
            ss += (v - m) * (v - m);
        }
        return Math.sqrt(ss / (x.length - 1) / x.length);
    }

    private static void report(String name, long seed, Result r) {
        System.out.printf("optimal allocator, %s, seed %d: V/V* = %.4f +- %.4f (steps 200-400: %.4f), uniform "
                        + "V/V* = %.4f, Spearman(A, sigma) = %.3f, Phi = (a %.3f, b %.3f, log s %.3f, log l %.3f)%n",
                name, seed, r.ratio(), r.ratioSe(), r.earlyRatio(), r.uniformRatio(), r.spearman(), r.phi()[0],
                r.phi()[1], r.phi()[2], r.phi()[3]);
    }

    @Test
    void approachesTheNeymanOptimumWhenSigmaIsAffineInTheProxy() {
        long seed = 20_250_301L;
        Result r = run(seed, seed + 1, 0.0);
        report("sigma affine in lambda", seed, r);
        assertThat(r.ratio() + 3 * r.ratioSe()).as("V/V* + 3 SE over the last %d of %d steps, seed %d",
                WINDOW, STEPS, seed).isLessThanOrEqualTo(1.05);
        assertThat(r.spearman()).as("rank correlation of A_i and sigma_i, seed %d", seed).isGreaterThan(0.5);
        // the learned exploration noise shrank from its start, log s = -1.5
        assertThat(r.phi()[2]).as("log s, seed %d", seed).isLessThan(-1.5);
    }

    @Test
    void staysClearlyBelowUniformWithANoisyProxy() {
        long seed = 20_250_302L;
        Result r = run(seed, seed + 1, 0.3);
        report("sigma affine in lambda x lognormal(0.3)", seed, r);
        assertThat(r.gapMean() - 5 * r.gapSe()).as("uniform V/V* minus optimal V/V*, seed %d", seed)
                .isGreaterThan(0);
        // "clearly": at least half of uniform's excess variance over V* removed
        assertThat(r.gapMean() / (r.uniformRatio() - 1)).as("fraction of uniform's excess removed, seed %d", seed)
                .isGreaterThan(0.5);
        assertThat(r.spearman()).as("rank correlation of A_i and sigma_i, seed %d", seed).isGreaterThan(0.5);
    }
}
