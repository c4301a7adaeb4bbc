package org.forward4j.spark;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkEnv;
import org.apache.spark.storage.BlockManagerId;
import org.forward4j.backend.Backend;
import org.forward4j.cli.Runs;
import org.forward4j.core.Forward4j;
import org.forward4j.core.train.Optimizers;
import org.forward4j.core.train.TrainingConfig;
import org.forward4j.datasets.DatasetSplit;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.DirectionTerms;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.noise.NoiseStream;

/**
 * The executor side of a run: one per run and executor JVM, built on the first task that reaches the JVM and kept
 * for the run's later tasks. It holds what never travels per step: the training data (loaded once from the
 * dataset spec, limited and scaled exactly as on the driver, so row {@code r} is the same row everywhere), the
 * configured backend, the replica of the parameters with its optimiser, and the activation passes of the current
 * step awaiting their gradient. Tasks of one run are served one at a time per JVM (the backend parallelises inside
 * a task).
 */
final class ExecutorRuntime {

    private static final Map<String, ExecutorRuntime> RUNS = new ConcurrentHashMap<>();

    private final TrainingConfig training;
    private final Backend backend;
    private final QueryEvaluator evaluator;
    private final int dimension;

    // the replica (seed replay)
    private int generation = -1;
    private long replicaStep = -1;
    private float[] replica;
    private Optimizers.Optimizer optimizer;
    private long hashStep = -1;
    private long hash;

    // the parameters of the current step (parameter broadcast)
    private long broadcastId = -1;
    private float[] broadcastParams;
    private long broadcastHash;

    // activation passes of the current step: passId -> chunk -> pass
    private long passStep = -1;
    private final Map<Long, Map<Integer, ActivationPass>> passes = new HashMap<>();

    private ExecutorRuntime(Messages.Setup setup) {
        Map<String, String> config = new HashMap<>(setup.config());
        // the backend gets the cores Spark gave this executor (results do not depend on the thread count)
        SparkEnv env = SparkEnv.get();
        if (env != null && !config.containsKey("forward4j.backend.threads") && env.conf().contains("spark.executor.cores")) {
            config.put("forward4j.backend.threads", env.conf().get("spark.executor.cores"));
        }
        Forward4j f4j = Forward4j.builder().environment(Map.of()).systemProperties(new Properties()).setAll(config)
                .build();
        this.training = f4j.training();
        DatasetSplit split = Runs.data(training, new PrintStream(OutputStream.nullOutputStream())).split();
        DenseNetwork net = Runs.network(training, split.train());
        NetworkObjective train = Networks.objective(net, split.train().features(), split.train().labels());
        this.backend = f4j.newBackend();
        this.evaluator = backend.evaluator(train);
        this.dimension = train.dimension();
    }

    /**
     * Runs one task on this JVM's runtime of the task's run (built on first use).
     *
     * @param task the message
     * @return the answer
     */
    static Messages.Result run(Messages.Task task) {
        long t0 = System.nanoTime();
        Messages.Setup setup = task.setup().value();
        ExecutorRuntime rt = RUNS.computeIfAbsent(setup.runId(), id -> new ExecutorRuntime(setup));
        synchronized (rt) {
            return rt.serve(task, t0);
        }
    }

    /** Drops a finished run's state from this JVM (tests run several in one JVM). */
    static void forget(String runId) {
        ExecutorRuntime rt = RUNS.remove(runId);
        if (rt != null) {
            synchronized (rt) {
                rt.closePasses();
                rt.backend.close();
            }
        }
    }

