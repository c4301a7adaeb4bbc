package org.forward4j.estimator.weights;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.forward4j.estimator.DirectionTerms;
import org.forward4j.estimator.DirectionWeigher;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.Streaming;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.PluginContractException;
import org.forward4j.plugin.Settings;

/**
 * The draws of one step of a weight-perturbation estimator (docs/method.md §2, §4), the bookkeeping every such
 * estimator shares. Point i's draws are numbered j = 0, 1, ... across the rounds of the step; draw j perturbs along
 * direction {@link DirectionMode#direction(int, int)}, the stream of that number under the step's noise key,
 * tensor 0 (the {@link WeightPlan} layout). An {@link org.forward4j.estimator.EstimationStep} runs each round as:
 *
 * <pre>{@code
 * List<DirectionDraws.Group> groups = draws.round(counts);  // checks the request and numbers the new draws
 * List<WeightQuery> plan = ...;                              // the estimator's queries for each group, in order
 * double[][] losses = draws.evaluate(plan);                  // runs, checks and counts the plan
 * for each group, for each of its points i:                  // in the groups' order
 *     draws.record(i, coefficient, projection, loss, include);
 * }</pre>
 *
 * <p>and {@link #finish()} assembles the batch estimate {@code g = (1/B) sum_i (1/A_i) sum_j c_ij z_ij}, where
 * A_i counts point i's included draws and c_ij is the recorded coefficient of the regenerated stream z_ij (p_ij
 * itself when the perturbation direction is the stream, as for SPSA and Gaussian RGE). Only scalars are kept: each
 * direction is regenerated once at the end (docs/method.md §5), so a step holds O(draws) scalars and O(d) floats; a last
 * round run by {@link #evaluateLast} has its terms added while the backend holds the directions instead.
 * Instances are single-use and not thread-safe, like the step that owns them.
 */
public final class DirectionDraws {

    /**
     * One direction of a round and the batch points that draw along it, the unit an estimator plans its queries
     * for: with {@link DirectionMode#SHARED} every point whose next draws include draw j (in batch order), per point
     * a single point.
     *
     * @param direction the direction number (noise stream draw)
     * @param points the batch positions i, ascending; a new array the caller may keep
     * @param rows their data rows ({@link StepContext#rows()} at those positions); a new array the caller may keep
     */
    public record Group(int direction, int[] points, int[] rows) {
    }

    private final String component;
    private final StepContext context;
    private final DirectionMode mode;
    private final int dimension;
    /** An empty plan with the step's key: its streams are exactly the directions the evaluator perturbed along. */
    private final WeightPlan key;
    private final DrawLog[] logs;
    /** Each point's draw count once the last planned round is recorded. */
    private final int[] planned;
    /** Per point: the first draw whose term the evaluator already added (evaluateLast); MAX_VALUE if none. */
    private final int[] combinedFrom;
    /** Terms the evaluator added during {@link #evaluateLast}; the estimate starts from them. */
    private final float[] combined;
    private long queries;
    private boolean finished;
    private boolean lastRoundRun;
    /** The last round's groups and the weight each got while the evaluator combined it (for the terms). */
    private List<Group> lastGroups = List.of();
    private double[] lastWeights = new double[0];

    /**
     * Starts the draws of a step; an estimator's {@code begin} creates one, so that a mismatch is reported before
     * any query is spent.
     *
     * @param component what the estimator is called in messages, as given to
     *     {@link org.forward4j.plugin.Settings#reader(String)}, for example {@code "estimator 'spsa'"}
     * @param context the step
     * @param mode how draws are numbered
     * @param streams the distribution of the directions' streams, which every plan of the step carries
     * @throws IllegalArgumentException if {@code theta} does not have the objective's dimension
     * @throws InvalidConfigurationException if the batch is too large for per-point direction numbers
     *     (more than {@link DirectionMode#MAX_PER_POINT_BATCH} points)
     */
    public DirectionDraws(String component, StepContext context, DirectionMode mode,
                          NoiseStream.Distribution streams) {
        this.component = Objects.requireNonNull(component, "component");
        this.context = Objects.requireNonNull(context, "context");
        this.mode = Objects.requireNonNull(mode, "mode");
        this.dimension = context.evaluator().objective().dimension();
        if (context.theta().length != dimension) {
            throw new IllegalArgumentException("theta has " + context.theta().length
                    + " values but the objective has dimension " + dimension);
        }
        if (mode == DirectionMode.PER_POINT && context.batchSize() > DirectionMode.MAX_PER_POINT_BATCH) {
            throw new InvalidConfigurationException(component + " with " + DirectionMode.SETTING + "=per-point "
                    + "numbers point i's draw j as direction i * " + NoiseStream.STREAMS_PER_POINT + " + j, which allows "
                    + "batches of at most " + DirectionMode.MAX_PER_POINT_BATCH + " points, got "
                    + context.batchSize() + "; use " + DirectionMode.SETTING + "=shared or a smaller batch");
        }
        this.key = new WeightPlan(context.seed(), context.step(), Objects.requireNonNull(streams, "streams"),
                List.of());
        this.logs = new DrawLog[context.batchSize()];
        for (int i = 0; i < logs.length; i++) {
            logs[i] = new DrawLog();
        }
        this.planned = new int[logs.length];
        this.combinedFrom = new int[logs.length];
        this.combined = new float[dimension];
        Arrays.fill(combinedFrom, Integer.MAX_VALUE);
    }

