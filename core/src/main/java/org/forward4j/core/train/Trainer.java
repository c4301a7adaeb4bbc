package org.forward4j.core.train;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.forward4j.allocator.Allocation;
import org.forward4j.allocator.AllocationRequest;
import org.forward4j.allocator.PointStatistics;
import org.forward4j.allocator.QueryAllocator;
import org.forward4j.estimator.CountingQueryEvaluator;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.EvaluationMetrics;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.noise.NoiseStream;
import org.forward4j.noise.Philox;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.NonFiniteLossException;
import org.forward4j.plugin.PluginContractException;

/**
 * The forward-only training loop (docs/method.md §4): per mini-batch a pilot round, the allocation, the rest of
 * the draws, the estimate, the allocator's update and the optimiser step. Every query is counted and each step
 * spends exactly the configured budget {@code N = queries-per-point * B}. Given the same seed and settings, the
 * parameters after any number of steps are bit-identical on the CPU backend.
 *
 * <p>A step is atomic: if any plugin fails in it, the parameters, optimiser state, allocator and estimator state
 * and the step counter are all as before the step, so a retry or a resume applies it exactly once.
 */
public final class Trainer implements AutoCloseable {

    private final TrainingConfig config;
    private final Components components;
    private final Objective train;
    private final Objective test;
    private final CountingQueryEvaluator evaluator;
    private final Optimizers.Optimizer optimizer;
    private final float[] params;
    private org.forward4j.estimator.QueryEvaluator testEvaluator;
    private final int drawsPerBatch;
    private final int minDraws;
    private final int maxDraws;
    private final boolean usesProxies;
    private final Map<Integer, Double> previousLoss = new HashMap<>();
    private final List<EvalRecord> records = new ArrayList<>();

    private java.nio.file.Path checkpointDir;
    private Map<String, String> runConfig = Map.of();

    private long step;
    private long trainingQueries;
    private long evaluationQueries;
    private long skippedSteps;
    private double wallSeconds;
    private double lossSum;
    private long lossCount;

    /**
     * The plugins a trainer runs with.
     *
     * @param estimator the estimator
     * @param estimatorName its configured name
     * @param allocator the allocator
     * @param allocatorName its configured name
     * @param allocatorUsesProxies false when the allocator declares it ignores proxies (no pilot round)
     * @param allocatorLearns true when the allocator declares it learns from statistics (then it observes each step)
     * @param backend evaluates the plans and the test set
     * @param provenance plugin names, settings and versions to record with results
     */
    public record Components(GradientEstimator estimator, String estimatorName, QueryAllocator allocator,
                             String allocatorName, boolean allocatorUsesProxies, boolean allocatorLearns,
                             org.forward4j.backend.Backend backend, Map<String, Object> provenance) {
    }

