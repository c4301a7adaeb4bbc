package org.forward4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.forward4j.cli.results.ResultsWriter;
import org.forward4j.core.Forward4j;
import org.forward4j.core.model.ModelFile;
import org.forward4j.core.train.Trainer;
import org.forward4j.core.train.TrainingConfig;
import org.forward4j.core.train.TrainingResult;
import org.forward4j.datasets.DatasetSplit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code forward4j train}: one forward-only training run. The output directory is checked and locked before any
 * data is loaded; then the run writes checkpoints while it trains and, at the end, the trained model
 * ({@value ModelFile#FILE_NAME}, which {@code forward4j evaluate} and {@link ModelFile#read} load),
 * {@code metrics.csv} and {@code result.json}.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a model with forward passes only (an MLP, a cnn/vit layer graph, or a model file "
                + "fine-tuned) and write metrics.csv, result.json and the trained model (model.safetensors).")
public final class TrainCommand implements Callable<Integer> {

    @ParentCommand
    Forward4jCli root;

    @Mixin
    ConfigOptions options;

    @Option(names = {"-o", "--output"}, description = "output directory (default runs/train); it must not hold "
            + "another run unless --resume or --overwrite is given")
    Path output = Path.of("runs", "train");

    @Option(names = "--resume", description = "continue from the newest valid checkpoint in <output>/checkpoints "
            + "(bit-identical to an uninterrupted run)")
    boolean resume;

    @Option(names = "--overwrite", description = "replace the run the output directory holds (its result.json, "
            + "metrics.csv, model and checkpoints are deleted first)")
    boolean overwrite;

    @Option(names = "--checkpoint-every", description = "also checkpoint every N steps (default: at epoch ends)")
    Integer checkpointEvery;

    @Override
    public Integer call() {
        Map<String, String> overrides = options.overrides();
        if (checkpointEvery != null) {
            overrides.put("checkpoint-every", checkpointEvery.toString());
        }
        Forward4j f4j = Runs.engine(root.engine(), options.configFile(), overrides);
        TrainingConfig t = f4j.training();
        try (RunDirectory dir = RunDirectory.open(output, resume, overwrite)) {
            Runs.Data data = Runs.data(t, System.err);
            Runs.Prepared run = Runs.prepare(t, data.split());
            System.out.printf(Locale.ROOT, "forward4j train: %s on %s (%d train / %d test rows), estimator %s, "
                            + "allocator %s, backend %s, %d queries per point, batch %d, %d epochs, seed %d%n",
                    run.model().description(), t.dataset(), data.split().train().rows(),
                    data.split().test().rows(), t.estimator(), t.allocator(), f4j.backendName(), t.queriesPerPoint(),
                    t.batchSize(), t.epochs(), t.seed());
            if (run.graph() != null) {
                System.out.printf(Locale.ROOT, "trainable=%s: %,d of %,d parameters train (%s)%n", t.trainable(),
                        run.graph().dimension(), run.model().graph().parameterCount(), trainableTensors(run.graph()));
            }
            ConsoleProgress console = new ConsoleProgress(t.estimator() + "/" + t.allocator(), t.epochs(),
                    t.progress(), true, System.out, System.err);
            TrainingResult r;
            try (Trainer trainer = Runs.trainer(f4j, run, data.split(), root.pluginLoader())) {
                Path checkpoints = dir.path().resolve("checkpoints");
                trainer.checkpointTo(checkpoints, f4j.config().asMap());
                if (resume) {
                    trainer.resumeFrom(checkpoints).forEach(w -> System.err.println("warning: " + w));
                    System.out.printf(Locale.ROOT, "resuming at step %d (%,d queries spent)%n", trainer.step(),
                            trainer.trainingQueries());
                }
                try {
                    r = trainer.fit(console);
                } finally {
                    console.close();
                }
            }
            // the model first: result.json names it, so it exists whenever result.json does
            Path model = dir.path().resolve(ModelFile.FILE_NAME);
            float[] full = run.full(r.parameters());
            Map<String, String> metadata = modelMetadata(f4j, data, r);
            if (!t.plainMlp()) {
                metadata.put("model", run.model().source());
                metadata.put("trainable", t.trainable());
            }
            if (run.model().network() != null) {
                ModelFile.write(model, run.model().network(), full, metadata);
            } else {
                ModelFile.write(model, run.model().graph(), full, metadata);
            }
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("model", ModelFile.FILE_NAME);
            extra.put("data", data.info());
            ResultsWriter.write(dir.path(), r, f4j.config().asMap(), extra);
            if (console.skips() > 0) {
                System.err.printf(Locale.ROOT, "warning: %d of %d steps were skipped for a non-finite loss or gradient "
                        + "(non-finite=skip)%n", console.skips(), r.steps());
            }
            System.out.printf(Locale.ROOT, "final test accuracy %s after %,d training queries (%d steps, %.1f s of "
                            + "training); results in %s%n", ConsoleProgress.format(r.last().testAccuracy()).strip(),
                    r.trainingQueries(), r.steps(), r.last().wallSeconds(), dir.path());
            System.out.println("model written to " + model + " (forward4j evaluate --model " + model + ")");
            if (r.skippedSteps() > 0 && r.skippedSteps() == r.steps()) {
                System.err.println("error: every step was skipped (non-finite=skip): nothing was learnt; lower the "
                        + "learning rate or the perturbation scale, or check the data");
                return Forward4jCli.USER;
            }
            return 0;
        }
    }

    /** The trainable tensors' names, shortened for one console line. */
    private static String trainableTensors(org.forward4j.estimator.graph.GraphObjective o) {
        java.util.List<String> names = new java.util.ArrayList<>();
        for (var tensor : o.graph().tensors()) {
            if (o.isTrainable(tensor.name())) {
                names.add(tensor.name());
            }
        }
        String all = String.join(", ", names);
        return all.length() <= 100 ? all : all.substring(0, 97) + "...";
    }

    /**
     * Provenance stored in the model file, so a model found on its own still says how it was made and what it
     * scored: the dataset (also {@code evaluate}'s default), plugins, budget, seed and the final test metrics.
     * Nothing time-dependent, so the same seed writes the same bytes. {@code train_rows} counts the rows of the
     * training split the feature scaling was fitted on ({@code evaluate} fits it again on them); with
     * {@code shots=K} the run trained on {@code shot_rows} of them.
     */
    static Map<String, String> modelMetadata(Forward4j f4j, Runs.Data data, TrainingResult r) {
        TrainingConfig t = f4j.training();
        DatasetSplit split = data.split();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("dataset", t.dataset());
        m.put("train_rows", data.info().get("trainRows").toString());
        if (t.shots() > 0) {
            m.put("shots", Integer.toString(t.shots()));
            m.put("shot_rows", Integer.toString(split.train().rows()));
        }
        m.put("test_rows", Integer.toString(split.test().rows()));
        m.put("scale", t.scale().name().toLowerCase(java.util.Locale.ROOT));
        m.put("estimator", t.estimator());
        m.put("allocator", t.allocator());
        m.put("backend", f4j.backendName());
        m.put("seed", Long.toString(t.seed()));
        m.put("epochs", Integer.toString(t.epochs()));
        m.put("batch_size", Integer.toString(t.batchSize()));
        m.put("queries_per_point", Integer.toString(t.queriesPerPoint()));
        m.put("steps", Long.toString(r.steps()));
        m.put("training_queries", Long.toString(r.trainingQueries()));
        m.put("test_loss", Double.toString(r.last().testLoss()));
        m.put("test_accuracy", Double.toString(r.last().testAccuracy()));
        return m;
    }
}
