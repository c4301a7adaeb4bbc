package org.forward4j.allocator.optimal;

import java.util.HashMap;
import java.util.Map;
import org.forward4j.allocator.Allocation;
import org.forward4j.allocator.AllocationRequest;
import org.forward4j.allocator.Allocations;
import org.forward4j.allocator.PointStatistics;
import org.forward4j.allocator.QueryAllocator;
import org.forward4j.plugin.InvalidDataException;

/**
 * Neyman allocation {@code A_i ∝ sigma_i} (docs/method.md §3.1) with sigma_i the square root of an exponential moving
 * average of the variances observed for data point i on its previous visits (docs/method.md §3.3).
 *
 * <p>Computed in {@link CanonicalOrder}, so a permuted batch gets the permuted allocation. Deterministic: it
 * uses no randomness beyond the tie-breaking of {@link Allocations#proportional}.
 */
final class NeymanQueryAllocator implements QueryAllocator {

    private final double decay;
    private final double floor;
    private final Map<Integer, Double> varianceEma = new HashMap<>();

    NeymanQueryAllocator(double decay, double floor) {
        this.decay = decay;
        this.floor = floor;
    }

    @Override
    public Allocation allocate(AllocationRequest request) {
        CanonicalOrder order = CanonicalOrder.of(request);
        AllocationRequest canonical = order.canonicalRequest(request);
        int b = canonical.batchSize();
        double[] sigma = new double[b];
        boolean[] seen = new boolean[b];
        double seenSum = 0;
        int seenCount = 0;
        for (int k = 0; k < b; k++) {
            Double ema = varianceEma.get(canonical.pointId(k));
            if (ema != null) {
                sigma[k] = Math.sqrt(ema);
                seen[k] = true;
                seenSum += sigma[k];
                seenCount++;
            }
        }
        if (seenCount > 0) {
            double fill = seenSum / seenCount;
            for (int k = 0; k < b; k++) {
                if (!seen[k]) {
                    sigma[k] = fill;
                }
            }
        } else {
            boolean positive = true;
            for (int k = 0; k < b; k++) {
                positive &= canonical.proxy(k) > 0;
            }
            for (int k = 0; k < b; k++) {
                sigma[k] = positive ? canonical.proxy(k) : 1.0;
            }
        }
        double mean = 0;
        for (double s : sigma) {
            mean += s;
        }
        mean /= b;
        double min = floor * mean;
        for (int k = 0; k < b; k++) {
            sigma[k] = Math.max(sigma[k], min);
        }
        // an all-zero sigma (every point measured noiseless) gives all-zero weights, which integerise uniformly
        return order.toBatchOrder(Allocations.proportional(sigma, canonical));
    }

    /**
     * Folds each point's observed variance into its moving average. Unlike {@code optimal}, any statistics are
     * useful here (a variance belongs to its data point, whatever batch it came from); entries with a negative or
     * non-finite variance are skipped.
     */
    @Override
    public void observe(PointStatistics statistics) {
        int[] ids = statistics.pointIds();
        double[] v = statistics.perDrawVariance();
        int n = Math.min(ids.length, v.length);
        for (int i = 0; i < n; i++) {
            if (!(v[i] >= 0) || !Double.isFinite(v[i])) {
                continue;
            }
            double x = v[i];
            varianceEma.merge(ids[i], x, (old, ignored) -> decay * old + (1 - decay) * x);
        }
    }

    /** {@code point-ids} (ascending) and {@code variance-ema}, aligned. */
    @Override
    public Map<String, double[]> saveState() {
        int[] ids = varianceEma.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
        double[] idValues = new double[ids.length];
        double[] ema = new double[ids.length];
        for (int i = 0; i < ids.length; i++) {
            idValues[i] = ids[i];
            ema[i] = varianceEma.get(ids[i]);
        }
        return Map.of("point-ids", idValues, "variance-ema", ema);
    }

    @Override
    public void restoreState(Map<String, double[]> state) {
        double[] ids = state.get("point-ids");
        double[] ema = state.get("variance-ema");
        if (ids == null || ema == null || ids.length != ema.length) {
            throw new InvalidDataException("State of allocator 'neyman' needs 'point-ids' and 'variance-ema' of "
                    + "equal length, got " + describe(ids) + " and " + describe(ema)
                    + "; restore a state saved by the 'neyman' allocator");
        }
        for (String key : state.keySet()) {
            if (!key.equals("point-ids") && !key.equals("variance-ema")) {
                throw new InvalidDataException("State of allocator 'neyman' has unknown entry '" + key
                        + "'; known entries are [point-ids, variance-ema]");
            }
        }
        Map<Integer, Double> restored = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] != Math.rint(ids[i]) || ids[i] < Integer.MIN_VALUE || ids[i] > Integer.MAX_VALUE) {
                throw new InvalidDataException("State of allocator 'neyman' has point id " + ids[i]
                        + " at entry " + i + "; point ids are integers");
            }
            if (!(ema[i] >= 0) || !Double.isFinite(ema[i])) {
                throw new InvalidDataException("State of allocator 'neyman' has variance " + ema[i]
                        + " for point " + (long) ids[i] + "; variances are finite and >= 0");
            }
            restored.put((int) ids[i], ema[i]);
        }
        varianceEma.clear();
        varianceEma.putAll(restored);
    }

    private static String describe(double[] a) {
        return a == null ? "none" : a.length + " values";
    }

    /** The remembered variance of a point, for tests. */
    Double variance(int pointId) {
        return varianceEma.get(pointId);
    }

    @Override
    public String toString() {
        return "NeymanQueryAllocator[decay=" + decay + ", floor=" + floor + ", points=" + varianceEma.size() + "]";
    }
}
