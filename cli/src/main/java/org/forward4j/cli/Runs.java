package org.forward4j.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.forward4j.core.Forward4j;
import org.forward4j.core.model.Mlp;
import org.forward4j.core.train.Trainer;
import org.forward4j.core.train.TrainingConfig;
import org.forward4j.core.train.TrainingListener;
import org.forward4j.core.train.TrainingResult;
import org.forward4j.datasets.Dataset;
import org.forward4j.datasets.DatasetSplit;
import org.forward4j.datasets.FeatureScaler;
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
     * @param base a builder (with the application's plugin class loader)
     * @param configFile a properties file or null
     * @param overrides keys without prefix
     * @return the assembled engine
     */
    public static Forward4j engine(Forward4j.Builder base, Path configFile, Map<String, String> overrides) {
        Forward4j.Builder b = base.setAll(overrides);
        if (configFile != null) {
            b.configFile(configFile);
        }
        return b.build();
    }

    /**
     * A dataset ready for training, and what the run records about it.
     *
     * @param split the (limited, scaled) data
     * @param info spec, sizes, scaling and warnings, for result.json
     * @param warnings what looks wrong with the data, already printed
     */
    public record Data(DatasetSplit split, Map<String, Object> info, List<String> warnings) {
    }

    /**
     * Loads the configured dataset, applies the limits and the configured feature scaling (fitted on the training
     * split), and prints warnings about the labels and a hint when the features look unscaled.
     *
     * @param t the training config
     * @param err where warnings go
     * @return the data
     */
    public static Data data(TrainingConfig t, PrintStream err) {
        DatasetSplit split = Datasets.load(t.dataset());
        int maxTrain = t.trainLimit() == 0 ? Integer.MAX_VALUE : t.trainLimit();
        int maxTest = t.testLimit() == 0 ? Integer.MAX_VALUE : t.testLimit();
        split = split.limit(maxTrain, maxTest);
        List<String> warnings = new ArrayList<>(split.warnings());
        FeatureScaler.Method method = FeatureScaler.Method.valueOf(t.scale().name());
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("dataset", t.dataset());
        info.put("trainRows", split.train().rows());
        info.put("testRows", split.test().rows());
        info.put("features", split.train().cols());
        info.put("classes", split.train().classes());
        info.put("scaling", FeatureScaler.describe(method, split.train()));
        if (method == FeatureScaler.Method.NONE) {
            float[] range = FeatureScaler.range(split.train());
            if (range[0] < -10f || range[1] > 10f) {
                warnings.add(String.format(Locale.ROOT, "features range from %s to %s and are used as they are "
                        + "(scale=none); if that is not intended, train with --scale minmax or --scale standard "
                        + "(fitted on the training split)", range[0], range[1]));
            }
        }
        split = FeatureScaler.apply(method, split);
        info.put("warnings", warnings);
        warnings.forEach(w -> err.println("warning: " + w));
        return new Data(split, info, List.copyOf(warnings));
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
     * A trainer for an MLP as configured, on the configured runner ({@code forward4j.runner}): {@code local} runs in
     * this JVM; any other name is looked up among the {@link TrainingRunner}s on {@code loader}.
     *
     * @param f4j the engine
     * @param split the data
     * @param loader where runners other than {@code local} are discovered (the plugin class loader)
     * @return the trainer
     * @throws org.forward4j.plugin.InvalidConfigurationException if no runner has the configured name
     */
    public static Trainer trainer(Forward4j f4j, DatasetSplit split, ClassLoader loader) {
        String name = f4j.training().runner();
        if (TrainingConfig.LOCAL_RUNNER.equals(name)) {
            return trainer(f4j, split);
        }
        List<String> names = new ArrayList<>(List.of(TrainingConfig.LOCAL_RUNNER));
        for (TrainingRunner r : java.util.ServiceLoader.load(TrainingRunner.class, loader)) {
            if (r.name().equals(name)) {
                return r.trainer(f4j, split);
            }
            names.add(r.name());
        }
        throw new org.forward4j.plugin.InvalidConfigurationException("No runner named '" + name + "'. Available: "
                + names + (name.equals("spark") ? ". The spark runner is the runner-spark assembly: start it with "
                + "spark-submit --class org.forward4j.spark.SparkTrain runner-spark/target/forward4j-spark.jar "
                + "<the same flags>" : ". Add the jar that provides it or fix forward4j.runner"));
    }

    /**
     * A trainer for an MLP as configured, in this JVM, starting from the seeded initial parameters.
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
