package org.forward4j.backend.cpu;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The outputs of a layer graph's frozen prefix (docs/method.md §6), one per data row, kept for the evaluator's
 * lifetime within a byte budget and evicted least recently used first. A frozen prefix has no trainable tensor and
 * no noise site and its parameters never change, so a row's prefix output is the same in every query and every
 * step: computing it once and starting every later query of the row from it changes no result, only the cost.
 * Thread-safe; values are shared and must not be modified by callers.
 */
final class PrefixCache {

    /** Bytes counted per entry beyond its floats: the array header and the map entry. */
    static final int ENTRY_OVERHEAD = 64;

    private final int capacity;
    private final LinkedHashMap<Integer, float[]> rows;

    /**
     * Creates an empty cache.
     *
     * @param budgetBytes the most bytes its entries may take; 0 disables it (every lookup misses)
     * @param rowValues floats per row (the prefix output's size)
     */
    PrefixCache(long budgetBytes, int rowValues) {
        long perRow = 4L * rowValues + ENTRY_OVERHEAD;
        this.capacity = (int) Math.min(Integer.MAX_VALUE, Math.max(0, budgetBytes) / perRow);
        this.rows = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, float[]> eldest) {
                return size() > capacity;
            }
        };
    }

    /**
     * The number of rows it can hold.
     *
     * @return the capacity; 0 when disabled
     */
    int capacity() {
        return capacity;
    }

    /**
     * A row's prefix output, marking it recently used.
     *
     * @param row the data row
     * @return the values, or null when not cached
     */
    synchronized float[] get(int row) {
        return rows.get(row);
    }

    /**
     * Keeps a row's prefix output, evicting the least recently used rows beyond the capacity.
     *
     * @param row the data row
     * @param values its prefix output (kept, not copied)
     */
    synchronized void put(int row, float[] values) {
        if (capacity > 0) {
            rows.put(row, values);
        }
    }

    /**
     * The rows held now.
     *
     * @return the number of cached rows
     */
    synchronized int size() {
        return rows.size();
    }
}
