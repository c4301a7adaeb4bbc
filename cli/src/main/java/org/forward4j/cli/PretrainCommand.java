package org.forward4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.forward4j.backprop.BackpropReference;
import org.forward4j.cli.results.ResultsWriter;
import org.forward4j.core.Forward4j;
import org.forward4j.core.model.ModelFile;
import org.forward4j.core.train.EvalRecord;
import org.forward4j.core.train.TrainingConfig;
import org.forward4j.core.train.TrainingResult;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.graph.Trainable;
import org.forward4j.plugin.InvalidConfigurationException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code forward4j pretrain}: trains a layer graph by ordinary backpropagation (the SameDiff reference,
 * {@link BackpropReference}) and writes it as a model file, the starting point of forward-only fine-tuning
 * ({@code train --init}). The data, batch order, optimiser and evaluation are a forward run's (same config keys,
 * same {@code Trainer.permutation} order, the same clean evaluation of the test split), so a pretrained model and a
 * fine-tuned one are measured alike. With {@code --init} and {@code --trainable} it fine-tunes by backprop instead
 * (a linear probe is {@code --trainable head}).
 */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Train a layer graph (cnn, vit or an architecture file) by backpropagation (SameDiff) and write "
                + "model.safetensors and result.json, for forward-only fine-tuning with train --init.")
public final class PretrainCommand implements Callable<Integer> {

    @ParentCommand
    Forward4jCli root;

    @Option(names = "--model", paramLabel = "cnn|vit|FILE.json", description = "the layer graph: the cnn or vit "
            + "preset (28 x 28 images) or an architecture JSON file; or give --init")
    String model;

    @Option(names = "--init", paramLabel = "MODEL", description = "continue from a model file instead (with "
            + "--trainable: backprop fine-tuning, e.g. a linear probe with --trainable head)")
    String init;

    @Option(names = "--trainable", paramLabel = "SPEC", description = "which tensors train: all (default), head, "
            + "last:K, biases, names:REGEX")
    String trainable;

    @Option(names = "--dataset", description = "mnist (bundled), fashion-mnist, idx:<dir>, csv:<train>,<test>")
    String dataset;

    @Option(names = {"-e", "--epochs"}, description = "epochs (default 30)")
    Integer epochs;

    @Option(names = {"-b", "--batch-size"}, description = "rows per step (default 64)")
    Integer batchSize;

    @Option(names = {"--lr", "--learning-rate"}, description = "learning rate (default 1e-3)")
    Double learningRate;

    @Option(names = "--optimizer", description = "adam, sgd or momentum (default adam)")
    String optimizer;

    @Option(names = "--seed", description = "seed of the initialisation and the batch order (default 1)")
    Long seed;

    @Option(names = "--train-limit", description = "use only the first N training rows")
    Integer trainLimit;

    @Option(names = "--test-limit", description = "use only the first N test rows")
    Integer testLimit;

    @Option(names = "--shots", paramLabel = "K", description = "train on K rows per class (a seeded subset)")
    Integer shots;

    @Option(names = "--scale", description = "feature scaling fitted on the training split: none (default), minmax, "
            + "standard")
    String scale;

    @Option(names = "--threads", description = "threads ND4J may use (default 1: bit-reproducible; more is faster "
            + "for the cnn and changes the last bits)")
    int threads = 1;

    @Option(names = "--config", paramLabel = "FILE", description = "properties file with forward4j.* keys")
    Path config;

    @Option(names = {"-D", "--set"}, paramLabel = "KEY=VALUE", description = "any training setting, e.g. -D "
            + "schedule=step")
    Map<String, String> extra = new LinkedHashMap<>();

    @Option(names = {"-o", "--output"}, description = "output directory (default runs/pretrain); it must not hold "
            + "another run unless --overwrite is given")
    Path output = Path.of("runs", "pretrain");

    @Option(names = "--overwrite", description = "replace the run the output directory holds")
    boolean overwrite;