    /**
     * Creates a trainer.
     *
     * @param config training settings
     * @param components estimator, allocator, backend
     * @param train the training objective (its rows are the training set)
     * @param test the test set for accuracy, or null (then only the training loss is reported)
     * @param initialParameters the starting parameters (copied)
     * @throws InvalidConfigurationException if the budget does not fit the estimator's cost or the batch
     */
    public Trainer(TrainingConfig config, Components components, Objective train, Objective test,
                   float[] initialParameters) {
        this.config = config;
        this.components = components;
        this.train = train;
        this.test = test;
        if (initialParameters.length != train.dimension()) {
            throw new InvalidConfigurationException("Initial parameters have length " + initialParameters.length
                    + " but the objective has dimension " + train.dimension());
        }
        if (train.size() < config.batchSize()) {
            throw new InvalidConfigurationException("batch-size=" + config.batchSize() + " exceeds the "
                    + train.size() + " training rows; lower batch-size");
        }
        QueryEvaluator raw = components.backend().evaluator(train);
        this.evaluator = new CountingQueryEvaluator(raw);
        this.params = initialParameters.clone();
        this.optimizer = Optimizers.create(config, initialParameters.length);
        this.usesProxies = components.allocatorUsesProxies();
        EstimatorCost cost = components.estimator().cost();
        int b = config.batchSize();
        long budget = (long) config.queriesPerPoint() * b;
        long fixed = (long) b * cost.queriesPerPoint()
                + (usesProxies && config.proxy() == TrainingConfig.Proxy.CLEAN ? b : 0);
        long forDraws = budget - fixed;
        if (forDraws <= 0 || forDraws % cost.queriesPerDraw() != 0 || forDraws / cost.queriesPerDraw() < b) {
            long perPoint = fixed / b;
            long suggestion = perPoint + cost.queriesPerDraw() * Math.max(1,
                    (config.queriesPerPoint() - perPoint + cost.queriesPerDraw() - 1) / cost.queriesPerDraw());
            throw new InvalidConfigurationException("queries-per-point=" + config.queriesPerPoint() + " x batch-size="
                    + b + " = " + budget + " queries per batch does not fit estimator '" + components.estimatorName()
                    + "': each point costs " + perPoint + " fixed queries and each draw " + cost.queriesPerDraw()
                    + ", so " + budget + " - " + b + " x " + perPoint + " must be a multiple of "
                    + cost.queriesPerDraw() + " giving at least one draw per point; use for example "
                    + "queries-per-point=" + suggestion);
        }
        this.drawsPerBatch = (int) (forDraws / cost.queriesPerDraw());
        boolean pilot = usesProxies && config.proxy() == TrainingConfig.Proxy.PILOT;
        this.minDraws = Math.max(config.minDraws(), pilot && !config.pilotInEstimate() ? 2 : 1);
        this.maxDraws = config.maxDraws() == 0 ? drawsPerBatch : config.maxDraws();
        if ((long) minDraws * b > drawsPerBatch || (long) maxDraws * b < drawsPerBatch) {
            throw new InvalidConfigurationException("The budget gives " + drawsPerBatch + " draws per batch of " + b
                    + ", which does not fit draw bounds [" + minDraws + ", " + maxDraws
                    + "]; change queries-per-point, min-draws or max-draws");
        }
    }

    /**
     * Draws per mini-batch D after fixed costs.
     *
     * @return D
     */
    public int drawsPerBatch() {
        return drawsPerBatch;
    }

    /**
     * Steps per epoch (the last partial batch of an epoch is dropped).
     *
     * @return floor(rows / batch size)
     */
    public int stepsPerEpoch() {
        return train.size() / config.batchSize();
    }

    /**
     * The current parameters.
     *
     * @return a copy
     */
    public float[] parameters() {
        return params.clone();
    }

    /**
     * Trains for the configured epochs, silently.
     *
     * @return the result
     */
    public TrainingResult fit() {
        return fit((TrainingListener) null);
    }

    /**
     * Trains for the configured epochs.
     *
     * @param listener receives every evaluation record as it is made (may be null)
     * @return the result
     */
    public TrainingResult fit(Consumer<EvalRecord> listener) {
        return fit(listener == null ? null : new TrainingListener() {
            @Override
            public void evaluated(EvalRecord record) {
                listener.accept(record);
            }
        });
    }

    /**
     * Trains for the configured epochs, reporting progress as it goes.
     *
     * @param listener receives epochs, steps and evaluations (may be null)
     * @return the result
     */
    public TrainingResult fit(TrainingListener listener) {
        TrainingListener l = listener == null ? new TrainingListener() { } : listener;
        int perEpoch = stepsPerEpoch();
        long totalSteps = (long) perEpoch * config.epochs();
        if (records.isEmpty()) {
            record(0, l);
        }
        while (step < totalSteps) {
            int epoch = (int) (step / perEpoch);
            int[] order = permutation(train.size(), config.seed(), epoch);
            int first = (int) (step % perEpoch);
            l.epochStarted(epoch, first, perEpoch);
            for (int s = first; s < perEpoch; s++) {
                int[] rows = java.util.Arrays.copyOfRange(order, s * config.batchSize(),
                        (s + 1) * config.batchSize());
                long t0 = System.nanoTime();
                guardedStep(rows, epoch, l);
                wallSeconds += (System.nanoTime() - t0) / 1e9;
                l.stepFinished(new TrainingListener.StepProgress(epoch, s + 1, perEpoch, step, trainingQueries,
                        lossCount == 0 ? Double.NaN : lossSum / lossCount, skippedSteps));
                boolean epochEnd = s == perEpoch - 1;
                if ((config.evalEvery() > 0 && step % config.evalEvery() == 0)
                        || (config.evalEvery() == 0 && epochEnd)) {
                    record(epochEnd ? epoch + 1 : epoch, l);
                }
                if (checkpointDir != null && (epochEnd
                        || (config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0))) {
                    // the live arrays, not copies: the checkpoint is written before the next step changes them
                    new Checkpoint(step, trainingQueries, evaluationQueries, skippedSteps, wallSeconds, lossSum,
                            lossCount, params, optimizer.stateView(), components.allocator().saveState(),
                            components.estimator().saveState(), new HashMap<>(previousLoss), List.copyOf(records),
                            runConfig).save(checkpointDir);
                }
            }
            l.epochFinished(epoch);
        }
        if (records.get(records.size() - 1).step() != step) {
            record((int) (step / Math.max(1, perEpoch)), l);
        }
        return new TrainingResult(List.copyOf(records), trainingQueries, evaluationQueries, skippedSteps, step,
                parameters(), provenance());
    }