    /**
     * The number of parameters d.
     *
     * @return the objective's dimension
     */
    public int dimension() {
        return dimension;
    }

    /**
     * The stream of a direction under the step's key: what the evaluator perturbed along, for an estimator that
     * needs the direction itself (for example to normalise it).
     *
     * @param direction the direction number
     * @return its noise stream (tensor 0; the first d elements are the direction)
     */
    public NoiseStream stream(int direction) {
        return key.stream(direction);
    }

    /**
     * Plans a round: {@code draws[i]} further draws of point i, numbered where its previous ones stopped. With
     * {@link DirectionMode#SHARED} the groups come in ascending j and hold every point drawing j; per point they
     * come point by point, each point's draws in ascending j. Every point of every group must then be
     * {@linkplain #record recorded}, in this order, before the next round or {@link #finish()}.
     *
     * @param draws further draws per batch point (0 for a point not drawn this round)
     * @return the round's directions with their points, empty when nothing is drawn
     * @throws IllegalArgumentException if {@code draws} is null, of the wrong length or negative
     * @throws InvalidConfigurationException if a point would exceed {@link DirectionMode#maxDrawsPerPoint()}
     * @throws IllegalStateException if the step is finished or the previous round is not fully recorded
     */
    public List<Group> round(int[] draws) {
        checkOpen();
        if (lastRoundRun) {
            throw new IllegalStateException(component + " ran its last round (evaluateLast); only finish() may "
                    + "follow");
        }
        checkRecorded();
        int[] end = validate(draws);
        int[] rows = context.rows();
        List<Group> groups = new ArrayList<>();
        if (mode == DirectionMode.SHARED) {
            int lo = Integer.MAX_VALUE;
            int hi = 0;
            for (int i = 0; i < logs.length; i++) {
                if (draws[i] > 0) {
                    lo = Math.min(lo, logs[i].size());
                    hi = Math.max(hi, end[i]);
                }
            }
            int[] members = new int[logs.length];
            for (int j = lo; j < hi; j++) {
                int n = 0;
                for (int i = 0; i < logs.length; i++) {
                    if (logs[i].size() <= j && j < end[i]) {
                        members[n++] = i;
                    }
                }
                if (n > 0) {
                    groups.add(group(j, Arrays.copyOf(members, n), rows));
                }
            }
        } else {
            for (int i = 0; i < logs.length; i++) {
                for (int j = logs[i].size(); j < end[i]; j++) {
                    groups.add(group(mode.direction(i, j), new int[] {i}, rows));
                }
            }
        }
        System.arraycopy(end, 0, planned, 0, end.length);
        return groups;
    }

    private static Group group(int direction, int[] points, int[] rows) {
        int[] groupRows = new int[points.length];
        for (int k = 0; k < points.length; k++) {
            groupRows[k] = rows[points[k]];
        }
        return new Group(direction, points, groupRows);
    }

