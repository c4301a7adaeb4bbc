package org.forward4j.spark;

import org.forward4j.cli.TrainingRunner;
import org.forward4j.core.Forward4j;
import org.forward4j.core.train.Trainer;
import org.forward4j.datasets.DatasetSplit;

/**
 * {@code forward4j.runner=spark}: {@code forward4j train} with its steps on a Spark cluster. Registered as a
 * {@link TrainingRunner} service, so the command line selects it by configuration; {@link SparkTrain} is the
 * {@code spark-submit} entry point that sets it. The Spark context is started from the {@code spark.*}
 * configuration {@code spark-submit} passes (or {@code forward4j.runner.master}), checked (a master, enough
 * executors and cores) before the data is touched by any step, and stopped when the trainer closes.
 */
public final class SparkTrainingRunner implements TrainingRunner {

    /** The runner's name, the value of {@code forward4j.runner}. */
    public static final String NAME = "spark";

    /** For {@link java.util.ServiceLoader}. */
    public SparkTrainingRunner() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Trainer trainer(Forward4j f4j, DatasetSplit split) {
        RunnerSettings settings = RunnerSettings.from(f4j.config());
        Cluster cluster = Cluster.start(settings);
        try {
            return SparkRunner.trainer(cluster, settings, f4j, split);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }
}
