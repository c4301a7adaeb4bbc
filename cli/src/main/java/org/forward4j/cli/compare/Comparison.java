package org.forward4j.cli.compare;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.forward4j.core.train.EvalRecord;

/**
 * The statistics of an allocator comparison (docs/method.md §3.5), computed from finished runs only, so that every
 * number {@code compare} reports can be checked on synthetic curves without training.
 *
 * <p>Every allocator trains with budget N; uniform trains on to k N. Accuracy is smoothed over {@link #SMOOTHING}
 * evaluations, and Q(t) is the queries at the first evaluation whose smoothed accuracy reaches t. Runs are paired by
 * seed (same initial parameters, batch order and noise key), and two query savings against uniform are computed per
 * seed s (see {@link Definition} for the edge cases):
 * <ul>
 *   <li>{@link Definition#TO_UNIFORM_ACCURACY} (the headline, conservative): t = uniform's smoothed accuracy at N;</li>
 *   <li>{@link Definition#TO_OWN_ACCURACY} (the FLOPS paper's statement, optimistic): t = the allocator's own
 *       smoothed accuracy at N, which uniform may need up to k N to reach.</li>
 * </ul>
 * A single seed's saving is noisy, so the report also gives the mean over seeds with a paired bootstrap interval,
 * the same savings between uniform runs that differ only in seed (the null spread a real saving has to clear), and
 * the paired per-seed differences in smoothed accuracy at N between allocators.
 */
public final class Comparison {

    /** Consecutive evaluations averaged into one smoothed accuracy. */
    public static final int SMOOTHING = 3;

    /** Bootstrap resamples of the seeds; enough that the percentile end points move by well under 0.1 point. */
    public static final int BOOTSTRAP_RESAMPLES = 10_000;

    /**
     * Seed of the bootstrap's random stream: a constant, so the same runs always give the same interval (no
     * wall-clock seed), and every statistic over the same number of seeds is resampled with the same seed indices.
     */
    public static final long BOOTSTRAP_SEED = 0x466C4F5053L;

    /** Coverage of the reported intervals. */
    public static final double LEVEL = 0.95;

    /** Accuracies are multiples of 1/rows; the tolerance only absorbs summation-order rounding of the smoothing. */
    private static final double TOLERANCE = 1e-9;

    private static final String UNIFORM = "uniform";

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

    /** Which accuracy a saving is measured to; the two answer different questions and can differ by a factor 2. */
    public enum Definition {
        /**
         * Target = uniform's smoothed accuracy at N (same seed). Saving = 1 - Q_alloc / Q_uniform, the allocator's
         * curve cut at N. Uniform reaches this target at or before N by construction. When the allocator does not
         * reach it within N, it would need more than its last evaluation at or below N (N_last), so the saving is
         * below 1 - N_last / Q_uniform (at most 0 when Q_uniform = N): that bound is used as the value and marked
         * {@link Bound#AT_MOST}, which makes a mean containing it an upper bound.
         */
        TO_UNIFORM_ACCURACY("to uniform's accuracy at N"),
        /**
         * Target = the allocator's own smoothed accuracy at N (same seed). Saving = 1 - Q_alloc / Q_uniform with
         * uniform's whole curve (up to k N). When uniform never reaches the target, it would need more than its last
         * evaluation U_last, so the saving exceeds 1 - Q_alloc / U_last: that bound is used as the value and marked
         * {@link Bound#AT_LEAST}, which makes a mean containing it a lower bound.
         */
        TO_OWN_ACCURACY("to its own accuracy at N");

        private final String label;

        Definition(String label) {
            this.label = label;
        }

        /**
         * The label used in the summary.
         *
         * @return a short phrase naming the target
         */
        public String label() {
            return label;
        }
    }

    /** Whether a saving's value is exact, or a bound standing in for a run that stopped before the target. */
    public enum Bound {
        /** Both runs reached the target. */
        EXACT,
        /** The allocator did not reach uniform's accuracy within N: the true saving is below the value. */
        AT_MOST,
        /** Uniform did not reach the allocator's accuracy within k N: the true saving is above the value. */
        AT_LEAST,
        /**
         * No saving exists: no smoothed accuracy at N (no record at or below N, or no test set), or uniform reached the
         * target at 0 queries while the scored run needed more, or neither run reached it. Left out of means and
         * intervals, and counted.
         */
        UNDEFINED
    }

