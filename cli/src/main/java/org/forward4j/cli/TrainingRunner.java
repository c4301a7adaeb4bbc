package org.forward4j.cli;

import org.forward4j.core.Forward4j;
import org.forward4j.core.train.Trainer;
import org.forward4j.datasets.DatasetSplit;

/**
 * Where {@code forward4j train} runs its steps, chosen by the setting {@code forward4j.runner} like every other
 * choice. {@code local} (this JVM) is built in; another runner is found by its {@link #name()} among the
 * implementations registered in {@code META-INF/services/org.forward4j.cli.TrainingRunner} on the plugin class
 * path. {@code runner-spark} registers {@code spark}, so the same command, flags and configuration keys train on
 * a Spark cluster when its assembly is started with {@code spark-submit}; the command's run directory, checkpoints,
 * resumption and results files stay the same.
 */
public interface TrainingRunner {

    /**
     * The value of {@code forward4j.runner} that selects this runner.
     *
     * @return a kebab-case name
     */
    String name();

    /**
     * A trainer for the configured MLP that runs its steps where this runner runs them, starting from the seeded
     * initial parameters (as {@link Runs#trainer(Forward4j, DatasetSplit)} does locally). Closing the trainer
     * releases whatever the runner started for it. Problems with the runner's own settings or its environment (a
     * cluster that cannot be reached, too few cores) are reported before any step runs.
     *
     * @param f4j the engine, with the resolved configuration ({@code forward4j.runner.*} holds the runner's settings)
     * @param split the data, limited and scaled as configured
     * @return the trainer
     * @throws org.forward4j.plugin.InvalidConfigurationException for a bad runner setting or environment
     */
    Trainer trainer(Forward4j f4j, DatasetSplit split);
}
