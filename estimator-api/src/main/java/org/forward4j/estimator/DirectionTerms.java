package org.forward4j.estimator;

import java.util.Arrays;
import java.util.Objects;
import org.forward4j.noise.NoiseStream;

/**
 * The ordered terms a weight-perturbation estimate's gradient was assembled from (docs/method.md §2, §5): the
 * gradient is exactly {@code g = 0; for k in order: g += weights[k] * z_{directions[k]}}, element by element in
 * float, {@code z_j} the stream {@code NoiseStream(seed, step, j, 0)} of {@code distribution} (the
 * {@link WeightPlan} layout) and each addition {@code g[i] += weights[k] * z_j[i]} as
 * {@link NoiseStream#addScaled} performs it.
 *
 * <p>Why it exists: a gradient described this way can be rebuilt anywhere from a few scalars, so a process that
 * holds a replica of the parameters (a cluster executor) can apply the same optimiser update as the engine, bit
 * for bit, without the gradient or the parameters ever being sent: only the seed, the step and these
 * {@code (direction, weight)} pairs. It is optional: an estimator whose gradient is not such a sum (activation
 * noise) or that does not say so reports null in {@link GradientEstimate#terms()}, and a distributed runner then
 * sends parameters instead.
 *
 * <p>The arrays are handed over, not copied; nobody changes them after construction.
 *
 * @param seed the run's seed (the noise key)
 * @param step the step whose directions these are
 * @param distribution the directions' distribution
 * @param directions the direction numbers, in the order they were added
 * @param weights each direction's weight, as the float that multiplied it
 */
public record DirectionTerms(long seed, long step, NoiseStream.Distribution distribution, int[] directions,
                             float[] weights) {

    /** Elements per block of {@link #addTo}: a multiple of 128, so blocks start on whole Philox blocks. */
    static final int BLOCK = 1 << 16;

    /**
     * Checks the arrays.
     *
     * @param seed the run's seed
     * @param step the step
     * @param distribution the directions' distribution
     * @param directions the direction numbers in order
     * @param weights the weights in the same order
     * @throws IllegalArgumentException if the arrays differ in length
     */
    public DirectionTerms {
        Objects.requireNonNull(distribution, "distribution");
        if (directions.length != weights.length) {
            throw new IllegalArgumentException(directions.length + " directions but " + weights.length + " weights");
        }
    }

    /**
     * The number of terms.
     *
     * @return {@code directions.length}
     */
    public int size() {
        return directions.length;
    }

    /**
     * Adds every term to {@code target} in order, regenerating each direction: the gradient of the estimate when
     * {@code target} starts at zero. The vector is cut into fixed blocks assembled in parallel on the common
     * fork-join pool; within a block the terms are added in order, so every element sees the same float operations
     * in the same order as a serial pass and the result has the same bits on any number of cores.
     *
     * @param target a vector of the model's length, updated in place
     */
    public void addTo(float[] target) {
        int dimension = target.length;
        int blocks = (dimension + BLOCK - 1) / BLOCK;
        java.util.stream.IntStream.range(0, blocks).parallel().forEach(block -> {
            int start = block * BLOCK;
            int len = Math.min(BLOCK, dimension - start);
            for (int k = 0; k < directions.length; k++) {
                new NoiseStream(seed, step, directions[k], 0).addScaled(distribution, target, start, len, start,
                        weights[k]);
            }
        });
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DirectionTerms t && seed == t.seed && step == t.step && distribution == t.distribution
                && Arrays.equals(directions, t.directions) && Arrays.equals(weights, t.weights);
    }

    @Override
    public int hashCode() {
        return Objects.hash(seed, step, distribution, Arrays.hashCode(directions), Arrays.hashCode(weights));
    }

    @Override
    public String toString() {
        return "DirectionTerms[seed=" + seed + ", step=" + step + ", " + distribution + ", " + directions.length
                + " terms]";
    }
}
