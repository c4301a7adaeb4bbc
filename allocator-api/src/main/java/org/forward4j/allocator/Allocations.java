package org.forward4j.allocator;

import org.forward4j.noise.Philox;

/**
 * Integerisation shared by all allocators (docs/method.md §3.4): clamp a real allocation to the bounds, redistribute
 * what clamping freed, then round by largest remainder so the integers sum to the budget exactly.
 */
public final class Allocations {

    private Allocations() {
    }

    /**
     * Turns non-negative weights into integer draws proportional to them.
     *
     * <p>Ties between equal remainders are broken by a Philox hash of (seed, step, point id), so the result does
     * not depend on the order of the batch and is reproducible for a seed.
     *
     * @param weights non-negative finite weight of each point; all zero means uniform
     * @param request the request supplying budget, bounds, seed, step and point ids
     * @return draws with {@code min <= A_i <= max} and {@code sum == totalDraws}
     */
    public static Allocation proportional(double[] weights, AllocationRequest request) {
        int b = request.batchSize();
        if (weights.length != b) {
            throw new IllegalArgumentException(weights.length + " weights for " + b + " points");
        }
        int total = request.totalDraws();
        int min = request.minDraws();
        int max = request.maxDraws();
        double[] real = clampedShares(weights, total, min, max);
        int[] draws = new int[b];
        double[] rem = new double[b];
        long used = 0;
        for (int i = 0; i < b; i++) {
            int f = (int) Math.floor(real[i] + 1e-9);
            f = Math.max(min, Math.min(max, f));
            draws[i] = f;
            rem[i] = real[i] - f;
            used += f;
        }
        long left = total - used;
        // hand out what is left one by one to the largest remainders among points below max
        long[] tie = new long[b];
        int[] w = new int[4];
        for (int i = 0; i < b; i++) {
            Philox.block(request.pointId(i), (int) request.step(), (int) (request.step() >>> 32), 0x41,
                    (int) request.seed(), (int) (request.seed() >>> 32), w);
            tie[i] = ((long) w[0] << 32) ^ (w[1] & 0xFFFFFFFFL);
        }
        while (left > 0) {
            int best = -1;
            for (int i = 0; i < b; i++) {
                if (draws[i] >= max) {
                    continue;
                }
                if (best < 0 || rem[i] > rem[best] || (rem[i] == rem[best] && tie[i] > tie[best])) {
                    best = i;
                }
            }
            draws[best]++;
            rem[best] -= 1.0;
            left--;
        }
        while (left < 0) { // only reachable through floating-point slack; take from the smallest remainders
            int worst = -1;
            for (int i = 0; i < b; i++) {
                if (draws[i] <= min) {
                    continue;
                }
                if (worst < 0 || rem[i] < rem[worst] || (rem[i] == rem[worst] && tie[i] < tie[worst])) {
                    worst = i;
                }
            }
            draws[worst]--;
            rem[worst] += 1.0;
            left++;
        }
        return new Allocation(draws);
    }

    /**
     * The uniform allocation D/B with largest-remainder rounding (docs/method.md §3.3).
     *
     * @param request the request
     * @return the uniform allocation
     */
    public static Allocation uniform(AllocationRequest request) {
        return proportional(new double[request.batchSize()], request);
    }

    /**
     * Real shares proportional to {@code weights}, clamped to [min, max] with the freed budget redistributed
     * among unclamped points (water filling), summing to {@code total}.
     */
    static double[] clampedShares(double[] weights, int total, int min, int max) {
        int b = weights.length;
        double[] w = new double[b];
        double sum = 0;
        for (int i = 0; i < b; i++) {
            if (!(weights[i] >= 0) || Double.isInfinite(weights[i])) {
                throw new IllegalArgumentException("weight " + i + " is " + weights[i] + "; weights must be finite and >= 0");
            }
            sum += weights[i];
        }
        for (int i = 0; i < b; i++) {
            w[i] = sum > 0 ? weights[i] : 1.0;
        }
        double[] share = new double[b];
        boolean[] fixed = new boolean[b];
        for (int iter = 0; iter <= b; iter++) {
            double budget = total;
            double free = 0;
            for (int i = 0; i < b; i++) {
                if (fixed[i]) {
                    budget -= share[i];
                } else {
                    free += w[i];
                }
            }
            boolean changed = false;
            for (int i = 0; i < b; i++) {
                if (fixed[i]) {
                    continue;
                }
                share[i] = free > 0 ? budget * w[i] / free : budget / countFree(fixed);
            }
            for (int i = 0; i < b; i++) {
                if (!fixed[i] && share[i] < min) {
                    share[i] = min;
                    fixed[i] = true;
                    changed = true;
                } else if (!fixed[i] && share[i] > max) {
                    share[i] = max;
                    fixed[i] = true;
                    changed = true;
                }
            }
            if (!changed) {
                break;
            }
        }
        return share;
    }

    private static int countFree(boolean[] fixed) {
        int n = 0;
        for (boolean f : fixed) {
            n += f ? 0 : 1;
        }
        return Math.max(n, 1);
    }

    /**
     * The variance of the batch estimate for an allocation, given per-point per-draw variances (docs/method.md §3.1):
     * {@code (1/B^2) sum_i sigma_i^2 / A_i}.
     *
     * @param sigmaSquared per-point per-draw variance
     * @param draws the allocation
     * @return Var(g)
     */
    public static double variance(double[] sigmaSquared, int[] draws) {
        double v = 0;
        for (int i = 0; i < draws.length; i++) {
            v += sigmaSquared[i] / draws[i];
        }
        return v / ((double) draws.length * draws.length);
    }

    /**
     * The relaxed optimum V* = (sum_i sigma_i)^2 / (B^2 D) of docs/method.md §3.1.
     *
     * @param sigma per-point standard deviations
     * @param totalDraws D
     * @return the minimal variance over real allocations
     */
    public static double optimalVariance(double[] sigma, int totalDraws) {
        double s = 0;
        for (double x : sigma) {
            s += x;
        }
        return s * s / ((double) sigma.length * sigma.length * totalDraws);
    }
}
