package org.forward4j.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.apache.spark.broadcast.Broadcast;
import org.forward4j.core.train.Checkpoint;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.ActivationResult;
import org.forward4j.estimator.DirectionTerms;
import org.forward4j.estimator.DirectionWeigher;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.RowWeigher;
import org.forward4j.estimator.StreamingQueryEvaluator;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's evaluator on the driver: every plan the estimator asks for runs as one Spark job over the
 * executors, split into whole queries (weight plans) or whole backend chunks (activation plans), so that every loss
 * has the bits one machine would give it.
 *
 * <p>How executors get a step's parameters (docs in runner-spark/README.md):
 * <ul>
 *   <li><b>seed replay</b>, while every estimate carries {@link DirectionTerms}: each executor keeps a replica of
 *       the parameters and the optimiser; the first job of step t carries the scalars of step t-1's update (its
 *       direction numbers and weights), which the executor applies by regenerating the directions, exactly as the
 *       driver's trainer did. The parameters travel only in a <i>base</i> (start, resume, every
 *       {@code rebase-every} steps) that an executor fetches when it has to rebuild its replica, replaying the
 *       updates logged since. Every answer carries the hash of the replica, checked against the driver's
 *       parameters, so replicas cannot drift silently;</li>
 *   <li><b>parameter broadcast</b> otherwise (activation noise, estimators without terms): the step's parameters
 *       are broadcast once per step.</li>
 * </ul>
 * Gradients of activation-noise plans are reduced on the driver: each chunk's terms come back and are added in
 * chunk order, the order of the local backend.
 */
final class SparkEvaluator implements StreamingQueryEvaluator {

    private static final Logger LOG = LoggerFactory.getLogger(SparkEvaluator.class);
    /** Rows a query's perturbation costs, roughly, when weight plans are split (generating d values). */
    private static final int QUERY_OVERHEAD_ROWS = 64;

    private final Cluster cluster;
    private final Objective objective;
    private final Broadcast<Messages.Setup> setup;
    private final RunnerSettings settings;
    private final int stepsPerEpoch;
    private final int chunkRows;
    private Supplier<Checkpoint> snapshots;

    private boolean replay;
    private long stepSeen = -1;
    private GradientEstimate pending;
    private boolean pendingFinite = true;

    private int generation;
    private Broadcast<Messages.Base> base;
    private long baseStep = -1;
    private final List<Messages.Update> log = new ArrayList<>();
    private long expectedHash;

    private Broadcast<float[]> params;
    private long paramsStep = -1;
    private long paramsHash;
    private long passIds;

    SparkEvaluator(Cluster cluster, Objective objective, Broadcast<Messages.Setup> setup, RunnerSettings settings,
                   int stepsPerEpoch, int chunkRows) {
        this.cluster = cluster;
        this.objective = objective;
        this.setup = setup;
        this.settings = settings;
        this.stepsPerEpoch = stepsPerEpoch;
        this.chunkRows = chunkRows;
    }

    /**
     * Lets seed replay take bases from the trainer (its parameters and optimiser state); without it parameters
     * are broadcast every step.
     *
     * @param snapshots the trainer's {@code snapshot}
     */
    void attach(Supplier<Checkpoint> snapshots) {
        this.snapshots = snapshots;
        this.replay = settings.exchange() == RunnerSettings.Exchange.AUTO;
    }

    /**
     * Whether executors currently follow by seed replay.
     *
     * @return true for seed replay, false for parameter broadcast
     */
    boolean replaying() {
        return replay;
    }

    /**
     * The estimator's result for the current step: its terms become the next step's update once the trainer has
     * moved on to the next step (a step that fails is retried with the same number and its estimate replaced).
     *
     * @param estimate the step's estimate
     */
    void offer(GradientEstimate estimate) {
        pending = estimate;
    }

