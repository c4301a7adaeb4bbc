package org.forward4j.spark;

import org.apache.spark.broadcast.Broadcast;
import org.forward4j.backend.Backend;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's backend under the Spark runner: the training objective's plans run on the cluster
 * ({@link SparkEvaluator}), everything else (the test-set evaluation) on the configured backend in the driver.
 * Closing it ends the run's cluster session.
 */
final class SparkBackend implements Backend {

    private static final Logger LOG = LoggerFactory.getLogger(SparkBackend.class);

    private final Backend local;
    private final Cluster cluster;
    private final Objective train;
    private final Broadcast<Messages.Setup> setup;
    private final RunnerSettings settings;
    private final int stepsPerEpoch;
    private final int chunkRows;
    private SparkEvaluator evaluator;

    SparkBackend(Backend local, Cluster cluster, Objective train, Broadcast<Messages.Setup> setup,
                 RunnerSettings settings, int stepsPerEpoch, int chunkRows) {
        this.local = local;
        this.cluster = cluster;
        this.train = train;
        this.setup = setup;
        this.settings = settings;
        this.stepsPerEpoch = stepsPerEpoch;
        this.chunkRows = chunkRows;
    }

    @Override
    public String device() {
        return "spark " + cluster.master() + " (" + cluster.cores() + " executor cores, " + cluster.partitions()
                + " tasks per exchange; each executor and the driver: " + local.device() + ")";
    }

    @Override
    public QueryEvaluator evaluator(Objective objective) {
        if (objective != train) {
            return local.evaluator(objective);
        }
        if (evaluator == null) {
            evaluator = new SparkEvaluator(cluster, train, setup, settings, stepsPerEpoch, chunkRows);
        }
        return evaluator;
    }

    /**
     * The training objective's evaluator, once the trainer has asked for it.
     *
     * @return it, or null
     */
    SparkEvaluator trainEvaluator() {
        return evaluator;
    }

    /**
     * The run's identity (the key of its state on the executors).
     *
     * @return the run id
     */
    String runId() {
        return setup.value().runId();
    }

    /**
     * What crossed the boundary so far.
     *
     * @return the statistics
     */
    ExchangeStats stats() {
        return cluster.stats;
    }

    @Override
    public void close() {
        LOG.info("runner spark: {}", cluster.stats.summary());
        try {
            local.close();
        } finally {
            if (cluster.local()) {
                ExecutorRuntime.forget(setup.value().runId());
            }
            setup.destroy();
            cluster.close();
        }
    }
}
