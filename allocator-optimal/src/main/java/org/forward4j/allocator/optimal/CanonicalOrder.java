package org.forward4j.allocator.optimal;

import java.util.Arrays;
import java.util.Comparator;
import org.forward4j.allocator.Allocation;
import org.forward4j.allocator.AllocationRequest;

/**
 * The batch sorted by (point id, proxy): the order in which the allocators do all their arithmetic.
 *
 * <p>Floating-point sums depend on the order of their terms, so computing in the engine's batch order would let
 * a permuted batch round differently. Working in this canonical order makes a permuted batch produce bit for bit
 * the permuted allocation. Positions with equal id and equal proxy are indistinguishable points; they keep their
 * batch order, so only they may swap their draws when the batch is permuted.
 */
final class CanonicalOrder {

    private final int[] toBatch;

    private CanonicalOrder(int[] toBatch) {
        this.toBatch = toBatch;
    }

    /** Sorts the request's positions by point id, then proxy, then batch position. */
    static CanonicalOrder of(AllocationRequest request) {
        int b = request.batchSize();
        Integer[] idx = new Integer[b];
        for (int i = 0; i < b; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, Comparator.<Integer>comparingInt(request::pointId)
                .thenComparing((x, y) -> Double.compare(request.proxy(x), request.proxy(y)))
                .thenComparingInt(x -> x));
        int[] perm = new int[b];
        for (int k = 0; k < b; k++) {
            perm[k] = idx[k];
        }
        return new CanonicalOrder(perm);
    }

    /** The request with its points listed in canonical order (same seed, step, budget and bounds). */
    AllocationRequest canonicalRequest(AllocationRequest request) {
        int b = toBatch.length;
        int[] ids = new int[b];
        double[] proxies = new double[b];
        for (int k = 0; k < b; k++) {
            ids[k] = request.pointId(toBatch[k]);
            proxies[k] = request.proxy(toBatch[k]);
        }
        return new AllocationRequest(request.seed(), request.step(), ids, proxies, request.totalDraws(),
                request.minDraws(), request.maxDraws());
    }

    /** Gathers a per-batch-position array into canonical order. */
    double[] gather(double[] batchOrder) {
        double[] out = new double[toBatch.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = batchOrder[toBatch[k]];
        }
        return out;
    }

    /** Gathers a per-batch-position array into canonical order. */
    int[] gather(int[] batchOrder) {
        int[] out = new int[toBatch.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = batchOrder[toBatch[k]];
        }
        return out;
    }

    /** Puts an allocation computed in canonical order back into batch order. */
    Allocation toBatchOrder(Allocation canonical) {
        int[] draws = new int[toBatch.length];
        for (int k = 0; k < draws.length; k++) {
            draws[toBatch[k]] = canonical.draws(k);
        }
        return new Allocation(draws);
    }
}
