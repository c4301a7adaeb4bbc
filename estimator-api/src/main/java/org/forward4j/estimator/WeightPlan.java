package org.forward4j.estimator;

import java.util.List;
import org.forward4j.noise.NoiseStream;

/**
 * Queries that perturb the parameters along regenerated directions (SPSA, RGE; docs/method.md §2).
 *
 * <p>Direction {@code j} is the flat vector {@code z_j[k] = NoiseStream(seed, step, j, 0).element(dist, k)} for
 * {@code k < d}, the same for black-box and native objectives, so every backend perturbs identically.
 *
 * @param seed the run's seed
 * @param step the step
 * @param distribution Gaussian or Rademacher directions
 * @param queries the queries; directions may repeat with different scales and rows (the list is copied, the
 *     queries' row arrays are not)
 */
public record WeightPlan(long seed, long step, NoiseStream.Distribution distribution, List<WeightQuery> queries) {

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
     * A maximal run of consecutive queries on one direction: the unit whose coefficient
     * {@link StreamingQueryEvaluator#evaluateAndCombine} asks a {@link DirectionWeigher} for.
     *
     * @param direction the run's direction
     * @param from its first query
     * @param to one past its last query
     * @param perturbs false when every query of the run is clean (scale 0), so the run adds no term
     */
    public record Run(int direction, int from, int to, boolean perturbs) {
    }

    /**
     * The maximal runs of consecutive queries on one direction, in plan order.
     *
     * @return the runs
     */
    public List<Run> directionRuns() {
        List<Run> runs = new java.util.ArrayList<>();
        int from = 0;
        for (int q = 1; q <= queries.size(); q++) {
            if (q == queries.size() || queries.get(q).direction() != queries.get(from).direction()) {
                boolean perturbs = false;
                for (int k = from; k < q; k++) {
                    perturbs |= queries.get(k).scale() != 0f;
                }
                runs.add(new Run(queries.get(from).direction(), from, q, perturbs));
                from = q;
            }
        }
        return runs;
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
