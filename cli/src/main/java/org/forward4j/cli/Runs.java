package org.forward4j.cli;

import java.nio.file.Path;
import java.util.Map;
import org.forward4j.core.Forward4j;
import org.forward4j.core.model.Mlp;
import org.forward4j.core.train.Trainer;
import org.forward4j.core.train.TrainingConfig;
import org.forward4j.core.train.TrainingListener;
import org.forward4j.core.train.TrainingResult;
import org.forward4j.datasets.Dataset;
import org.forward4j.datasets.DatasetSplit;
import org.forward4j.datasets.Datasets;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;

/** Builds and runs one training run of an MLP on a dataset from the resolved configuration. */
public final class Runs {

    private Runs() {
    }

    /**
     * The engine for a set of overrides on top of the standard sources.
     *
     * @param configFile a properties file or null
     * @param overrides keys without prefix
     * @return the assembled engine
     */
    public static Forward4j engine(Path configFile, Map<String, String> overrides) {
        Forward4j.Builder b = Forward4j.builder().setAll(overrides);
        if (configFile != null) {
            b.configFile(configFile);
        }
        return b.build();
    }

    /**
     * Loads the configured dataset (with limits applied).
     *
     * @param t the training config
     * @return the split
     */
    public static DatasetSplit data(TrainingConfig t) {
        DatasetSplit split = Datasets.load(t.dataset());
        int maxTrain = t.trainLimit() == 0 ? Integer.MAX_VALUE : t.trainLimit();
        int maxTest = t.testLimit() == 0 ? Integer.MAX_VALUE : t.testLimit();
        return split.limit(maxTrain, maxTest);
    }

    /**
     * The configured MLP for a dataset.
     *
     * @param t the training config
     * @param train the training data
     * @return the architecture
     */
    public static DenseNetwork network(TrainingConfig t, Dataset train) {
        return Mlp.network(train.cols(), t.hidden(), train.classes(),
                Activation.valueOf(t.activation().toUpperCase(java.util.Locale.ROOT)));
    }

    /**
     * Trains an MLP as configured.
     *
     * @param f4j the engine
     * @param split the data
     * @param listener receives the run's progress (may be null)
     * @return the result
     */
    public static TrainingResult train(Forward4j f4j, DatasetSplit split, TrainingListener listener) {
        try (Trainer trainer = trainer(f4j, split)) {
            return trainer.fit(listener);
        }
    }

    /**
     * A trainer for an MLP as configured, starting from the seeded initial parameters.
     *
     * @param f4j the engine
     * @param split the data
     * @return the trainer
     */
    public static Trainer trainer(Forward4j f4j, DatasetSplit split) {
        TrainingConfig t = f4j.training();
        DenseNetwork net = network(t, split.train());
        NetworkObjective train = Networks.objective(net, split.train().features(), split.train().labels());
        NetworkObjective test = Networks.objective(net, split.test().features(), split.test().labels());
        return f4j.trainer(train, test, Mlp.initialParameters(net, t.seed()));
    }
}
