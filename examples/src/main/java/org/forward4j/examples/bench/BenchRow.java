package org.forward4j.examples.bench;

import java.util.Arrays;

/**
 * One measured configuration: an estimator's steps on one shape, and the plain forward passes over the same rows
 * timed alternately with them (method.md §6: every throughput is a fraction of plain evaluation of the same
 * number of rows, measured in the same run).
 *
 * @param shape the MLP's widths, e.g. {@code 784-256-10}
 * @param estimator the estimator variant's label
 * @param drawsPerPoint draws per point and step
 * @param queriesPerStep queries per step (also the plain pass's rows)
 * @param stepSeconds wall seconds of each timed step
 * @param plainSeconds wall seconds of each timed plain pass
 * @param warmedUp false when the only timed step came without a separate warm-up step (steps too long for one)
 * @param allocatedBytes mean heap bytes allocated per step by all threads (-1 if unknown)
 * @param peakHeapBytes largest peak heap over the collected baseline of any timed step
 * @param peakNativeBytes largest peak native (malloc) bytes in use over the baseline of any timed step (-1 if
 *     unknown)
 * @param load the one-minute load average when the row finished
 */
public record BenchRow(String shape, String estimator, int drawsPerPoint, long queriesPerStep, double[] stepSeconds,
                       double[] plainSeconds, boolean warmedUp, long allocatedBytes, long peakHeapBytes,
                       long peakNativeBytes, String load) {

    /**
     * Validates and copies the samples.
     *
     * @param shape the MLP's widths
     * @param estimator the estimator's label
     * @param drawsPerPoint draws per point
     * @param queriesPerStep queries per step, at least 1
     * @param stepSeconds at least one positive sample
     * @param plainSeconds at least one positive sample
     * @param warmedUp whether a warm-up step preceded the timed ones
     * @param allocatedBytes mean allocated bytes per step
     * @param peakHeapBytes peak heap over baseline
     * @param peakNativeBytes peak native over baseline
     * @param load the load average
     */
    public BenchRow {
        if (queriesPerStep < 1) {
            throw new IllegalArgumentException("queriesPerStep must be at least 1, got " + queriesPerStep);
        }
        stepSeconds = positive(stepSeconds, "stepSeconds");
        plainSeconds = positive(plainSeconds, "plainSeconds");
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

    @Override
    public double[] stepSeconds() {
        return stepSeconds.clone();
    }

    @Override
    public double[] plainSeconds() {
        return plainSeconds.clone();
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
     * Sample-queries per second: queries per step over the median time per step.
     *
     * @return the throughput
     */
    public double queriesPerSecond() {
        return queriesPerStep / stepMedian();
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

    @Override
    public boolean equals(Object o) {
        return o instanceof BenchRow r && r.shape.equals(shape) && r.estimator.equals(estimator)
                && r.drawsPerPoint == drawsPerPoint && r.queriesPerStep == queriesPerStep
                && Arrays.equals(r.stepSeconds, stepSeconds) && Arrays.equals(r.plainSeconds, plainSeconds)
                && r.warmedUp == warmedUp && r.allocatedBytes == allocatedBytes && r.peakHeapBytes == peakHeapBytes
                && r.peakNativeBytes == peakNativeBytes && r.load.equals(load);
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