    /** Checks a round's request and returns each point's draw count after it. */
    private int[] validate(int[] draws) {
        if (draws == null || draws.length != logs.length) {
            throw new IllegalArgumentException("draws must have one entry per batch point (" + logs.length
                    + "), got " + (draws == null ? "null" : draws.length + " entries"));
        }
        int limit = mode.maxDrawsPerPoint();
        int[] end = new int[draws.length];
        for (int i = 0; i < draws.length; i++) {
            if (draws[i] < 0) {
                throw new IllegalArgumentException("draws must be >= 0, got " + draws[i] + " for point " + i
                        + " in " + Arrays.toString(draws));
            }
            long total = (long) logs[i].size() + draws[i];
            if (total > limit) {
                throw new InvalidConfigurationException(component + " with " + DirectionMode.SETTING + "="
                        + Settings.kebab(mode) + " allows at most " + limit + " draws per point and step, but point "
                        + i + " would reach " + total + "; lower the query budget or A_max"
                        + (mode == DirectionMode.SHARED ? "" : ", or use " + DirectionMode.SETTING + "=shared"));
            }
            end[i] = (int) total;
        }
        return end;
    }

    /**
     * Runs a round's queries through the step's evaluator as one {@link WeightPlan} (the step's key and stream
     * distribution), checks that it answered one loss per row of every query and counts the queries. An empty
     * list runs and counts nothing.
     *
     * @param queries the queries, in the order the losses are wanted
     * @return the losses, {@code losses[q][k]} for row k of query q
     * @throws PluginContractException if the evaluator's answer has the wrong shape
     * @throws IllegalStateException if the step is finished
     */
    public double[][] evaluate(List<WeightQuery> queries) {
        checkOpen();
        if (queries.isEmpty()) {
            return new double[0][];
        }
        WeightPlan plan = new WeightPlan(context.seed(), context.step(), key.distribution(), queries);
        double[][] losses = context.evaluator().evaluate(context.theta(), plan);
        checkLosses(plan, losses);
        return losses;
    }

    private void checkLosses(WeightPlan plan, double[][] losses) {
        boolean ok = losses != null && losses.length == plan.queries().size();
        for (int q = 0; ok && q < losses.length; q++) {
            ok = losses[q] != null && losses[q].length == plan.queries().get(q).rows().length;
        }
        if (!ok) {
            throw new PluginContractException("Query evaluator " + context.evaluator() + " returned "
                    + (losses == null ? "null" : losses.length + " loss arrays") + " for a weight plan of "
                    + plan.queries().size() + " queries (" + plan.queryCount()
                    + " rows); it must return one loss per row of every query");
        }
        this.queries += plan.queryCount();
    }

    /**
     * The coefficients {@code p_ij} of one group's member points, computed from the losses of the group's queries
     * (a pure function: it may run on backend threads while other groups are evaluated).
     */
    @FunctionalInterface
    public interface Coefficients {

        /**
         * The coefficients of one group.
         *
         * @param group the group's index in the round
         * @param losses the plan's losses; the group's queries are filled in
         * @param firstQuery the group's first query in the plan
         * @return one coefficient per member point, in {@link Group#points()} order
         */
        double[] of(int group, double[][] losses, int firstQuery);
    }

    /**
     * Evaluates the step's last round and adds its terms {@code w_j z_j} to the estimate while the backend holds
     * each direction ({@link org.forward4j.estimator.StreamingQueryEvaluator#evaluateAndCombine}), so its directions are
     * generated once instead of twice (docs/method.md §5). The caller records every draw of the round from the returned
     * losses as after {@link #evaluate}, then calls {@link #finish()}, which regenerates only earlier rounds'
     * directions. No round may follow.
     *
     * @param groups the round's groups, from {@link #round(int[])}
     * @param queries the plan: every group's queries consecutive, in group order, on the group's direction, and the
     *     same number for each group
     * @param include whether the round's draws enter the estimate (as the caller will record them)
     * @param coefficients each group's member coefficients; must equal what the caller then records
     * @return {@code losses[q][k]} as from {@link #evaluate}
     * @throws IllegalArgumentException if the plan does not have the same number of queries for every group
     */
    public double[][] evaluateLast(List<Group> groups, List<WeightQuery> queries, boolean include,
            Coefficients coefficients) {
        checkOpen();
        if (groups.isEmpty()) {
            lastRoundRun = true;
            return new double[0][];
        }
        if (queries.size() % groups.size() != 0) {
            throw new IllegalArgumentException(queries.size() + " queries do not split evenly over " + groups.size()
                    + " groups");
        }
        int perGroup = queries.size() / groups.size();
        for (int g = 0; g < groups.size(); g++) {
            for (int q = g * perGroup; q < (g + 1) * perGroup; q++) {
                if (queries.get(q).direction() != groups.get(g).direction()) {
                    throw new IllegalArgumentException("query " + q + " is on direction "
                            + queries.get(q).direction() + " but belongs to group " + g + " (direction "
                            + groups.get(g).direction() + ")");
                }
            }
        }
        int b = logs.length;
        double[] perDraw = new double[b];
        for (int i = 0; i < b; i++) {
            int finalIncluded = logs[i].includedCount() + (include ? planned[i] - logs[i].size() : 0);
            perDraw[i] = finalIncluded == 0 ? 0.0 : 1.0 / ((double) b * finalIncluded);
        }
        // the same sum, in the same order, as finish() forms for a direction it regenerates
        double[] weights = new double[groups.size()];
        DirectionWeigher weigher = (from, to, losses) -> {
            if (!include) {
                return 0.0;
            }
            int g = from / perGroup;
            int[] points = groups.get(g).points();
            double[] p = coefficients.of(g, losses, g * perGroup);
            double w = 0.0;
            for (int k = 0; k < points.length; k++) {
                w += p[k] * perDraw[points[k]];
            }
            weights[g] = w; // one slot per group: threads weighing different groups never share one
            return w;
        };
        WeightPlan plan = new WeightPlan(context.seed(), context.step(), key.distribution(), queries);
        double[][] losses = Streaming.evaluateAndCombine(context.evaluator(), context.theta(), plan, weigher,
                combined);
        checkLosses(plan, losses);
        for (int i = 0; i < b; i++) {
            if (planned[i] > logs[i].size()) {
                combinedFrom[i] = logs[i].size();
            }
        }
        lastGroups = List.copyOf(groups);
        lastWeights = weights;
        lastRoundRun = true;
        return losses;
    }

