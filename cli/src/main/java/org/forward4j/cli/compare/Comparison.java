package org.forward4j.cli.compare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.forward4j.core.train.EvalRecord;

/**
 * The statistics of an allocator comparison (docs/method.md §3.5): smoothed accuracy curves, queries to reach a target,
 * and the query saving against uniform measured the way the FLOPS paper states it: the allocator trains with
 * budget N, uniform with up to k N; the target is the smoothed accuracy the allocator reaches at N; the saving is
 * {@code 1 - (queries the allocator needs to first reach it) / (queries uniform needs)}.
 */
public final class Comparison {

    /** Consecutive evaluations averaged into one smoothed accuracy. */
    public static final int SMOOTHING = 3;

    private Comparison() {
    }

    /**
     * One finished run.
     *
     * @param estimator the estimator variant label
     * @param allocator the allocator name
     * @param seed the seed
     * @param records its evaluation records
     * @param budget the comparison budget N in queries (uniform runs may go beyond it)
     */
    public record Run(String estimator, String allocator, long seed, List<EvalRecord> records, long budget) {
    }

    /**
     * Smoothed accuracy: the mean of the last {@link #SMOOTHING} evaluations up to each record (fewer at the start).
     *
     * @param records evaluation records
     * @return one smoothed value per record
     */
    public static double[] smoothed(List<EvalRecord> records) {
        double[] out = new double[records.size()];
        for (int k = 0; k < out.length; k++) {
            int from = Math.max(0, k - SMOOTHING + 1);
            double s = 0;
            for (int i = from; i <= k; i++) {
                s += records.get(i).testAccuracy();
            }
            out[k] = s / (k - from + 1);
        }
        return out;
    }

    /**
     * The smoothed accuracy at the last record whose queries do not exceed the budget.
     *
     * @param records evaluation records
     * @param budget queries
     * @return the smoothed accuracy at the budget
     */
    public static double smoothedAt(List<EvalRecord> records, long budget) {
        double[] s = smoothed(records);
        double v = Double.NaN;
        for (int k = 0; k < s.length; k++) {
            if (records.get(k).queries() <= budget) {
                v = s[k];
            }
        }
        return v;
    }

    /**
     * Queries at which the smoothed accuracy first reaches a target.
     *
     * @param records evaluation records
     * @param target the accuracy
     * @return the queries, or -1 if never reached
     */
    public static long queriesToReach(List<EvalRecord> records, double target) {
        double[] s = smoothed(records);
        for (int k = 0; k < s.length; k++) {
            // accuracies are multiples of 1/rows; the tolerance only absorbs summation-order rounding
            if (s[k] >= target - 1e-9) {
                return records.get(k).queries();
            }
        }
        return -1;
    }

    /**
     * The saving of one allocator run against the uniform run of the same estimator and seed.
     *
     * @param run the allocator's run (budget N)
     * @param uniform uniform's run (up to k N)
     * @return target, queries of both, and the saving (NaN where uniform never reached the target; then
     *     {@code savingLowerBound} holds what is known)
     */
    public static Saving saving(Run run, Run uniform) {
        double target = smoothedAt(run.records(), run.budget());
        long mine = queriesToReach(run.records(), target);
        long theirs = queriesToReach(uniform.records(), target);
        long uniformMax = uniform.records().get(uniform.records().size() - 1).queries();
        double saving = theirs > 0 ? 1.0 - (double) mine / theirs : Double.NaN;
        double lower = theirs > 0 ? saving : 1.0 - (double) mine / uniformMax;
        return new Saving(target, mine, theirs, saving, lower);
    }

    /**
     * The saving of one run.
     *
     * @param target smoothed accuracy the allocator reached at its budget
     * @param queries queries the allocator needed to first reach it
     * @param uniformQueries queries uniform needed, or -1 if it never did
     * @param saving {@code 1 - queries / uniformQueries} (NaN if uniform never reached the target)
     * @param savingLowerBound the saving, or its lower bound when uniform never reached the target
     */
    public record Saving(double target, long queries, long uniformQueries, double saving, double savingLowerBound) {
    }