    /**
     * A step whose failure leaves the trainer exactly as it was before the step (parameters, optimiser, allocator
     * and estimator state, counters), with the failing part named.
     */
    private void guardedStep(int[] rows, int epoch, TrainingListener listener) {
        Map<String, double[]> allocatorBefore = components.allocator().saveState();
        Map<String, double[]> estimatorBefore = components.estimator().saveState();
        try {
            String skipped = step(rows, epoch);
            if (skipped != null) {
                listener.stepSkipped(step - 1, skipped);
            }
        } catch (RuntimeException e) {
            components.allocator().restoreState(allocatorBefore);
            components.estimator().restoreState(estimatorBefore);
            if (e instanceof org.forward4j.plugin.Forward4jException f) {
                throw f;
            }
            throw new org.forward4j.plugin.Forward4jException("Step " + step + " (epoch " + (epoch + 1) + ") failed "
                    + "while estimator '" + components.estimatorName() + "' with allocator '"
                    + components.allocatorName() + "' evaluated " + train + ": " + e
                    + ". Nothing of the step was applied (parameters, optimiser, allocator and step counter are as "
                    + "before it); fix the cause and resume", e);
        }
    }

    /**
     * One step of docs/method.md §4 on the given batch rows. Nothing is committed until every plugin call of the
     * step has returned: the allocator observes before the optimiser steps, and the optimiser step cannot fail.
     *
     * @param rows the batch's data rows
     * @param epoch the current epoch (for schedules)
     * @return null, or why the step was skipped under {@code non-finite=skip}
     */
    String step(int[] rows, int epoch) {
        int b = rows.length;
        float[] theta = params;
        evaluator.reset();
        StepContext ctx = new StepContext(evaluator, theta, rows, config.seed(), step);
        GradientEstimator estimator = components.estimator();
        EstimationStep es = estimator.begin(ctx);
        double[] proxies = new double[b];
        int[] pilot = new int[b];
        long ownQueries = 0;
        if (usesProxies) {
            switch (config.proxy()) {
                case PILOT -> {
                    java.util.Arrays.fill(pilot, 1);
                    es.run(pilot, config.pilotInEstimate());
                    proxies = es.proxies();
                }
                case CLEAN -> {
                    proxies = cleanLosses(theta, rows);
                    ownQueries = b;
                }
                case PREVIOUS -> proxies = previousLosses(rows);
            }
        }
        AllocationRequest request = new AllocationRequest(config.seed(), step, rows, proxies, drawsPerBatch,
                minDraws, maxDraws);
        Allocation allocation = components.allocator().allocate(request).validate(request, components.allocatorName());
        int[] draws = allocation.draws();
        int[] rest = new int[b];
        for (int i = 0; i < b; i++) {
            rest[i] = draws[i] - pilot[i];
        }
        // the last round and the assembly together: estimators may assemble it as it runs (flat memory in draws)
        GradientEstimate estimate = es.runLastRoundAndFinish(rest);
        long expected = (long) config.queriesPerPoint() * b;
        if (evaluator.queries() != expected || estimate.queries() != expected - ownQueries) {
            throw new PluginContractException("Estimator '" + components.estimatorName() + "' ran "
                    + (evaluator.queries() - ownQueries) + " queries (counted) and reported " + estimate.queries()
                    + ", but the step's budget leaves it exactly " + (expected - ownQueries) + " queries");
        }
        float[] g = estimate.gradient();
        if (g == null || g.length != theta.length) {
            throw new PluginContractException("Estimator '" + components.estimatorName() + "' returned a gradient of "
                    + "length " + (g == null ? "null" : g.length) + " for " + theta.length + " parameters");
        }
        String bad = evaluator.firstNonFinite();
        if (bad == null && !allFinite(g)) {
            bad = "a non-finite gradient component from estimator '" + components.estimatorName() + "'";
        } else if (bad != null) {
            bad = bad + " (estimator '" + components.estimatorName() + "')";
        }
        if (bad != null) {
            if (config.nonFinite() == TrainingConfig.NonFinitePolicy.FAIL) {
                throw new NonFiniteLossException("Step " + step + " (epoch " + (epoch + 1) + ") produced " + bad
                        + "; parameters were not updated. Check the objective for that row, lower the learning rate "
                        + "or the perturbation scale, or set non-finite=skip to drop such steps");
            }
            trainingQueries += evaluator.queries();
            skippedSteps++;
            step++;
            return "step " + (step - 1) + " (epoch " + (epoch + 1) + ") skipped: " + bad;
        }
        double[] meanLoss = estimate.meanLoss();
        if (components.allocatorLearns()) {
            components.allocator().observe(new PointStatistics(step, rows, proxies, draws, estimate.perDrawVariance(),
                    meanLoss));
        }
        // commit: nothing below can fail
        optimizer.step(params, g, step, epoch);
        trainingQueries += evaluator.queries();
        for (int i = 0; i < b; i++) {
            previousLoss.put(rows[i], meanLoss[i]);
            lossSum += meanLoss[i];
        }
        lossCount += b;
        step++;
        return null;
    }