    /**
     * A step begins (called when the estimator begins it, and by any plan of a step not seen yet): commits the
     * previous step's update to the log, or switches to parameter broadcast when it cannot be replayed, and
     * rebases after a jump (a resume) or every {@code rebase-every} steps.
     *
     * @param step the step
     * @param theta the parameters at its start
     */
    void stepBegins(long step, float[] theta) {
        if (step == stepSeen) { // a retry of a failed step: its earlier estimate never applied
            pending = null;
            pendingFinite = true;
            return;
        }
        boolean forward = stepSeen >= 0 && step == stepSeen + 1;
        if (replay && forward) {
            if (pending == null || pending.terms() == null) {
                stopReplay(pending == null ? "step " + stepSeen + " ended without an estimate"
                        : "the estimator reports no direction terms (its gradient is not a sum of regenerable "
                        + "directions)");
            } else {
                boolean applied = pendingFinite && allFinite(pending.gradient());
                DirectionTerms t = pending.terms();
                log.add(new Messages.Update(stepSeen, (int) (stepSeen / stepsPerEpoch), t.seed(),
                        t.distribution().ordinal(), t.directions(), t.weights(), !applied));
            }
        }
        if (replay && (!forward || step - baseStep >= settings.rebaseEvery())) {
            rebase(step, theta, !forward);
        }
        if (replay) {
            expectedHash = Hashing.of(theta);
        } else if (paramsStep != step) {
            if (params != null) {
                params.destroy();
            }
            params = cluster.broadcast(theta.clone());
            paramsHash = Hashing.of(theta);
            paramsStep = step;
        }
        stepSeen = step;
        pending = null;
        pendingFinite = true;
    }

    private void stopReplay(String why) {
        LOG.info("runner spark: parameters are broadcast every step from now on: {}", why);
        replay = false;
        log.clear();
        if (base != null) {
            base.destroy();
            base = null;
        }
    }

    private void rebase(long step, float[] theta, boolean jump) {
        Checkpoint c = snapshots.get();
        if (!Arrays.equals(c.parameters(), theta)) {
            stopReplay("the trainer's parameters at step " + step + " are not the ones being evaluated");
            return;
        }
        if (base != null) {
            base.destroy();
        }
        base = cluster.broadcast(new Messages.Base(step, c.parameters(), c.optimizerState()));
        baseStep = step;
        log.clear();
        if (jump) {
            generation++;
        }
    }

    private Messages.Sync sync(boolean full) {
        if (!replay) {
            return new Messages.ParamSync(stepSeen, params, paramsHash);
        }
        // normally the previous step's update only; the whole log when asked, or when that is all of it anyway
        boolean all = full || log.size() <= 1;
        List<Messages.Update> updates = all ? List.copyOf(log) : List.of(log.get(log.size() - 1));
        return new Messages.ReplaySync(generation, stepSeen, base, baseStep, updates, all, expectedHash);
    }

    /** One job; slots whose executor could not reach the step from the usual message are rerun with the full log. */
    private List<Messages.Result> exchange(long step, float[] theta, List<Messages.Work> works) {
        if (step != stepSeen) {
            stepBegins(step, theta);
        }
        List<Messages.Task> tasks = new ArrayList<>();
        for (int i = 0; i < works.size(); i++) {
            tasks.add(new Messages.Task(i, setup, sync(false), works.get(i)));
        }
        List<Messages.Result> results = new ArrayList<>(cluster.run(step, tasks));
        List<Messages.Task> retry = new ArrayList<>();
        for (Messages.Result r : results) {
            if (r.stale()) {
                retry.add(new Messages.Task(r.slot(), setup, sync(true), works.get(r.slot())));
            }
        }
        if (!retry.isEmpty()) {
            LOG.info("runner spark: step {}: {} executor(s) rebuild their replica from the base of step {} ({} "
                    + "updates to replay)", step, retry.size(), baseStep, log.size());
            for (Messages.Result r : cluster.run(step, retry)) {
                results.set(r.slot(), r);
            }
        }
        long want = replay ? expectedHash : paramsHash;
        for (Messages.Result r : results) {
            if (r.stale() || r.hash() != want) {
                throw new IllegalStateException("runner spark: at step " + step + " the executor " + r.location()
                        + (r.stale() ? " could not rebuild its replica (at step " + r.replicaStep() + ")"
                        : " evaluated with parameters that differ from the driver's (hash " + Long.toHexString(r.hash())
                        + " instead of " + Long.toHexString(want) + ")") + "; this is a bug, please report it");
            }
        }
        return results;
    }

    @Override
    public Objective objective() {
        return objective;
    }