    private Messages.Result serve(Messages.Task task, long t0) {
        long[] fetched = {0};
        int[] replayed = {0};
        float[] params = parameters(task.sync(), fetched, replayed);
        String location = location();
        String blockManager = blockManager();
        if (params == null) {
            return new Messages.Result(task.slot(), location, blockManager, true, replicaStep, 0, null, null, null, fetched[0],
                    replayed[0], System.nanoTime() - t0);
        }
        long h = task.sync() instanceof Messages.ReplaySync ? hash : broadcastHash;
        long step = task.sync().step();
        if (step != passStep) {
            closePasses();
            passStep = step;
        }
        double[][] losses = null;
        double[][] energies = null;
        float[][] gradients = null;
        if (task.work() instanceof Messages.WeightWork w) {
            List<WeightQuery> queries = new ArrayList<>(w.directions().length);
            for (int q = 0; q < w.directions().length; q++) {
                queries.add(new WeightQuery(w.directions()[q], w.scales()[q], w.rows()[q]));
            }
            WeightPlan plan = new WeightPlan(w.seed(), step, NoiseStream.Distribution.values()[w.distribution()],
                    queries);
            losses = evaluator.evaluate(params, plan);
        } else if (task.work() instanceof Messages.ActivationWork a) {
            losses = new double[a.chunks().size()][];
            energies = a.energy() ? new double[a.chunks().size()][] : null;
            for (int c = 0; c < a.chunks().size(); c++) {
                ActivationPass pass = evaluate(params, step, a, c);
                losses[c] = pass.losses();
                if (energies != null) {
                    energies[c] = pass.noiseEnergy();
                }
            }
        } else if (task.work() instanceof Messages.AccumulateWork acc) {
            Messages.ActivationWork a = acc.redo();
            gradients = new float[a.chunks().size()][];
            Map<Integer, ActivationPass> kept = passes.getOrDefault(a.passId(), Map.of());
            for (int c = 0; c < a.chunks().size(); c++) {
                ActivationPass pass = kept.get(a.firstChunk() + c);
                if (pass == null) {
                    pass = evaluate(params, step, a, c); // this executor did not evaluate it, or lost it
                }
                float[] g = new float[dimension];
                pass.accumulateGradient(acc.weights().get(c), g);
                gradients[c] = g;
                pass.close();
                passes.getOrDefault(a.passId(), new HashMap<>()).remove(a.firstChunk() + c);
            }
        }
        return new Messages.Result(task.slot(), location, blockManager, false, replicaStep, h, losses, energies, gradients,
                fetched[0], replayed[0], System.nanoTime() - t0);
    }

    private ActivationPass evaluate(float[] params, long step, Messages.ActivationWork a, int c) {
        Messages.Chunk chunk = a.chunks().get(c);
        ActivationPass pass = evaluator.evaluate(params, new ActivationPlan(a.seed(), step, a.sigma(), chunk.rows(),
                chunk.streams(), chunk.negate()));
        ActivationPass old = passes.computeIfAbsent(a.passId(), k -> new HashMap<>()).put(a.firstChunk() + c, pass);
        if (old != null) {
            old.close();
        }
        return pass;
    }

    private void closePasses() {
        passes.values().forEach(m -> m.values().forEach(ActivationPass::close));
        passes.clear();
    }

    /** The parameters of the task's step, or null when the replica cannot reach it from what the task carries. */
    private float[] parameters(Messages.Sync sync, long[] fetched, int[] replayed) {
        if (sync instanceof Messages.ParamSync p) {
            if (p.params().id() != broadcastId) {
                broadcastParams = p.params().value();
                broadcastId = p.params().id();
                broadcastHash = Hashing.of(broadcastParams);
                fetched[0] += 4L * broadcastParams.length;
            }
            return broadcastParams;
        }
        Messages.ReplaySync r = (Messages.ReplaySync) sync;
        boolean usable = replica != null && generation == r.generation() && replicaStep <= r.step()
                && (replicaStep == r.step() || (!r.updates().isEmpty() && r.updates().get(0).step() <= replicaStep));
        if (!usable) {
            if (!r.full()) {
                return null;
            }
            Messages.Base base = r.base().value();
            fetched[0] += 4L * (base.params().length + base.optimizerState().length);
            replica = base.params().clone();
            optimizer = Optimizers.create(training, dimension);
            optimizer.restore(base.optimizerState());
            replicaStep = base.step();
            generation = r.generation();
        }
        for (Messages.Update u : r.updates()) {
            if (u.step() < replicaStep) {
                continue;
            }
            if (u.step() != replicaStep) {
                throw new IllegalStateException("replica at step " + replicaStep + " was sent the update of step "
                        + u.step() + ": the driver's log has a gap");
            }
            if (!u.skipped()) {
                float[] g = new float[dimension];
                new DirectionTerms(u.seed(), u.step(), NoiseStream.Distribution.values()[u.distribution()],
                        u.directions(), u.weights()).addTo(g);
                optimizer.step(replica, g, u.step(), u.epoch());
            }
            replicaStep = u.step() + 1;
            replayed[0]++;
        }
        if (replicaStep != r.step()) {
            return null;
        }
        if (hashStep != replicaStep) {
            hash = Hashing.of(replica);
            hashStep = replicaStep;
        }
        return replica;
    }

    /** This executor's block manager, {@code host:port}. */
    private static String blockManager() {
        SparkEnv env = SparkEnv.get();
        return env == null ? "" : env.blockManager().blockManagerId().hostPort();
    }

    /** This executor in Spark's task-location form, so that later tasks can prefer it. */
    private static String location() {
        SparkEnv env = SparkEnv.get();
        if (env == null) {
            return "";
        }
        BlockManagerId id = env.blockManager().blockManagerId();
        return "executor_" + id.host() + "_" + id.executorId();
    }
}