    /**
     * Mean and sample standard deviation.
     *
     * @param values the values (NaN entries are skipped)
     * @return {mean, std, count}
     */
    public static double[] meanStd(List<Double> values) {
        double s = 0;
        int n = 0;
        for (double v : values) {
            if (!Double.isNaN(v)) {
                s += v;
                n++;
            }
        }
        if (n == 0) {
            return new double[] {Double.NaN, Double.NaN, 0};
        }
        double mean = s / n;
        double ss = 0;
        for (double v : values) {
            if (!Double.isNaN(v)) {
                ss += (v - mean) * (v - mean);
            }
        }
        return new double[] {mean, n > 1 ? Math.sqrt(ss / (n - 1)) : 0, n};
    }

    /**
     * The markdown summary table: one row per estimator variant and allocator.
     *
     * @param runs all runs
     * @param uniformFactor how far beyond N uniform was trained
     * @return markdown text
     */
    public static String markdown(List<Run> runs, double uniformFactor) {
        Map<String, Map<String, List<Run>>> grouped = new LinkedHashMap<>();
        for (Run r : runs) {
            grouped.computeIfAbsent(r.estimator(), k -> new LinkedHashMap<>())
                    .computeIfAbsent(r.allocator(), k -> new ArrayList<>()).add(r);
        }
        StringBuilder b = new StringBuilder();
        b.append("| estimator | allocator | seeds | budget N (queries) | smoothed test accuracy at N "
                + "(mean ± std) | target (its own smoothed acc. at N) | queries to target (mean) | saving vs uniform "
                + "(mean ± std) | wall s per run |\n");
        b.append("|---|---|---|---|---|---|---|---|---|\n");
        for (var est : grouped.entrySet()) {
            List<Run> uniforms = est.getValue().getOrDefault("uniform", List.of());
            for (var alloc : est.getValue().entrySet()) {
                List<Run> rs = alloc.getValue();
                long budget = rs.get(0).budget();
                List<Double> acc = new ArrayList<>();
                List<Double> wall = new ArrayList<>();
                List<Double> savings = new ArrayList<>();
                List<Double> targets = new ArrayList<>();
                List<Double> toTarget = new ArrayList<>();
                int unreached = 0;
                for (Run r : rs) {
                    acc.add(smoothedAt(r.records(), budget));
                    wall.add(wallAt(r.records(), budget));
                    if (!alloc.getKey().equals("uniform")) {
                        Run u = uniforms.stream().filter(x -> x.seed() == r.seed()).findFirst().orElse(null);
                        if (u != null) {
                            Saving s = saving(r, u);
                            targets.add(s.target());
                            toTarget.add((double) s.queries());
                            savings.add(s.savingLowerBound());
                            unreached += s.uniformQueries() < 0 ? 1 : 0;
                        }
                    }
                }
                double[] a = meanStd(acc);
                double[] w = meanStd(wall);
                String savingText = "—";
                String targetText = "—";
                String toTargetText = "—";
                if (!savings.isEmpty()) {
                    double[] sv = meanStd(savings);
                    savingText = String.format(Locale.ROOT, "%.1f%% ± %.1f%%%s", 100 * sv[0], 100 * sv[1],
                            unreached > 0 ? " (" + unreached + " seeds: uniform never reached the target within "
                                    + uniformFactor + " N; lower bound used)" : "");
                    targetText = String.format(Locale.ROOT, "%.4f", meanStd(targets)[0]);
                    toTargetText = String.format(Locale.ROOT, "%,.0f", meanStd(toTarget)[0]);
                }
                b.append(String.format(Locale.ROOT, "| %s | %s | %d | %,d | %.4f ± %.4f | %s | %s | %s | %.1f |%n",
                        est.getKey(), alloc.getKey(), rs.size(), budget, a[0], a[1], targetText, toTargetText,
                        savingText, w[0]));
            }
        }
        return b.toString();
    }

    private static double wallAt(List<EvalRecord> records, long budget) {
        double w = Double.NaN;
        for (EvalRecord r : records) {
            if (r.queries() <= budget) {
                w = r.wallSeconds();
            }
        }
        return w;
    }
}