    @Override
    public double[][] evaluate(float[] theta, WeightPlan plan) {
        List<WeightQuery> queries = plan.queries();
        if (queries.isEmpty()) {
            return new double[0][];
        }
        // contiguous slices of whole direction runs (a run's direction is generated once), balanced by rows plus a
        // per-query overhead; with fewer runs than tasks, of single queries (a query's losses never depend on the
        // other queries of its plan, so they keep their bits)
        List<WeightPlan.Run> runs = plan.directionRuns();
        if (runs.size() < cluster.partitions()) {
            List<WeightPlan.Run> single = new ArrayList<>();
            for (int q = 0; q < queries.size(); q++) {
                single.add(new WeightPlan.Run(queries.get(q).direction(), q, q + 1, queries.get(q).scale() != 0f));
            }
            runs = single;
        }
        long total = 0;
        for (WeightQuery q : queries) {
            total += q.rows().length + QUERY_OVERHEAD_ROWS;
        }
        int slots = Math.min(cluster.partitions(), runs.size());
        List<int[]> slices = new ArrayList<>(); // {first query, end query}
        long done = 0;
        int from = 0;
        for (int r = 0; r < runs.size(); r++) {
            WeightPlan.Run run = runs.get(r);
            for (int q = run.from(); q < run.to(); q++) {
                done += queries.get(q).rows().length + QUERY_OVERHEAD_ROWS;
            }
            boolean last = r == runs.size() - 1;
            if (last || done * slots >= total * (slices.size() + 1)) {
                slices.add(new int[] {from, run.to()});
                from = run.to();
            }
        }
        List<Messages.Work> works = new ArrayList<>();
        for (int[] s : slices) {
            int n = s[1] - s[0];
            int[] directions = new int[n];
            float[] scales = new float[n];
            int[][] rows = new int[n][];
            for (int k = 0; k < n; k++) {
                WeightQuery q = queries.get(s[0] + k);
                directions[k] = q.direction();
                scales[k] = q.scale();
                rows[k] = q.rows();
            }
            works.add(new Messages.WeightWork(plan.seed(), plan.distribution().ordinal(), directions, scales, rows));
        }
        List<Messages.Result> results = exchange(plan.step(), theta, works);
        double[][] out = new double[queries.size()][];
        for (int i = 0; i < slices.size(); i++) {
            double[][] l = results.get(i).losses();
            System.arraycopy(l, 0, out, slices.get(i)[0], l.length);
        }
        for (double[] l : out) {
            pendingFinite &= allFinite(l);
        }
        return out;
    }

    /** Losses from the executors, then {@code c_j z_j} added on the driver in run order, as a local backend adds them. */
    @Override
    public double[][] evaluateAndCombine(float[] theta, WeightPlan plan, DirectionWeigher weigher, float[] gradient) {
        double[][] losses = evaluate(theta, plan);
        List<WeightPlan.Run> runs = plan.directionRuns();
        int[] directions = new int[runs.size()];
        float[] weights = new float[runs.size()];
        int n = 0;
        for (WeightPlan.Run run : runs) {
            double c = run.perturbs() ? weigher.weight(run.from(), run.to(), losses) : 0.0;
            if (c != 0.0) {
                directions[n] = run.direction();
                weights[n++] = (float) c;
            }
        }
        new DirectionTerms(plan.seed(), plan.step(), plan.distribution(), Arrays.copyOf(directions, n),
                Arrays.copyOf(weights, n)).addTo(gradient);
        return losses;
    }

    @Override
    public ActivationPass evaluate(float[] theta, ActivationPlan plan) {
        List<int[]> chunks = new ArrayList<>();
        for (int from = 0; from < plan.size(); from += chunkRows) {
            chunks.add(new int[] {from, Math.min(plan.size(), from + chunkRows)});
        }
        Remote remote = evaluateChunks(theta, plan, chunks, true);
        return new ActivationPass() {
            @Override
            public double[] losses() {
                return remote.losses.clone();
            }

            @Override
            public void accumulateGradient(double[] rowWeights, float[] gradient) {
                if (rowWeights.length != plan.size()) {
                    throw new IllegalArgumentException(rowWeights.length + " row weights for a plan of "
                            + plan.size() + " queries");
                }
                accumulate(theta, plan, remote, rowWeights, gradient);
            }

            @Override
            public double[] noiseEnergy() {
                return remote.energies.clone();
            }
        };
    }

