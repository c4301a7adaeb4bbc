package org.forward4j.spark;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.broadcast.Broadcast;
import org.forward4j.cli.Runs;
import org.forward4j.core.Forward4j;
import org.forward4j.core.model.Mlp;
import org.forward4j.core.train.Trainer;
import org.forward4j.core.train.TrainingConfig;
import org.forward4j.datasets.DatasetSplit;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;

/**
 * Builds a trainer whose steps run on a cluster: the engine's own {@link Trainer} with the configured plugins, its
 * backend replaced for the training set by the cluster ({@link SparkBackend}) and its estimator watched for the
 * direction terms seed replay sends ({@link ReplayEstimator}). Allocation, estimation and the optimiser step stay on
 * the driver, unchanged, so a run is the single-machine run with its query evaluations moved.
 */
final class SparkRunner {

    private SparkRunner() {
    }

    /**
     * A trainer for the configured MLP on the cluster.
     *
     * @param cluster the cluster (closed with the trainer)
     * @param settings the runner's settings
     * @param f4j the engine
     * @param split the data (the executors load the same from the configuration)
     * @return the trainer
     */
    static Trainer trainer(Cluster cluster, RunnerSettings settings, Forward4j f4j, DatasetSplit split) {
        return start(cluster, settings, f4j, split).trainer();
    }

    /**
     * A trainer and the cluster backend it runs on.
     *
     * @param trainer the trainer
     * @param backend its backend (statistics, exchange mode)
     */
    record Run(Trainer trainer, SparkBackend backend) {
    }

    /**
     * As {@link #trainer}, with the backend.
     *
     * @param cluster the cluster (closed with the trainer)
     * @param settings the runner's settings
     * @param f4j the engine
     * @param split the data
     * @return the trainer and its backend
     */
    static Run start(Cluster cluster, RunnerSettings settings, Forward4j f4j, DatasetSplit split) {
        TrainingConfig t = f4j.training();
        DenseNetwork net = Runs.network(t, split.train());
        NetworkObjective train = Networks.objective(net, split.train().features(), split.train().labels());
        NetworkObjective test = Networks.objective(net, split.test().features(), split.test().labels());
        Broadcast<Messages.Setup> setup = cluster.broadcast(new Messages.Setup(UUID.randomUUID().toString(),
                Map.copyOf(f4j.config().asMap())));
        int chunkRows = Integer.parseInt(f4j.config().raw("forward4j.backend.chunk-rows").orElse("256"));
        SparkBackend[] made = new SparkBackend[1];
        Trainer trainer = f4j.trainer(train, test, Mlp.initialParameters(net, t.seed()), c -> {
            SparkBackend backend = new SparkBackend(c.backend(), cluster, train, setup, settings,
                    Math.max(1, train.size() / t.batchSize()), chunkRows);
            made[0] = backend;
            Map<String, Object> provenance = new LinkedHashMap<>(c.provenance());
            Map<String, Object> runner = new LinkedHashMap<>();
            runner.put("name", "spark");
            runner.put("master", cluster.master());
            runner.put("executorCores", cluster.cores());
            runner.put("tasksPerExchange", cluster.partitions());
            runner.put("exchange", settings.exchange().name().toLowerCase(java.util.Locale.ROOT));
            provenance.put("runner", runner);
            return new Trainer.Components(new ReplayEstimator(c.estimator(), backend), c.estimatorName(),
                    c.allocator(), c.allocatorName(), c.allocatorUsesProxies(), c.allocatorLearns(), backend,
                    provenance);
        });
        made[0].trainEvaluator().attach(trainer::snapshot);
        return new Run(trainer, made[0]);
    }
}