    /**
     * The saving of one run against one uniform run.
     *
     * @param seed the seed of the scored run (the allocator's; in the null spread, the uniform run playing it)
     * @param uniformSeed the seed of the uniform run it is scored against (equal to {@code seed} when paired)
     * @param target the smoothed accuracy both have to reach (NaN when undefined)
     * @param queries queries the scored run needed, within its budget N; null if it never reached the target there
     * @param uniformQueries queries the uniform run needed; null if it never reached the target
     * @param value {@code 1 - queries / uniformQueries}, or the bound described by {@code bound}; NaN if undefined
     * @param bound whether {@code value} is exact, a bound, or undefined
     */
    public record Saving(long seed, long uniformSeed, double target, Long queries, Long uniformQueries, double value,
                         Bound bound) {
    }

    /**
     * A percentile bootstrap interval.
     *
     * @param low the lower end (NaN when there is nothing to resample)
     * @param high the upper end (NaN when there is nothing to resample)
     */
    public record Interval(double low, double high) {
    }

    /**
     * The smoothed test accuracy at N of one configuration, per seed.
     *
     * @param estimator the estimator variant
     * @param allocator the allocator
     * @param budget N in queries
     * @param seeds the seeds, in run order
     * @param perSeed smoothed accuracy at N for each seed
     * @param mean mean over seeds
     * @param std sample standard deviation over seeds (NaN with fewer than 2)
     * @param wallSeconds mean training wall time up to N
     */
    public record AccuracyAtN(String estimator, String allocator, long budget, List<Long> seeds, List<Double> perSeed,
                              double mean, double std, double wallSeconds) {
    }

    /**
     * One allocator's savings over seeds under one definition.
     *
     * @param estimator the estimator variant
     * @param allocator the allocator
     * @param definition how the target is chosen
     * @param perSeed the saving of each seed paired with uniform's same seed
     * @param mean mean of the defined values (bounds included as their values)
     * @param std sample standard deviation of the defined values (NaN with fewer than 2)
     * @param ci paired bootstrap interval of the mean at {@link #LEVEL}
     * @param bounded how many values are bounds rather than exact savings
     * @param undefined how many seeds have no saving (left out of mean and interval)
     */
    public record SavingSummary(String estimator, String allocator, Definition definition, List<Saving> perSeed,
                                double mean, double std, Interval ci, int bounded, int undefined) {
    }

    /**
     * A statistic between uniform runs that differ only in seed, over all ordered pairs: what seed noise alone gives.
     *
     * @param estimator the estimator variant
     * @param statistic what was computed between the pair
     * @param definition the saving definition, or null for the accuracy difference
     * @param pairs the number of ordered pairs with a defined value
     * @param mean mean over the pairs
     * @param std sample standard deviation over the pairs (NaN with fewer than 2)
     * @param min smallest value
     * @param max largest value
     * @param range the 2.5% and 97.5% quantiles of the pair values (linear interpolation)
     * @param bounded how many values are bounds rather than exact savings
     * @param undefined how many ordered pairs have no value (left out of the rest)
     */
    public record NullSpread(String estimator, String statistic, Definition definition, int pairs, double mean,
                             double std, double min, double max, Interval range, int bounded, int undefined) {
    }

    /**
     * The paired difference in smoothed accuracy at N between two allocators: {@code second - first} per seed.
     *
     * @param estimator the estimator variant
     * @param first the allocator subtracted
     * @param second the allocator it is subtracted from
     * @param seeds the seeds both ran
     * @param perSeed {@code second - first} per seed (accuracy as a fraction)
     * @param mean mean over seeds
     * @param std sample standard deviation over seeds (NaN with fewer than 2)
     * @param ci paired bootstrap interval of the mean at {@link #LEVEL}
     */
    public record PairedDifference(String estimator, String first, String second, List<Long> seeds,
                                   List<Double> perSeed, double mean, double std, Interval ci) {
    }