    /**
     * Records point i's next planned draw.
     *
     * @param point the batch position i
     * @param coefficient c_ij, what multiplies the draw's regenerated stream z_ij in its estimate c_ij z_ij
     * @param projection p_ij, the projected difference whose mean square gives the variance statistic
     * @param loss the draw's loss, averaged into the point's {@linkplain #meanLosses() mean loss}
     * @param include whether the draw enters the gradient estimate (false leaves a pilot out, docs/method.md §3.2)
     * @throws IndexOutOfBoundsException if {@code point} is not a batch position
     * @throws IllegalStateException if the step is finished or the point has no planned draw left
     */
    public void record(int point, double coefficient, double projection, double loss, boolean include) {
        checkOpen();
        Objects.checkIndex(point, logs.length);
        if (logs[point].size() >= planned[point]) {
            throw new IllegalStateException("point " + point + " of " + component + " already recorded its "
                    + planned[point] + " planned draws; plan more with round(...)");
        }
        logs[point].add(coefficient, projection, loss, include);
    }

    /**
     * Each point's mean recorded loss over all its draws, included or not: a proxy lambda_i (docs/method.md §3.2).
     *
     * @return one value per point; NaN for a point without draws
     */
    public double[] meanLosses() {
        double[] out = new double[logs.length];
        for (int i = 0; i < logs.length; i++) {
            out[i] = logs[i].meanLoss();
        }
        return out;
    }

