package org.forward4j.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.forward4j.core.Forward4j;
import org.forward4j.core.model.Graphs;
import org.forward4j.core.model.Mlp;
import org.forward4j.core.model.Model;
import org.forward4j.core.model.ModelFile;
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
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.graph.LayerGraph;
import org.forward4j.estimator.graph.Trainable;
import org.forward4j.plugin.InvalidDataException;

/**
 * Builds and runs one training run from the resolved configuration: the data (limits, scaling, shots), the model (the
 * MLP of {@code hidden}, a layer-graph preset or architecture file, or a model file to start from), the objectives
 * (which tensors train) and the trainer.
 */
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
        if (t.shots() > 0) {
            Dataset shots = Shots.select(split.train(), t.shots(), t.seed());
            info.put("shots", t.shots());
            info.put("shotRows", shots.rows());
            split = new DatasetSplit(shots, split.test());
        }
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
     * @throws org.forward4j.plugin.InvalidConfigurationException when the config names a layer graph or a model file
     *     instead (then {@link #model} is the model to train)
     */
    public static DenseNetwork network(TrainingConfig t, Dataset train) {
        if (!t.model().isEmpty() || !t.init().isEmpty()) {
            // callers that build the MLP themselves (compare's backprop reference) must not train another model
            throw new org.forward4j.plugin.InvalidConfigurationException("This command trains the MLP of hidden; "
                    + (t.model().isEmpty() ? "init=" + t.init() : "model=" + t.model()) + " is not supported here");
        }
        return Mlp.network(train.cols(), t.hidden(), train.classes(),
                Activation.valueOf(t.activation().toUpperCase(java.util.Locale.ROOT)));
    }

    /**
     * The model a run trains, resolved against its data.
     *
     * @param description the model in words (for the console and errors)
     * @param graph the architecture as a layer graph (an MLP's is {@link LayerGraph#mlp})
     * @param network the MLP when the model is one (from {@code hidden} or an MLP model file), else null
     * @param parameters the full starting parameters in the graph's layout (seeded, or the model file's)
     * @param source what the model came from, for the model file's metadata: {@code mlp}, the preset, the
     *     architecture file, or {@code init:<file>}
     */
    public record ModelChoice(String description, LayerGraph graph, DenseNetwork network, float[] parameters,
                              String source) {
    }

    /**
     * Resolves the configured model for a dataset: {@code init} (a model file's architecture and parameters),
     * {@code model} (a preset or architecture file, seeded initialisation), or the MLP of {@code hidden}.
     *
     * @param t the training config
     * @param train the training data the model must fit
     * @return the model
     * @throws InvalidDataException if the model's input or classes do not fit the data (one message naming both)
     */
    public static ModelChoice model(TrainingConfig t, Dataset train) {
        if (!t.init().isEmpty()) {
            Path file = Path.of(t.init());
            if (Files.isDirectory(file)) {
                file = file.resolve(ModelFile.FILE_NAME);
            }
            Model m = ModelFile.read(file);
            String what = "init=" + t.init() + " (" + m.describe() + ")";
            fits(m.graph(), train, what, "the model file was trained on '" + m.metadata().getOrDefault("dataset",
                    "?") + "'");
            return new ModelChoice(m.describe(), m.graph(), m.network(), m.parameters(), "init:" + t.init());
        }
        if (!t.model().isEmpty()) {
            String name = t.model().toLowerCase(Locale.ROOT);
            boolean preset = TrainingConfig.MODEL_PRESETS.contains(name);
            if (preset && train.cols() != 28 * 28) {
                throw new InvalidDataException("model=" + t.model() + " takes 28 x 28 single-channel images (784 "
                        + "features per row), but dataset '" + t.dataset() + "' has " + train.cols() + "; describe a "
                        + "graph for this input in FILE.json (docs/model-format.md) and pass --model FILE.json");
            }
            LayerGraph g = preset ? Graphs.preset(name, train.classes()) : Graphs.read(Path.of(t.model()));
            fits(g, train, "model=" + t.model() + " (" + g + ")", null);
            return new ModelChoice(t.model() + ": " + g, g, null, Graphs.initialParameters(g, t.seed()), t.model());
        }
        DenseNetwork net = network(t, train);
        return new ModelChoice(net.toString(), LayerGraph.mlp(net), net, Mlp.initialParameters(net, t.seed()), "mlp");
    }

    /** Refuses a model whose input width or classes the data does not fit. */
    private static void fits(LayerGraph g, Dataset train, String what, String hint) {
        if (g.input().size() != train.cols()) {
            throw new InvalidDataException(what + " takes " + g.input().size() + " inputs per row (shape "
                    + g.input() + "), but the training data has " + train.cols() + " features"
                    + (hint == null ? "" : "; " + hint));
        }
        if (train.classes() > g.classes()) {
            throw new InvalidDataException(what + " predicts " + g.classes() + " classes, but the training data has "
                    + train.classes() + (hint == null ? "" : "; " + hint));
        }
    }

    /**
     * What a run trains: the model and its training and test objectives, and how the optimised vector maps back to
     * the full parameters a model file stores.
     *
     * @param model the resolved model
     * @param train the training objective
     * @param test the test objective
     * @param initial the starting point of the optimised vector
     * @param graph the graph objective (θ = the trainable tensors), or null when the MLP trains whole on its own
     *     engine (then θ is the full parameter vector)
     */
    public record Prepared(ModelChoice model, Objective train, Objective test, float[] initial,
                           GraphObjective graph) {

        /**
         * The full parameters for a trained θ: θ itself for a plain MLP, else the frozen tensors with θ in place.
         *
         * @param theta the trained values
         * @return the full parameter vector in the model's layout
         */
        public float[] full(float[] theta) {
            return graph == null ? theta : graph.expand(theta);
        }
    }

    /**
     * Builds the objectives of a run. An MLP trained whole (from {@code hidden}, or from an MLP model file) keeps the
     * MLP engines ({@link NetworkObjective}), so its numbers are forward4j's as before layer graphs; everything else
     * (a layer graph, or a trainable selection) trains a {@link GraphObjective} whose θ is the selected tensors.
     *
     * @param t the training config
     * @param split the data
     * @return the objectives and starting point
     * @throws org.forward4j.plugin.InvalidConfigurationException if the trainable selection does not fit the model
     */
    public static Prepared prepare(TrainingConfig t, DatasetSplit split) {
        ModelChoice m = model(t, split.train());
        if (m.network() != null && t.trainsAll()) {
            // the MLP of hidden, or an MLP model file trained whole: the MLP engines, from its parameters
            NetworkObjective train = Networks.objective(m.network(), split.train().features(), split.train().labels());
            NetworkObjective test = Networks.objective(m.network(), split.test().features(), split.test().labels());
            return new Prepared(m, train, test, m.parameters(), null);
        }
        boolean[] on = Trainable.select(t.trainable(), m.graph());
        GraphObjective train = GraphObjective.of(m.graph(), m.parameters(), on, split.train().features(),
                split.train().labels());
        GraphObjective test = train.on(split.test().features(), split.test().labels());
        return new Prepared(m, train, test, train.initial(), train);
    }

    /**
     * Trains as configured.
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
     * A trainer for the prepared run on the configured runner ({@code forward4j.runner}): {@code local} runs in this
     * JVM; any other name is looked up among the {@link TrainingRunner}s on {@code loader}, which train the plain MLP
     * of {@code hidden} (a layer graph, a model file or a trainable selection is refused with the reason).
     *
     * @param f4j the engine
     * @param run the prepared objectives (what {@code local} trains)
     * @param split the data (what another runner partitions over its machines)
     * @param loader where runners other than {@code local} are discovered (the plugin class loader)
     * @return the trainer
     * @throws org.forward4j.plugin.InvalidConfigurationException if no runner has the configured name
     */
    public static Trainer trainer(Forward4j f4j, Prepared run, DatasetSplit split, ClassLoader loader) {
        String name = f4j.training().runner();
        if (TrainingConfig.LOCAL_RUNNER.equals(name)) {
            return trainer(f4j, run);
        }
        if (!f4j.training().plainMlp()) {
            throw new org.forward4j.plugin.InvalidConfigurationException("forward4j.runner=" + name + " trains the MLP "
                    + "of forward4j.hidden only, not a layer graph, a model file or a trainable selection (model, init, "
                    + "trainable are set). Fix: train it with forward4j.runner=local, or drop those settings");
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
     * A trainer for the configured model ({@link #prepare}), in this JVM, from its starting parameters.
     *
     * @param f4j the engine
     * @param split the data
     * @return the trainer
     */
    public static Trainer trainer(Forward4j f4j, DatasetSplit split) {
        return trainer(f4j, prepare(f4j.training(), split));
    }

    /**
     * A trainer for prepared objectives.
     *
     * @param f4j the engine
     * @param run the objectives and starting point
     * @return the trainer
     */
    public static Trainer trainer(Forward4j f4j, Prepared run) {
        return f4j.trainer(run.train(), run.test(), run.initial());
    }
}