    @Override
    public ActivationResult evaluateAndAssemble(float[] theta, ActivationPlan plan, int[] groupEnds,
            RowWeigher weigher, float[] gradient, boolean noiseEnergy) {
        plan.checkGroups(groupEnds);
        // whole groups packed into chunks of at most chunkRows rows, as the cpu backend packs them
        List<int[]> chunks = new ArrayList<>();
        int first = 0;
        for (int g = 0; g < groupEnds.length; g++) {
            if (g > first && groupEnds[g] - start(groupEnds, first) > chunkRows) {
                chunks.add(new int[] {start(groupEnds, first), start(groupEnds, g)});
                first = g;
            }
        }
        chunks.add(new int[] {start(groupEnds, first), plan.size()});
        Remote remote = evaluateChunks(theta, plan, chunks, noiseEnergy);
        double[] weights = new double[plan.size()];
        for (int g = 0; g < groupEnds.length; g++) {
            weigher.weigh(start(groupEnds, g), groupEnds[g], remote.losses, weights);
        }
        accumulate(theta, plan, remote, weights, gradient);
        return new ActivationResult(remote.losses.clone(), weights, noiseEnergy ? remote.energies.clone() : null);
    }

    private static int start(int[] groupEnds, int g) {
        return g == 0 ? 0 : groupEnds[g - 1];
    }

    /** An activation pass whose chunks are kept on the executors. */
    private record Remote(List<int[]> chunks, List<Messages.ActivationWork> works, double[] losses,
                          double[] energies) {
    }

    private Remote evaluateChunks(float[] theta, ActivationPlan plan, List<int[]> chunks, boolean energy) {
        long passId = ++passIds;
        if (plan.size() == 0) {
            return new Remote(List.of(), List.of(), new double[0], energy ? new double[0] : null);
        }
        int slots = Math.min(cluster.partitions(), chunks.size());
        List<Messages.ActivationWork> works = new ArrayList<>();
        int c = 0;
        for (int s = 0; s < slots; s++) {
            int end = (int) ((long) chunks.size() * (s + 1) / slots);
            List<Messages.Chunk> mine = new ArrayList<>();
            int firstChunk = c;
            for (; c < end; c++) {
                int[] span = chunks.get(c);
                mine.add(new Messages.Chunk(Arrays.copyOfRange(plan.rows(), span[0], span[1]),
                        Arrays.copyOfRange(plan.streams(), span[0], span[1]),
                        Arrays.copyOfRange(plan.negate(), span[0], span[1])));
            }
            works.add(new Messages.ActivationWork(passId, plan.seed(), plan.sigma(), firstChunk, mine, energy));
        }
        List<Messages.Result> results = exchange(plan.step(), theta, new ArrayList<>(works));
        double[] losses = new double[plan.size()];
        double[] energies = energy ? new double[plan.size()] : null;
        for (int s = 0; s < slots; s++) {
            Messages.ActivationWork w = works.get(s);
            Messages.Result r = results.get(s);
            for (int k = 0; k < w.chunks().size(); k++) {
                int at = chunks.get(w.firstChunk() + k)[0];
                System.arraycopy(r.losses()[k], 0, losses, at, r.losses()[k].length);
                if (energies != null) {
                    System.arraycopy(r.energies()[k], 0, energies, at, r.energies()[k].length);
                }
            }
        }
        pendingFinite &= allFinite(losses);
        return new Remote(chunks, works, losses, energies);
    }

    /** Gradient reduction: every chunk's terms back to the driver, added in chunk order. */
    private void accumulate(float[] theta, ActivationPlan plan, Remote remote, double[] weights, float[] gradient) {
        if (remote.works().isEmpty()) {
            return;
        }
        List<Messages.Work> works = new ArrayList<>();
        for (Messages.ActivationWork w : remote.works()) {
            List<double[]> ws = new ArrayList<>();
            for (int k = 0; k < w.chunks().size(); k++) {
                int[] span = remote.chunks().get(w.firstChunk() + k);
                ws.add(Arrays.copyOfRange(weights, span[0], span[1]));
            }
            works.add(new Messages.AccumulateWork(w, ws));
        }
        List<Messages.Result> results = exchange(plan.step(), theta, works);
        for (Messages.Result r : results) {
            for (float[] part : r.gradients()) {
                for (int k = 0; k < gradient.length; k++) {
                    gradient[k] += part[k];
                }
            }
        }
    }

    private static boolean allFinite(double[] values) {
        for (double v : values) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    private static boolean allFinite(float[] values) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "spark evaluator (" + cluster.master() + ", " + cluster.partitions() + " tasks per exchange, "
                + (replay ? "seed replay" : "parameter broadcast") + ")";
    }
}