    /**
     * Assembles the estimate and ends the step. The gradient is {@code (1/B) sum_i (1/A_i) sum_j c_ij z_ij} over
     * the included draws, each direction regenerated once (shared directions sum their weights over the points
     * first); a point without included draws contributes nothing (its 1/B share stays zero). Per point it
     * reports A_i, {@code v_i = d * mean_j p_ij^2} over the included draws (an estimate of {@code E|p z|^2}, the
     * per-draw variance of docs/method.md §3.2 up to the |g_i|^2 term every draw shares, since |z|^2 is or concentrates
     * at d; 0 without included draws), the mean loss of {@link #meanLosses()} and every query evaluated, and the
     * ordered {@link DirectionTerms} the gradient is the sum of (so that the update can be replayed from scalars).
     *
     * @return the estimate
     * @throws IllegalStateException if the step is already finished or the last round is not fully recorded
     */
    public GradientEstimate finish() {
        checkOpen();
        checkRecorded();
        finished = true;
        int b = logs.length;
        float[] gradient = combined;
        int[] included = new int[b];
        double[] variance = new double[b];
        double[] meanLoss = meanLosses();
        int maxDraws = 0;
        for (int i = 0; i < b; i++) {
            included[i] = logs[i].includedCount();
            variance[i] = dimension * logs[i].meanSquare();
            maxDraws = Math.max(maxDraws, logs[i].size());
        }
        if (mode == DirectionMode.SHARED) {
            // Direction j is shared by every point with a j-th draw: sum its weights first so each direction is
            // regenerated once, w_j = sum_i c_ij / (B A_i).
            double[] weight = new double[maxDraws];
            for (int i = 0; i < b; i++) {
                if (included[i] == 0) {
                    continue;
                }
                double perDraw = 1.0 / ((double) b * included[i]);
                for (int j = 0; j < Math.min(logs[i].size(), combinedFrom[i]); j++) {
                    if (logs[i].included(j)) {
                        weight[j] += logs[i].coefficient(j) * perDraw;
                    }
                }
            }
            List<Term> terms = new ArrayList<>();
            for (int j = 0; j < maxDraws; j++) {
                if (weight[j] != 0.0) {
                    terms.add(new Term(j, (float) weight[j]));
                }
            }
            regenerate(gradient, terms);
            return new GradientEstimate(gradient, included, variance, meanLoss, queries, terms(terms));
        } else {
            List<Term> terms = new ArrayList<>();
            for (int i = 0; i < b; i++) {
                if (included[i] == 0) {
                    continue;
                }
                double perDraw = 1.0 / ((double) b * included[i]);
                for (int j = 0; j < Math.min(logs[i].size(), combinedFrom[i]); j++) {
                    double w = logs[i].coefficient(j) * perDraw;
                    if (logs[i].included(j) && w != 0.0) {
                        terms.add(new Term(mode.direction(i, j), (float) w));
                    }
                }
            }
            regenerate(gradient, terms);
            return new GradientEstimate(gradient, included, variance, meanLoss, queries, terms(terms));
        }
    }

    /**
     * Every term of the estimate in the order it was added: the last round's directions in plan order, as a
     * {@link org.forward4j.estimator.StreamingQueryEvaluator} adds them ({@code c_j z_j} in run order, a term only
     * where {@code c_j != 0}, as the float {@code (float) c_j}), then the regenerated terms of earlier rounds.
     */
    private DirectionTerms terms(List<Term> regenerated) {
        int n = 0;
        for (double w : lastWeights) {
            n += w != 0.0 ? 1 : 0;
        }
        int[] directions = new int[n + regenerated.size()];
        float[] weights = new float[directions.length];
        int k = 0;
        for (int g = 0; g < lastWeights.length; g++) {
            if (lastWeights[g] != 0.0) {
                directions[k] = lastGroups.get(g).direction();
                weights[k++] = (float) lastWeights[g];
            }
        }
        for (Term t : regenerated) {
            directions[k] = t.direction();
            weights[k++] = t.weight();
        }
        return new DirectionTerms(context.seed(), context.step(), key.distribution(), directions, weights);
    }

    /** Elements per block of the parallel assembly: a multiple of 8, so blocks start on whole Philox blocks. */
    static final int ASSEMBLY_BLOCK = 1 << 16;

    /**
     * {@code gradient += sum_k weights[k] z_{directions[k]}}, regenerating each direction (docs/method.md §5). The
     * parameter vector is cut into fixed blocks of {@value #ASSEMBLY_BLOCK} elements assembled in parallel on the
     * common fork-join pool; within a block the directions are added in list order, so every element sees the
     * same additions in the same order as a serial pass: the result has the same bits for any number of cores.
     */
    private void regenerate(float[] gradient, List<Term> terms) {
        NoiseStream.Distribution distribution = key.distribution();
        int blocks = (dimension + ASSEMBLY_BLOCK - 1) / ASSEMBLY_BLOCK;
        java.util.stream.IntStream.range(0, blocks).parallel().forEach(block -> {
            int start = block * ASSEMBLY_BLOCK;
            int len = Math.min(ASSEMBLY_BLOCK, dimension - start);
            for (Term t : terms) {
                key.stream(t.direction()).addScaled(distribution, gradient, start, len, start, t.weight());
            }
        });
    }

    /** One direction's term {@code weight * z_direction} of the estimate. */
    private record Term(int direction, float weight) {
    }

    private void checkRecorded() {
        for (int i = 0; i < logs.length; i++) {
            if (logs[i].size() != planned[i]) {
                throw new IllegalStateException("point " + i + " of " + component + " recorded "
                        + logs[i].size() + " of its " + planned[i] + " planned draws; record every planned draw "
                        + "before the next round or finish()");
            }
        }
    }

    private void checkOpen() {
        if (finished) {
            throw new IllegalStateException("This step of " + component + " (step " + context.step()
                    + ") is already finished; begin a new step");
        }
    }
}
