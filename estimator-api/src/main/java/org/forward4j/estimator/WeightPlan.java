package org.forward4j.estimator;

import java.util.List;
import org.forward4j.noise.NoiseStream;

/**
 * Queries that perturb the parameters along regenerated directions (SPSA, RGE; method.md §2).
 *
 * <p>Direction {@code j} is the flat vector {@code z_j[k] = NoiseStream(seed, step, j, 0).element(dist, k)} for
 * {@code k < d}, the same for black-box and native objectives, so every backend perturbs identically.
 *
 * @param seed the run's seed
 * @param step the step
 * @param distribution Gaussian or Rademacher directions
 * @param queries the queries; directions may repeat with different scales and rows
 */
public record WeightPlan(long seed, int step, NoiseStream.Distribution distribution, List<WeightQuery> queries) {

    /**
     * Copies the query list.
     *
     * @param seed the run's seed
     * @param step the step
     * @param distribution Gaussian or Rademacher directions
     * @param queries the queries
     */
    public WeightPlan {
        queries = List.copyOf(queries);
    }

    /**
     * The noise stream of a direction.
     *
     * @param direction the draw number
     * @return the stream whose first d elements are the direction
     */
    public NoiseStream stream(int direction) {
        return new NoiseStream(seed, step, direction, 0);
    }

    /**
     * Total queries of the plan.
     *
     * @return the sum of row counts
     */
    public long queryCount() {
        long n = 0;
        for (WeightQuery q : queries) {
            n += q.rows().length;
        }
        return n;
    }
}