    @Override
    public Integer call() {
        Map<String, String> overrides = new LinkedHashMap<>();
        put(overrides, "model", model);
        put(overrides, "init", init);
        put(overrides, "trainable", trainable);
        put(overrides, "dataset", dataset);
        put(overrides, "epochs", epochs);
        put(overrides, "batch-size", batchSize);
        put(overrides, "learning-rate", learningRate);
        put(overrides, "optimizer", optimizer);
        put(overrides, "seed", seed);
        put(overrides, "train-limit", trainLimit);
        put(overrides, "test-limit", testLimit);
        put(overrides, "shots", shots);
        put(overrides, "scale", scale);
        extra.forEach((k, v) -> overrides.put(k.startsWith("forward4j.") ? k.substring("forward4j.".length()) : k, v));
        Forward4j f4j = Runs.engine(root.engine(), config, overrides);
        TrainingConfig t = f4j.training();
        if (t.model().isEmpty() && t.init().isEmpty()) {
            throw new InvalidConfigurationException("pretrain needs a layer graph: --model cnn, --model vit, --model "
                    + "FILE.json, or --init MODEL to continue from a model file");
        }
        if (threads < 1) {
            throw new InvalidConfigurationException("--threads=" + threads + " must be at least 1");
        }
        try (RunDirectory dir = RunDirectory.open(output, false, overwrite)) {
            Runs.Data data = Runs.data(t, System.err);
            Runs.ModelChoice m = Runs.model(t, data.split().train());
            boolean[] on = Trainable.select(t.trainable(), m.graph());
            GraphObjective train = GraphObjective.of(m.graph(), m.parameters(), on, data.split().train().features(),
                    data.split().train().labels());
            GraphObjective test = train.on(data.split().test().features(), data.split().test().labels());
            System.out.printf(Locale.ROOT, "forward4j pretrain: %s on %s (%d train / %d test rows), backprop "
                            + "(SameDiff), %s lr %s, batch %d, %d epochs, seed %d, %d thread%s; %,d of %,d parameters "
                            + "train%n", m.description(), t.dataset(), data.split().train().rows(),
                    data.split().test().rows(), t.optimizer().name().toLowerCase(Locale.ROOT), t.learningRate(),
                    t.batchSize(), t.epochs(), t.seed(), threads, threads == 1 ? "" : "s", train.dimension(),
                    m.graph().parameterCount());
            BackpropReference.Result r = BackpropReference.train(train, test, train.initial(), t.epochs(),
                    t.batchSize(), BackpropReference.updater(t), t.seed(), threads, PretrainCommand::print);
            Path file = dir.path().resolve(ModelFile.FILE_NAME);
            Map<String, String> meta = metadata(t, data, m, r, threads);
            if (m.network() != null) {
                ModelFile.write(file, m.network(), r.parameters(), meta);
            } else {
                ModelFile.write(file, m.graph(), r.parameters(), meta);
            }
            Map<String, Object> provenance = new LinkedHashMap<>();
            provenance.put("trainer", BackpropReference.LABEL);
            provenance.put("training", t.effective());
            provenance.put("threads", threads);
            provenance.put("peakHeapBytes", r.memory().peakHeapBytes());
            provenance.put("peakRssBytes", r.memory().peakRssBytes());
            Map<String, Object> more = new LinkedHashMap<>();
            more.put("model", ModelFile.FILE_NAME);
            more.put("architecture", m.source());
            more.put("rowsProcessed", r.rowsProcessed());
            more.put("data", data.info());
            // records' "queries" hold training rows processed: a backprop step is no forward4j query
            ResultsWriter.write(dir.path(), new TrainingResult(r.records(), 0, 0, 0, r.steps(), r.parameters(),
                    provenance), f4j.config().asMap(), more);
            System.out.printf(Locale.ROOT, "final test accuracy %.4f after %d epochs (%d steps, %.1f s of training); "
                    + "results in %s%n", r.last().testAccuracy(), t.epochs(), r.steps(), r.last().wallSeconds(),
                    dir.path());
            System.out.println("model written to " + file + " (forward4j train --init " + file + " --trainable ...)");
            return 0;
        }
    }

    private static void print(EvalRecord r) {
        System.out.printf(Locale.ROOT, "epoch %3d  step %7d  train loss %s  test loss %s  test acc %s  %.1fs%n",
                r.epoch(), r.step(), ConsoleProgress.format(r.trainLoss()), ConsoleProgress.format(r.testLoss()),
                ConsoleProgress.format(r.testAccuracy()), r.wallSeconds());
        System.out.flush();
    }

    /** Provenance in the model file: what it is, how it was trained and what it scored; nothing time-dependent. */
    private static Map<String, String> metadata(TrainingConfig t, Runs.Data data, Runs.ModelChoice m,
                                                BackpropReference.Result r, int threads) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("dataset", t.dataset());
        meta.put("train_rows", data.info().get("trainRows").toString());
        if (t.shots() > 0) {
            meta.put("shots", Integer.toString(t.shots()));
            meta.put("shot_rows", Integer.toString(data.split().train().rows()));
        }
        meta.put("test_rows", Integer.toString(data.split().test().rows()));
        meta.put("scale", t.scale().name().toLowerCase(Locale.ROOT));
        meta.put("trained_with", "backprop (SameDiff)");
        meta.put("model", m.source());
        meta.put("trainable", t.trainable());
        meta.put("optimizer", t.optimizer().name().toLowerCase(Locale.ROOT));
        meta.put("learning_rate", Double.toString(t.learningRate()));
        meta.put("seed", Long.toString(t.seed()));
        meta.put("epochs", Integer.toString(t.epochs()));
        meta.put("batch_size", Integer.toString(t.batchSize()));
        meta.put("threads", Integer.toString(threads));
        meta.put("steps", Long.toString(r.steps()));
        meta.put("test_loss", Double.toString(r.last().testLoss()));
        meta.put("test_accuracy", Double.toString(r.last().testAccuracy()));
        return meta;
    }

    private static void put(Map<String, String> m, String key, Object value) {
        if (value != null) {
            m.put(key, value.toString());
        }
    }

}
