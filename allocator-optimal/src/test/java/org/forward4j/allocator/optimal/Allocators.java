package org.forward4j.allocator.optimal;

import org.forward4j.allocator.QueryAllocator;
import org.forward4j.allocator.UniformQueryAllocatorProvider;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.plugin.Settings;

/** Builds the allocators under test by name, through their providers as the engine does. */
final class Allocators {
    private Allocators() {
    }

    static QueryAllocatorProvider provider(String name) {
        return switch (name) {
            case "uniform" -> new UniformQueryAllocatorProvider();
            case "optimal" -> new OptimalQueryAllocatorProvider();
            case "neyman" -> new NeymanQueryAllocatorProvider();
            default -> throw new IllegalArgumentException(name);
        };
    }

    static QueryAllocator create(String name) {
        return provider(name).create(Settings.empty());
    }

    /** Spearman rank correlation (average ranks for ties). */
    static double spearman(double[] x, double[] y) {
        double[] rx = ranks(x);
        double[] ry = ranks(y);
        double mx = 0;
        double my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += rx[i];
            my += ry[i];
        }
        mx /= x.length;
        my /= x.length;
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (rx[i] - mx) * (ry[i] - my);
            sxx += (rx[i] - mx) * (rx[i] - mx);
            syy += (ry[i] - my) * (ry[i] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    private static double[] ranks(double[] x) {
        int n = x.length;
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (a, b) -> Double.compare(x[a], x[b]));
        double[] r = new double[n];
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && x[idx[j + 1]] == x[idx[i]]) {
                j++;
            }
            double avg = (i + j) / 2.0;
            for (int k = i; k <= j; k++) {
                r[idx[k]] = avg;
            }
            i = j + 1;
        }
        return r;
    }
}
