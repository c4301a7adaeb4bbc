package org.forward4j.benchmarks;

import java.util.Arrays;

/**
 * One measured configuration: an estimator's steps on one shape, and the plain forward passes over the same rows
 * timed alternately with them (docs/method.md §6: every throughput is a fraction of plain evaluation of the same
 * number of rows, measured in the same run).
 *
 * @param shape the MLP's widths, e.g. {@code 784-256-10}
 * @param estimator the estimator variant's label
 * @param drawsPerPoint draws per point and step
 * @param queriesPerStep queries per step (also the plain pass's rows)
 * @param stepSeconds wall seconds of each timed step
 * @param plainSeconds wall seconds of each timed plain pass
 * @param stepCpuSeconds CPU seconds (all threads) of each timed step, NaN where unmeasured
 * @param plainCpuSeconds CPU seconds (all threads) of each timed plain pass, NaN where unmeasured
 * @param warmedUp false when the only timed step came without a separate warm-up step (steps too long for one)
 * @param allocatedBytes mean heap bytes allocated per step by all threads (-1 if unknown)
 * @param peakHeapBytes largest peak heap over the collected baseline of any timed step
 * @param peakNativeBytes largest peak native (malloc) bytes in use over the baseline of any timed step (-1 if
 *     unknown)
 * @param liveHeapBytes peak live heap of one extra, untimed step ({@link MemoryProbe#peakLiveHeap}); -1 if not
 *     measured
 * @param load the one-minute load average when the row finished
 * @param warmStepSeconds wall seconds per step over a window of back-to-back steps (as the JAX peers time a call);
 *     NaN where not measured
 * @param warmStepCpuSeconds CPU seconds (all threads) per step over the same window; NaN where not measured
 */