    private double[] cleanLosses(float[] theta, int[] rows) {
        WeightPlan plan = new WeightPlan(config.seed(), step, NoiseStream.Distribution.GAUSSIAN,
                List.of(new WeightQuery(0, 0f, rows)));
        return evaluator.evaluate(theta, plan)[0];
    }

    private double[] previousLosses(int[] rows) {
        double sum = 0;
        int known = 0;
        for (int r : rows) {
            Double v = previousLoss.get(r);
            if (v != null && Double.isFinite(v)) {
                sum += v;
                known++;
            }
        }
        double fill = known == 0 ? 0 : sum / known;
        double[] out = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            Double v = previousLoss.get(rows[i]);
            out[i] = v != null && Double.isFinite(v) ? v : fill;
        }
        return out;
    }

    private static boolean allFinite(float[] g) {
        for (float v : g) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    private void record(int epoch, TrainingListener listener) {
        double testLoss = Double.NaN;
        double testAcc = Double.NaN;
        if (test != null) {
            if (testEvaluator == null) {
                testEvaluator = components.backend().evaluator(test);
            }
            EvaluationMetrics m = testEvaluator.evaluateClean(params);
            testLoss = m.loss();
            testAcc = m.accuracy();
            evaluationQueries += m.rows();
        }
        double trainLoss = lossCount == 0 ? Double.NaN : lossSum / lossCount;
        lossSum = 0;
        lossCount = 0;
        EvalRecord r = new EvalRecord(epoch, step, trainingQueries, trainLoss, testLoss, testAcc, wallSeconds);
        records.add(r);
        listener.evaluated(r);
    }

    private Map<String, Object> provenance() {
        Map<String, Object> p = new LinkedHashMap<>(components.provenance());
        p.put("estimator", components.estimatorName());
        p.put("allocator", components.allocatorName());
        p.put("backend", components.backend().device());
        p.put("seed", config.seed());
        p.put("batchSize", config.batchSize());
        p.put("queriesPerPoint", config.queriesPerPoint());
        p.put("drawsPerBatch", drawsPerBatch);
        p.put("proxy", usesProxies ? config.proxy().name().toLowerCase(java.util.Locale.ROOT) : "none");
        p.put("independentPerPoint", components.estimator().independentPerPoint());
        p.put("java", System.getProperty("java.version"));
        return p;
    }

    /**
     * The epoch's order of training rows: a Fisher-Yates shuffle driven by Philox keyed by (seed, epoch).
     *
     * @param n rows
     * @param seed the run's seed
     * @param epoch the epoch
     * @return a permutation of {@code 0..n-1}
     */
    public static int[] permutation(int n, long seed, int epoch) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        int[] w = new int[4];
        for (int i = n - 1; i > 0; i--) {
            Philox.block(i, epoch, 0x5EED, 0x0BDE, (int) seed, (int) (seed >>> 32), w);
            int j = (int) (((w[0] & 0xFFFFFFFFL) * (i + 1)) >>> 32);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** Releases the backend (worker threads, device buffers); the trainer cannot train afterwards. */
    @Override
    public void close() {
        components.backend().close();
    }

    // ---- checkpoints ----

    /** Configuration keys that may differ between a run and its resumption (they do not change the trajectory). */
    private static final java.util.Set<String> RESUMABLE_DIFFERENCES = java.util.Set.of("forward4j.epochs",
            "forward4j.progress", "forward4j.checkpoint-every", "forward4j.backend.threads", "forward4j.eval-every");

    /**
     * Writes a checkpoint into {@code dir} at every epoch end and every {@code checkpoint-every} steps. Temporary
     * files a killed run left there ({@code checkpoint-*.tmp}) are removed now; run one trainer per directory (the
     * command line holds a lock on its output directory for that).
     *
     * @param dir the checkpoint directory
     * @param configuration the run's resolved configuration, stored to check resumptions against
     */
    public void checkpointTo(java.nio.file.Path dir, Map<String, String> configuration) {
        this.checkpointDir = dir;
        this.runConfig = Map.copyOf(configuration);
        Checkpoint.removeStaleTemporaries(dir);
    }

    /**
     * Continues from the newest valid checkpoint in {@code dir} (falling back to the previous one if the newest is
     * corrupt). The run then continues bit-identically to one that was never interrupted.
     *
     * @param dir the checkpoint directory
     * @return warnings about rejected checkpoint files (empty when the newest was good)
     * @throws org.forward4j.plugin.InvalidDataException if no valid checkpoint exists
     * @throws InvalidConfigurationException if the checkpoint was written under a different configuration
     */
    public List<String> resumeFrom(java.nio.file.Path dir) {
        List<String> warnings = new ArrayList<>();
        Checkpoint c = Checkpoint.loadLatest(dir, warnings);
        List<String> diffs = new ArrayList<>();
        java.util.Set<String> keys = new java.util.TreeSet<>(c.config().keySet());
        keys.addAll(runConfig.keySet());
        for (String k : keys) {
            // where the steps run (forward4j.runner and its settings) may change too: a run can move to a cluster
            boolean resumable = RESUMABLE_DIFFERENCES.contains(k) || k.equals("forward4j.runner")
                    || k.startsWith("forward4j.runner.");
            if (!resumable && !java.util.Objects.equals(c.config().get(k), runConfig.get(k))) {
                diffs.add(k + " (checkpoint: " + c.config().get(k) + ", now: " + runConfig.get(k) + ")");
            }
        }
        if (!diffs.isEmpty()) {
            throw new InvalidConfigurationException("Cannot resume from " + dir.toAbsolutePath() + ": the configuration "
                    + "differs in " + diffs + ". Resume with the original settings or start a new run");
        }
        if (c.parameters().length != train.dimension()) {
            throw new org.forward4j.plugin.InvalidDataException("Checkpoint in " + dir + " has " + c.parameters().length
                    + " parameters but the model has " + train.dimension());
        }
        System.arraycopy(c.parameters(), 0, params, 0, params.length);
        optimizer.restore(c.optimizerState());
        components.allocator().restoreState(c.allocatorState());
        components.estimator().restoreState(c.estimatorState());
        previousLoss.clear();
        previousLoss.putAll(c.previousLoss());
        records.clear();
        records.addAll(c.records());
        step = c.step();
        trainingQueries = c.trainingQueries();
        evaluationQueries = c.evaluationQueries();
        skippedSteps = c.skippedSteps();
        wallSeconds = c.wallSeconds();
        lossSum = c.lossSum();
        lossCount = c.lossCount();
        return warnings;
    }

    /**
     * The complete state of the run now.
     *
     * @return a checkpoint
     */
    public Checkpoint snapshot() {
        return new Checkpoint(step, trainingQueries, evaluationQueries, skippedSteps, wallSeconds, lossSum, lossCount,
                parameters(), optimizer.state(), components.allocator().saveState(),
                components.estimator().saveState(), new HashMap<>(previousLoss), List.copyOf(records), runConfig);
    }


    /**
     * Steps done so far.
     *
     * @return the step counter
     */
    public long step() {
        return step;
    }

    /**
     * Cumulative training queries.
     *
     * @return the count
     */
    public long trainingQueries() {
        return trainingQueries;
    }
}