    /**
     * Everything reported for one estimator variant.
     *
     * @param estimator the estimator variant
     * @param accuracy smoothed accuracy at N per allocator
     * @param toUniformAccuracy the headline savings, {@link Definition#TO_UNIFORM_ACCURACY}, per non-uniform allocator
     * @param toOwnAccuracy the savings under {@link Definition#TO_OWN_ACCURACY}, per non-uniform allocator
     * @param nulls uniform against uniform: both savings and the accuracy difference at N
     * @param differences paired accuracy differences at N for every pair of allocators, in the order they ran
     */
    public record Report(String estimator, List<AccuracyAtN> accuracy, List<SavingSummary> toUniformAccuracy,
                         List<SavingSummary> toOwnAccuracy, List<NullSpread> nulls,
                         List<PairedDifference> differences) {
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
     * @return the smoothed accuracy at the budget (NaN when no record is within it)
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
     * Queries at which the smoothed accuracy first reaches a target, over the whole curve.
     *
     * @param records evaluation records
     * @param target the accuracy
     * @return the queries, or -1 if never reached
     */
    public static long queriesToReach(List<EvalRecord> records, double target) {
        return queriesToReach(records, target, Long.MAX_VALUE);
    }

    /**
     * Queries at which the smoothed accuracy first reaches a target, looking only at records within a budget (an
     * allocator is only credited with what it did within N, even where its curve goes on).
     *
     * @param records evaluation records
     * @param target the accuracy
     * @param budget the last queries looked at
     * @return the queries, or -1 if not reached within the budget (always -1 for a NaN target)
     */
    public static long queriesToReach(List<EvalRecord> records, double target, long budget) {
        double[] s = smoothed(records);
        for (int k = 0; k < s.length && records.get(k).queries() <= budget; k++) {
            if (s[k] >= target - TOLERANCE) {
                return records.get(k).queries();
            }
        }
        return -1;
    }

    /**
     * The saving of one run against one uniform run under a definition (see {@link Definition} for the edge cases).
     * The scored run's curve is cut at its budget N; the uniform run's whole curve counts.
     *
     * @param definition how the target is chosen
     * @param run the scored run (an allocator's, or in the null spread another uniform seed's)
     * @param uniform the uniform run it is scored against
     * @return the saving, with its bound status
     * @throws IllegalArgumentException if the runs have different budgets, so are not comparable
     */
    public static Saving saving(Definition definition, Run run, Run uniform) {
        if (run.budget() != uniform.budget()) {
            throw new IllegalArgumentException("Runs with budgets " + run.budget() + " and " + uniform.budget()
                    + " are not comparable at equal queries");
        }
        long n = run.budget();
        double target = definition == Definition.TO_UNIFORM_ACCURACY
                ? smoothedAt(uniform.records(), n) : smoothedAt(run.records(), n);
        if (Double.isNaN(target)) {
            return new Saving(run.seed(), uniform.seed(), Double.NaN, null, null, Double.NaN, Bound.UNDEFINED);
        }
        long mine = queriesToReach(run.records(), target, n);
        long theirs = queriesToReach(uniform.records(), target);
        Long mineOrNull = mine < 0 ? null : mine;
        Long theirsOrNull = theirs < 0 ? null : theirs;
        if (mine >= 0 && theirs > 0) {
            return new Saving(run.seed(), uniform.seed(), target, mine, theirs, 1.0 - (double) mine / theirs,
                    Bound.EXACT);
        }
        if (mine == 0 && theirs == 0) {
            return new Saving(run.seed(), uniform.seed(), target, 0L, 0L, 0.0, Bound.EXACT);
        }
        if (mine < 0 && theirs > 0) {
            // only possible for TO_UNIFORM_ACCURACY: the scored run's own level at N is reached by N
            long last = lastQueries(run.records(), n);
            return new Saving(run.seed(), uniform.seed(), target, null, theirs, 1.0 - (double) last / theirs,
                    Bound.AT_MOST);
        }
        if (theirs < 0 && mine >= 0) {
            long last = lastQueries(uniform.records(), Long.MAX_VALUE);
            return new Saving(run.seed(), uniform.seed(), target, mineOrNull, null,
                    last > 0 ? 1.0 - (double) mine / last : Double.NaN, last > 0 ? Bound.AT_LEAST : Bound.UNDEFINED);
        }
        // uniform reached the target at 0 queries and the scored run did not: no finite saving
        return new Saving(run.seed(), uniform.seed(), target, mineOrNull, theirsOrNull, Double.NaN, Bound.UNDEFINED);
    }

    private static long lastQueries(List<EvalRecord> records, long budget) {
        long last = 0;
        for (EvalRecord r : records) {
            if (r.queries() <= budget) {
                last = Math.max(last, r.queries());
            }
        }
        return last;
    }

    /**
     * Paired percentile bootstrap interval of a mean over seeds, with the constant {@link #BOOTSTRAP_SEED},
     * {@link #BOOTSTRAP_RESAMPLES} resamples and level {@link #LEVEL}.
     *
     * @param values one value per seed (each already a paired quantity: allocator seed s against uniform seed s)
     * @return the interval; NaN ends when there are no values
     */
    public static Interval bootstrapMean(double[] values) {
        return bootstrapMean(values, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, LEVEL);
    }

    /**
     * Percentile bootstrap interval of a mean: each resample draws {@code values.length} indices uniformly with
     * replacement from a {@link SplittableRandom} seeded with {@code seed} and averages those values; the ends are the
     * {@code (1 - level) / 2} and {@code (1 + level) / 2} quantiles of the resampled means (linear interpolation
     * between order statistics, {@link #quantile}). Resampling whole seeds keeps each allocator run with the uniform
     * run it is paired with.
     *
     * @param values the values
     * @param resamples how many resamples (at least 1)
     * @param seed the random stream's seed
     * @param level the coverage, in (0, 1)
     * @return the interval; NaN ends when there are no values, both ends equal to the value for a single one
     */
    public static Interval bootstrapMean(double[] values, int resamples, long seed, double level) {
        if (resamples < 1 || !(level > 0 && level < 1)) {
            throw new IllegalArgumentException("resamples " + resamples + " must be >= 1 and level " + level
                    + " in (0, 1)");
        }
        int n = values.length;
        if (n == 0) {
            return new Interval(Double.NaN, Double.NaN);
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[] means = new double[resamples];
        for (int b = 0; b < resamples; b++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += values[random.nextInt(n)];
            }
            means[b] = s / n;
        }
        Arrays.sort(means);
        return new Interval(quantile(means, (1 - level) / 2), quantile(means, (1 + level) / 2));
    }

    /**
     * A quantile of sorted values by linear interpolation between order statistics: position {@code p (n - 1)}
     * (Hyndman and Fan's type 7, the default of R and NumPy).
     *
     * @param sorted values in ascending order (at least one)
     * @param p the probability, in [0, 1]
     * @return the quantile
     */
    public static double quantile(double[] sorted, double p) {
        double h = p * (sorted.length - 1);
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /**
     * Mean and sample standard deviation.
     *
     * @param values the values (NaN entries are skipped)
     * @return {mean, std, count}; std is 0 for a single value, both NaN for none
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

    /** Sample standard deviation, NaN with fewer than 2 values: one seed says nothing about the spread. */
    private static double std(double[] v) {
        if (v.length < 2) {
            return Double.NaN;
        }
        double m = mean(v);
        double ss = 0;
        for (double x : v) {
            ss += (x - m) * (x - m);
        }
        return Math.sqrt(ss / (v.length - 1));
    }

    private static double mean(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    /**
     * Summarises one allocator's per-seed savings: mean, sample std and paired bootstrap interval over the defined
     * values (bounds included as their values), with the counts of bounds and undefined seeds.
     *
     * @param estimator the estimator variant
     * @param allocator the allocator
     * @param definition the definition the savings were computed with
     * @param perSeed the per-seed savings
     * @return the summary
     */
    public static SavingSummary summarise(String estimator, String allocator, Definition definition,
                                          List<Saving> perSeed) {
        double[] v = perSeed.stream().filter(s -> s.bound() != Bound.UNDEFINED).mapToDouble(Saving::value).toArray();
        int bounded = (int) perSeed.stream().filter(s -> s.bound() == Bound.AT_MOST || s.bound() == Bound.AT_LEAST)
                .count();
        return new SavingSummary(estimator, allocator, definition, List.copyOf(perSeed), mean(v), std(v),
                bootstrapMean(v), bounded, perSeed.size() - v.length);
    }

    /**
     * The null spread of a saving: every uniform run scored against every other uniform run of a different seed
     * (ordered pairs s' against s, s' != s), the scored run's curve cut at N as an allocator's would be. Identical
     * curves give exactly 0.
     *
     * @param estimator the estimator variant
     * @param definition the saving definition
     * @param uniforms the uniform runs of that estimator, one per seed
     * @return the spread over the ordered pairs
     */
    public static NullSpread nullSpread(String estimator, Definition definition, List<Run> uniforms) {
        List<Double> values = new ArrayList<>();
        int bounded = 0;
        int undefined = 0;
        for (Run reference : uniforms) {
            for (Run scored : uniforms) {
                if (scored.seed() != reference.seed()) {
                    Saving s = saving(definition, scored, reference);
                    if (s.bound() == Bound.UNDEFINED) {
                        undefined++;
                    } else {
                        values.add(s.value());
                        bounded += s.bound() == Bound.EXACT ? 0 : 1;
                    }
                }
            }
        }
        return spread(estimator, "saving " + definition.label(), definition, values, bounded, undefined);
    }

    /**
     * The null spread of the accuracy difference at N: uniform seed s' minus uniform seed s over all ordered pairs,
     * the scale against which a paired difference between allocators is read. Its mean is 0 by symmetry.
     *
     * @param estimator the estimator variant
     * @param uniforms the uniform runs of that estimator, one per seed
     * @return the spread over the ordered pairs
     */
    public static NullSpread nullAccuracySpread(String estimator, List<Run> uniforms) {
        List<Double> values = new ArrayList<>();
        int undefined = 0;
        for (Run reference : uniforms) {
            for (Run other : uniforms) {
                if (other.seed() != reference.seed()) {
                    double d = smoothedAt(other.records(), other.budget())
                            - smoothedAt(reference.records(), reference.budget());
                    if (Double.isNaN(d)) {
                        undefined++;
                    } else {
                        values.add(d);
                    }
                }
            }
        }
        return spread(estimator, "smoothed accuracy at N, seed s' minus seed s", null, values, 0, undefined);
    }

    private static NullSpread spread(String estimator, String statistic, Definition definition, List<Double> values,
                                     int bounded, int undefined) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        double[] sorted = v.clone();
        Arrays.sort(sorted);
        Interval range = v.length == 0 ? new Interval(Double.NaN, Double.NaN)
                : new Interval(quantile(sorted, (1 - LEVEL) / 2), quantile(sorted, (1 + LEVEL) / 2));
        return new NullSpread(estimator, statistic, definition, v.length, mean(v), std(v),
                v.length == 0 ? Double.NaN : sorted[0], v.length == 0 ? Double.NaN : sorted[v.length - 1], range,
                bounded, undefined);
    }

    /**
     * The paired difference in smoothed accuracy at N, {@code second - first}, over the seeds both ran.
     *
     * @param estimator the estimator variant
     * @param first the runs subtracted
     * @param second the runs they are subtracted from
     * @return per-seed differences, mean, std and paired bootstrap interval
     */
    public static PairedDifference pairedDifference(String estimator, List<Run> first, List<Run> second) {
        List<Long> seeds = new ArrayList<>();
        List<Double> diffs = new ArrayList<>();
        for (Run b : second) {
            for (Run a : first) {
                if (a.seed() == b.seed()) {
                    double d = smoothedAt(b.records(), b.budget()) - smoothedAt(a.records(), a.budget());
                    if (!Double.isNaN(d)) {
                        seeds.add(b.seed());
                        diffs.add(d);
                    }
                }
            }
        }
        double[] v = diffs.stream().mapToDouble(Double::doubleValue).toArray();
        return new PairedDifference(estimator, first.get(0).allocator(), second.get(0).allocator(), seeds, diffs,
                mean(v), std(v), bootstrapMean(v));
    }

    /**
     * Computes the whole report, per estimator variant, from the finished runs. Allocators keep the order they ran in;
     * each non-uniform run is paired with the uniform run of the same estimator and seed (a seed without a uniform run
     * is left out of the savings).
     *
     * @param runs all runs
     * @return one report per estimator variant
     */
    public static List<Report> analyse(List<Run> runs) {
        Map<String, Map<String, List<Run>>> grouped = new LinkedHashMap<>();
        for (Run r : runs) {
            grouped.computeIfAbsent(r.estimator(), k -> new LinkedHashMap<>())
                    .computeIfAbsent(r.allocator(), k -> new ArrayList<>()).add(r);
        }
        List<Report> out = new ArrayList<>();
        for (var est : grouped.entrySet()) {
            String e = est.getKey();
            List<Run> uniforms = est.getValue().getOrDefault(UNIFORM, List.of());
            List<AccuracyAtN> accuracy = new ArrayList<>();
            List<SavingSummary> conservative = new ArrayList<>();
            List<SavingSummary> own = new ArrayList<>();
            for (var alloc : est.getValue().entrySet()) {
                List<Run> rs = alloc.getValue();
                long budget = rs.get(0).budget();
                double[] acc = rs.stream().mapToDouble(r -> smoothedAt(r.records(), r.budget())).toArray();
                double[] wall = rs.stream().mapToDouble(r -> wallAt(r.records(), r.budget())).toArray();
                accuracy.add(new AccuracyAtN(e, alloc.getKey(), budget, rs.stream().map(Run::seed).toList(),
                        Arrays.stream(acc).boxed().toList(), mean(acc), std(acc), mean(wall)));
                if (alloc.getKey().equals(UNIFORM) || uniforms.isEmpty()) {
                    continue;
                }
                List<Saving> a = new ArrayList<>();
                List<Saving> b = new ArrayList<>();
                for (Run r : rs) {
                    uniforms.stream().filter(u -> u.seed() == r.seed()).findFirst().ifPresent(u -> {
                        a.add(saving(Definition.TO_UNIFORM_ACCURACY, r, u));
                        b.add(saving(Definition.TO_OWN_ACCURACY, r, u));
                    });
                }
                conservative.add(summarise(e, alloc.getKey(), Definition.TO_UNIFORM_ACCURACY, a));
                own.add(summarise(e, alloc.getKey(), Definition.TO_OWN_ACCURACY, b));
            }
            List<NullSpread> nulls = new ArrayList<>();
            if (uniforms.size() > 1) {
                nulls.add(nullSpread(e, Definition.TO_UNIFORM_ACCURACY, uniforms));
                nulls.add(nullSpread(e, Definition.TO_OWN_ACCURACY, uniforms));
                nulls.add(nullAccuracySpread(e, uniforms));
            }
            List<PairedDifference> differences = new ArrayList<>();
            List<List<Run>> byAllocator = new ArrayList<>(est.getValue().values());
            for (int i = 0; i < byAllocator.size(); i++) {
                for (int j = i + 1; j < byAllocator.size(); j++) {
                    differences.add(pairedDifference(e, byAllocator.get(i), byAllocator.get(j)));
                }
            }
            out.add(new Report(e, accuracy, conservative, own, nulls, differences));
        }
        return out;
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

    /**
     * The markdown body of {@code summary.md}: accuracy at N, the headline saving (to uniform's accuracy), the
     * paper's saving (to the allocator's own accuracy), the uniform-against-uniform null spread and the paired
     * accuracy differences, each with its definition.
     *
     * @param reports the reports from {@link #analyse}
     * @param uniformFactor how far beyond N uniform was trained (k)
     * @return markdown text
     */
    public static String markdown(List<Report> reports, int uniformFactor) {
        StringBuilder b = new StringBuilder();
        b.append("## Smoothed test accuracy at N\n\n");
        b.append("| estimator | allocator | seeds | budget N (queries) | smoothed test accuracy at N (mean ± std) "
                + "| per seed | wall s per run |\n|---|---|---|---|---|---|---|\n");
        for (Report r : reports) {
            for (AccuracyAtN a : r.accuracy()) {
                b.append(String.format(Locale.ROOT, "| %s | %s | %d | %,d | %s ± %s | %s | %.1f |%n", a.estimator(),
                        a.allocator(), a.seeds().size(), a.budget(), pct(a.mean(), 2), num(100 * a.std(), 2),
                        perSeed(a.perSeed(), 2), a.wallSeconds()));
            }
        }
        b.append(String.format(Locale.ROOT, "%n## Headline: query saving to reach uniform's accuracy at N "
                + "(conservative)%n%nPer seed s, the target is uniform's smoothed accuracy at N (seed s); saving = 1 - "
                + "Q_alloc / Q_uniform, where Q is the queries at the first evaluation whose smoothed accuracy reaches "
                + "the target, the allocator's curve cut at N. When the allocator ends ahead of uniform this target is "
                + "lower on its curve, where savings are smaller. If the allocator does not reach the target within N, "
                + "its saving is below 1 - N / Q_uniform (at most 0): that bound is used and marked ≤, so a mean "
                + "containing one is an upper bound. Mean over seeds with a paired bootstrap %.0f%% interval (%,d "
                + "resamples of the seeds, percentile, fixed seed).%n%n", 100 * LEVEL, BOOTSTRAP_RESAMPLES));
        savingTable(b, reports, true, uniformFactor);
        b.append(String.format(Locale.ROOT, "%n## Query saving to reach the allocator's own accuracy at N (the "
                + "paper's statement, optimistic)%n%nPer seed s, the target is the allocator's own smoothed accuracy "
                + "at N; uniform (trained up to %d N) needs Q_uniform to reach it. If uniform never reaches it, its "
                + "saving is above 1 - Q_alloc / (%d N): that bound is used and marked ≥, so a mean containing one is "
                + "a lower bound.%n%n", uniformFactor, uniformFactor));
        savingTable(b, reports, false, uniformFactor);
        b.append(String.format(Locale.ROOT, "%n## Seed noise: uniform against uniform%n%nThe same statistics between "
                + "uniform runs that differ only in seed: uniform seed s' scored as if it were an allocator (its curve "
                + "cut at N) against uniform seed s, over all ordered pairs s' != s (undefined pairs left out). A "
                + "single seed's saving inside this spread is not distinguishable from a change of seed. Under the "
                + "first definition a seed that ends below the other is credited with its ≤ bound rather than its "
                + "true, lower saving, so that null's mean is biased upwards.%n%n| estimator | statistic | ordered "
                + "pairs | mean ± std | 95%% range of the pairs | min .. max | bounds used | undefined |%n"
                + "|---|---|---|---|---|---|---|---|%n"));
        for (Report r : reports) {
            for (NullSpread n : r.nulls()) {
                boolean points = n.definition() == null;
                int digits = points ? 2 : 1;
                double scale = 100;
                String unit = points ? " points" : "%";
                b.append(String.format(Locale.ROOT, "| %s | %s | %d | %s%s ± %s | [%s, %s] | %s .. %s | %s | %d |%n",
                        n.estimator(), n.statistic(), n.pairs(), signed(scale * n.mean(), digits), unit,
                        num(scale * n.std(), digits), signed(scale * n.range().low(), digits),
                        signed(scale * n.range().high(), digits), signed(scale * n.min(), digits),
                        signed(scale * n.max(), digits), points ? "—" : Integer.toString(n.bounded()),
                        n.undefined()));
            }
        }
        b.append(String.format(Locale.ROOT, "%n## Paired differences in smoothed test accuracy at N%n%nPer seed, the "
                + "second allocator's smoothed accuracy at N minus the first's (same seed: same initial parameters, "
                + "batch order and noise key), in percentage points; mean with a paired bootstrap %.0f%% interval."
                + "%n%n| estimator | difference | seeds | mean [%.0f%% CI] (points) | std | per seed |%n"
                + "|---|---|---|---|---|---|%n", 100 * LEVEL, 100 * LEVEL));
        for (Report r : reports) {
            for (PairedDifference d : r.differences()) {
                b.append(String.format(Locale.ROOT, "| %s | %s − %s | %d | %s [%s, %s] | %s | %s |%n", d.estimator(),
                        d.second(), d.first(), d.seeds().size(), signed(100 * d.mean(), 2),
                        signed(100 * d.ci().low(), 2), signed(100 * d.ci().high(), 2), num(100 * d.std(), 2),
                        signedPerSeed(d.perSeed())));
            }
        }
        return b.toString();
    }

    private static void savingTable(StringBuilder b, List<Report> reports, boolean conservative, int uniformFactor) {
        b.append("| estimator | allocator | saving, mean [95% CI] | std | per seed | bounds used | undefined |\n"
                + "|---|---|---|---|---|---|---|\n");
        for (Report r : reports) {
            for (SavingSummary s : conservative ? r.toUniformAccuracy() : r.toOwnAccuracy()) {
                String boundNote = s.bounded() == 0 ? "0" : String.format(Locale.ROOT, "%d (%s)", s.bounded(),
                        conservative ? "allocator did not reach the target within N"
                                : "uniform did not reach the target within " + uniformFactor + " N");
                b.append(String.format(Locale.ROOT, "| %s | %s | **%s%%** [%s, %s] | %s | %s | %s | %d |%n",
                        s.estimator(), s.allocator(), num(100 * s.mean(), 1), num(100 * s.ci().low(), 1),
                        num(100 * s.ci().high(), 1), num(100 * s.std(), 1), savingsPerSeed(s.perSeed()), boundNote,
                        s.undefined()));
            }
        }
    }

    /**
     * A few console lines: accuracy at N, both savings with intervals, the null spread and the differences between
     * non-uniform allocators.
     *
     * @param reports the reports from {@link #analyse}
     * @return plain text
     */
    public static String console(List<Report> reports) {
        StringBuilder b = new StringBuilder();
        for (Report r : reports) {
            b.append(r.estimator()).append(": smoothed test accuracy at N");
            for (AccuracyAtN a : r.accuracy()) {
                b.append(String.format(Locale.ROOT, " | %s %s", a.allocator(), pct(a.mean(), 2)));
            }
            b.append('\n');
            for (int i = 0; i < r.toUniformAccuracy().size(); i++) {
                SavingSummary a = r.toUniformAccuracy().get(i);
                SavingSummary o = r.toOwnAccuracy().get(i);
                b.append(String.format(Locale.ROOT, "  %s saving vs uniform: to uniform's accuracy %s%% [%s, %s]%s "
                                + "(headline); to its own accuracy %s%% [%s, %s]%s%n", a.allocator(),
                        num(100 * a.mean(), 1), num(100 * a.ci().low(), 1), num(100 * a.ci().high(), 1),
                        a.bounded() > 0 ? " (upper bound)" : "", num(100 * o.mean(), 1), num(100 * o.ci().low(), 1),
                        num(100 * o.ci().high(), 1), o.bounded() > 0 ? " (lower bound)" : ""));
            }
            for (NullSpread n : r.nulls()) {
                if (n.definition() != null) {
                    b.append(String.format(Locale.ROOT, "  seed noise, uniform vs uniform, saving %s: %s%% ± %s%n",
                            n.definition().label(), signed(100 * n.mean(), 1), num(100 * n.std(), 1)));
                }
            }
            for (PairedDifference d : r.differences()) {
                if (!d.first().equals(UNIFORM)) {
                    b.append(String.format(Locale.ROOT, "  %s − %s at N: %s points [%s, %s]%n", d.second(),
                            d.first(), signed(100 * d.mean(), 2), signed(100 * d.ci().low(), 2),
                            signed(100 * d.ci().high(), 2)));
                }
            }
        }
        return b.toString();
    }

    private static String savingsPerSeed(List<Saving> savings) {
        List<String> parts = new ArrayList<>();
        for (Saving s : savings) {
            String mark = switch (s.bound()) {
                case AT_MOST -> "≤";
                case AT_LEAST -> "≥";
                default -> "";
            };
            parts.add(s.bound() == Bound.UNDEFINED ? "n/a" : mark + num(100 * s.value(), 1));
        }
        return String.join(", ", parts) + "%";
    }

    private static String perSeed(List<Double> values, int digits) {
        List<String> parts = new ArrayList<>();
        for (double v : values) {
            parts.add(num(100 * v, digits));
        }
        return String.join(", ", parts) + "%";
    }

    private static String signedPerSeed(List<Double> values) {
        List<String> parts = new ArrayList<>();
        for (double v : values) {
            parts.add(signed(100 * v, 2));
        }
        return String.join(", ", parts);
    }

    private static String pct(double fraction, int digits) {
        return num(100 * fraction, digits) + "%";
    }

    private static String num(double v, int digits) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    private static String signed(double v, int digits) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%+." + digits + "f", v);
    }
}