public record BenchRow(String shape, String estimator, int drawsPerPoint, long queriesPerStep, double[] stepSeconds,
                       double[] plainSeconds, double[] stepCpuSeconds, double[] plainCpuSeconds, boolean warmedUp,
                       long allocatedBytes, long peakHeapBytes, long peakNativeBytes, long liveHeapBytes,
                       String load, double warmStepSeconds, double warmStepCpuSeconds) {

    /**
     * Validates and copies the samples.
     *
     * @param shape the MLP's widths
     * @param estimator the estimator's label
     * @param drawsPerPoint draws per point
     * @param queriesPerStep queries per step, at least 1
     * @param stepSeconds at least one positive sample
     * @param plainSeconds at least one positive sample
     * @param stepCpuSeconds one value per step sample
     * @param plainCpuSeconds one value per plain sample
     * @param warmedUp whether a warm-up step preceded the timed ones
     * @param allocatedBytes mean allocated bytes per step
     * @param peakHeapBytes peak heap over baseline
     * @param peakNativeBytes peak native over baseline
     * @param liveHeapBytes peak live heap, -1 if not measured
     * @param load the load average
     * @param warmStepSeconds seconds per step in the back-to-back window, positive, or NaN
     * @param warmStepCpuSeconds CPU seconds per step in that window, or NaN
     */
    public BenchRow {
        if (!(Double.isNaN(warmStepSeconds) || warmStepSeconds > 0)) {
            throw new IllegalArgumentException("warmStepSeconds must be positive or NaN, got " + warmStepSeconds);
        }
        if (queriesPerStep < 1) {
            throw new IllegalArgumentException("queriesPerStep must be at least 1, got " + queriesPerStep);
        }
        stepSeconds = positive(stepSeconds, "stepSeconds");
        plainSeconds = positive(plainSeconds, "plainSeconds");
        stepCpuSeconds = sameLength(stepCpuSeconds, stepSeconds, "stepCpuSeconds");
        plainCpuSeconds = sameLength(plainCpuSeconds, plainSeconds, "plainCpuSeconds");
    }

    private static double[] sameLength(double[] cpu, double[] wall, String name) {
        if (cpu == null || cpu.length != wall.length) {
            throw new IllegalArgumentException(name + " needs one value per wall-time sample (" + wall.length
                    + "), got " + (cpu == null ? "null" : cpu.length));
        }
        return cpu.clone();
    }

    private static double[] positive(double[] samples, String name) {
        if (samples == null || samples.length == 0) {
            throw new IllegalArgumentException(name + " needs at least one sample");
        }
        for (double s : samples) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException(name + " must be positive and finite, got "
                        + Arrays.toString(samples));
            }
        }
        return samples.clone();
    }

    /**
     * The wall seconds of each timed step.
     *
     * @return a copy
     */
    @Override
    public double[] stepSeconds() {
        return stepSeconds.clone();
    }

    /**
     * The wall seconds of each timed plain pass.
     *
     * @return a copy
     */
    @Override
    public double[] plainSeconds() {
        return plainSeconds.clone();
    }

    /**
     * The CPU seconds of each timed step.
     *
     * @return a copy
     */
    @Override
    public double[] stepCpuSeconds() {
        return stepCpuSeconds.clone();
    }

    /**
     * The CPU seconds of each timed plain pass.
     *
     * @return a copy
     */
    @Override
    public double[] plainCpuSeconds() {
        return plainCpuSeconds.clone();
    }

    /**
     * The median of samples (the mean of the middle two for an even count): robust to the odd step slowed by other
     * jobs on a shared machine.
     *
     * @param samples at least one value
     * @return the median
     */
    public static double median(double[] samples) {
        double[] s = samples.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /**
     * Median seconds per step.
     *
     * @return the median
     */
    public double stepMedian() {
        return median(stepSeconds);
    }

    /**
     * Median seconds per plain pass.
     *
     * @return the median
     */
    public double plainMedian() {
        return median(plainSeconds);
    }

    /**
     * Median CPU seconds (all threads) per step.
     *
     * @return the median, NaN when unmeasured
     */
    public double stepCpuMedian() {
        return median(stepCpuSeconds);
    }

    /**
     * Median CPU seconds (all threads) per plain pass.
     *
     * @return the median, NaN when unmeasured
     */
    public double plainCpuMedian() {
        return median(plainCpuSeconds);
    }

    /**
     * Sample-queries per second: queries per step over the median time per step.
     *
     * @return the throughput
     */
    public double queriesPerSecond() {
        return queriesPerStep / stepMedian();
    }

    /**
     * Queries per second over the back-to-back window: the rate a loop of steps sustains, measured the way the JAX
     * peers measure theirs; where no window was run (steps too long to repeat), the cold median's rate.
     *
     * @return queries per second, warm
     */
    public double warmQueriesPerSecond() {
        return Double.isNaN(warmStepSeconds) ? queriesPerSecond() : queriesPerStep / warmStepSeconds;
    }

    /**
     * Queries per CPU-second (all threads) over the back-to-back window, or over the cold steps where no window ran.
     *
     * @return queries per CPU-second, NaN if CPU time was not measured
     */
    public double warmQueriesPerCpuSecond() {
        return Double.isNaN(warmStepSeconds) ? queriesPerStep / stepCpuMedian() : queriesPerStep / warmStepCpuSeconds;
    }

    /**
     * Rows per second of the plain forward pass (the physical limit).
     *
     * @return the throughput
     */
    public double plainRowsPerSecond() {
        return queriesPerStep / plainMedian();
    }

    /**
     * The estimator's throughput as a fraction of the plain forward's.
     *
     * @return {@code queriesPerSecond / plainRowsPerSecond}
     */
    public double fractionOfPlain() {
        return queriesPerSecond() / plainRowsPerSecond();
    }

    /**
     * The same fraction in CPU time: plain CPU seconds over step CPU seconds for the same rows. Less sensitive than
     * the wall-time fraction to other jobs on a shared machine; it does not credit parallelism (a step that leaves
     * a core idle loses wall time, not CPU time).
     *
     * @return {@code plainCpuMedian / stepCpuMedian}, NaN when unmeasured
     */
    public double fractionOfPlainCpu() {
        return plainCpuMedian() / stepCpuMedian();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BenchRow r && r.shape.equals(shape) && r.estimator.equals(estimator)
                && r.drawsPerPoint == drawsPerPoint && r.queriesPerStep == queriesPerStep
                && Arrays.equals(r.stepSeconds, stepSeconds) && Arrays.equals(r.plainSeconds, plainSeconds)
                && Arrays.equals(r.stepCpuSeconds, stepCpuSeconds) && Arrays.equals(r.plainCpuSeconds, plainCpuSeconds)
                && r.warmedUp == warmedUp && r.allocatedBytes == allocatedBytes && r.peakHeapBytes == peakHeapBytes
                && r.peakNativeBytes == peakNativeBytes && r.liveHeapBytes == liveHeapBytes && r.load.equals(load)
                && Double.compare(r.warmStepSeconds, warmStepSeconds) == 0
                && Double.compare(r.warmStepCpuSeconds, warmStepCpuSeconds) == 0;
    }

    @Override
    public int hashCode() {
        return ((shape.hashCode() * 31 + estimator.hashCode()) * 31 + drawsPerPoint) * 31
                + Arrays.hashCode(stepSeconds);
    }

    @Override
    public String toString() {
        return shape + " " + estimator + " x" + drawsPerPoint + ": " + stepMedian() + " s/step, "
                + fractionOfPlain() + " of plain";
    }
}
