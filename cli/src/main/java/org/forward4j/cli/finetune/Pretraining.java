package org.forward4j.cli.finetune;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.forward4j.backprop.BackpropReference;
import org.forward4j.cli.Runs;
import org.forward4j.cli.results.ResultsWriter;
import org.forward4j.core.Forward4j;
import org.forward4j.core.model.ModelFile;
import org.forward4j.core.train.EvalRecord;
import org.forward4j.core.train.TrainingConfig;
import org.forward4j.core.train.TrainingResult;
import org.forward4j.datasets.Datasets;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.graph.Trainable;
import org.forward4j.plugin.InvalidDataException;

/**
 * The cached pretraining step: a preset trained whole by backprop on the pretraining dataset, stored under
 * {@code <cache>/<model>-<hash>/} where the hash covers every setting that changes the weights, so a second run with
 * the same settings reuses the file and a changed setting gets its own folder (never a stale model).
 */
final class Pretraining {

    /** The file that marks a finished pretraining next to the model (written last). */
    static final String RESULT = "result.json";

    private Pretraining() {
    }

    /**
     * The settings of one pretraining; everything in here enters the cache key.
     *
     * @param model preset name
     * @param dataset dataset spec
     * @param epochs epochs
     * @param trainLimit training rows (0: all)
     * @param testLimit test rows it is scored on (0: all)
     * @param batch rows per step
     * @param learningRate Adam's learning rate
     * @param seed initialisation and batch-order seed
     * @param threads ND4J threads (the last bits of the weights depend on it)
     */
    record Settings(String model, String dataset, int epochs, int trainLimit, int testLimit, int batch,
                    double learningRate, long seed, int threads) {

        /** The cache key: the first 10 hex digits of the SHA-256 of the settings' text. */
        String hash() {
            try {
                byte[] d = MessageDigest.getInstance("SHA-256").digest(toString().getBytes(StandardCharsets.UTF_8));
                return HexFormat.of().formatHex(d).substring(0, 10);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        /** The config overrides that {@code pretrain} would be given for these settings. */
        Map<String, String> overrides() {
            Map<String, String> o = new LinkedHashMap<>();
            o.put("model", model);
            o.put("dataset", dataset);
            o.put("epochs", Integer.toString(epochs));
            o.put("train-limit", Integer.toString(trainLimit));
            o.put("test-limit", Integer.toString(testLimit));
            o.put("batch-size", Integer.toString(batch));
            o.put("learning-rate", Double.toString(learningRate));
            o.put("seed", Long.toString(seed));
            o.put("optimizer", "adam");
            return o;
        }
    }

    /**
     * A pretrained model ready for fine-tuning.
     *
     * @param file the model file
     * @param reused true when it came from the cache
     * @param testAccuracy its test accuracy on the pretraining dataset
     * @param seconds training seconds (of the run that made it, when reused)
     * @param settings what made it
     */
    record Model(Path file, boolean reused, double testAccuracy, double seconds, Settings settings) {
    }

    /**
     * Returns the cached model for these settings, or pretrains it and stores it. The folder is filled under a
     * temporary name and renamed when complete, so an interrupted pretraining never looks finished.
     *
     * @param engine a fresh builder with the plugin loader per call (a builder keeps the settings it is given)
     * @param s the settings
     * @param cache the cache root
     * @param out progress lines
     * @return the model
     */
    static Model obtain(Supplier<Forward4j.Builder> engine, Settings s, Path cache, PrintStream out) {
        Path dir = cache.resolve(s.model() + "-" + s.hash());
        Path file = dir.resolve(ModelFile.FILE_NAME);
        if (Files.isRegularFile(file) && Files.isRegularFile(dir.resolve(RESULT))) {
            Map<String, String> meta = org.forward4j.core.model.ModelFile.read(file).metadata();
            double acc = Double.parseDouble(meta.getOrDefault("test_accuracy", "NaN"));
            double secs = Double.parseDouble(meta.getOrDefault("train_seconds", "NaN"));
            out.printf(Locale.ROOT, "pretrained %s: reusing %s (test accuracy %.4f on %s)%n", s.model(), dir, acc,
                    s.dataset());
            return new Model(file, true, acc, secs, s);
        }
        Forward4j f4j = Runs.engine(engine.get(), null, s.overrides());
        TrainingConfig t = f4j.training();
        Runs.Data data;
        try {
            data = Runs.data(t, System.err);
        } catch (InvalidDataException e) {
            if (s.dataset().equals("fashion-mnist")) {
                throw new InvalidDataException("--pretrain-dataset fashion-mnist is not installed (" + e.getMessage()
                        + "); install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist, "
                        + "files in " + Datasets.FASHION_MNIST_DEFAULT_DIR + ") or pass --pretrain-dataset mnist", e);
            }
            throw e;
        }
        Runs.ModelChoice m = Runs.model(t, data.split().train());
        boolean[] on = Trainable.select("all", m.graph());
        GraphObjective train = GraphObjective.of(m.graph(), m.parameters(), on, data.split().train().features(),
                data.split().train().labels());
        GraphObjective test = train.on(data.split().test().features(), data.split().test().labels());
        out.printf(Locale.ROOT, "pretraining %s by backprop on %s (%,d rows, %d epoch%s, batch %d, adam lr %s, "
                        + "seed %d, %d thread%s) into %s%n", s.model(), s.dataset(), data.split().train().rows(),
                s.epochs(), s.epochs() == 1 ? "" : "s", s.batch(), s.learningRate(), s.seed(), s.threads(),
                s.threads() == 1 ? "" : "s", dir);
        BackpropReference.Result r = BackpropReference.train(train, test, train.initial(), s.epochs(), s.batch(),
                BackpropReference.updater(t), s.seed(), s.threads(), rec -> epochLine(out, s.model(), rec));
        EvalRecord last = r.last();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("dataset", s.dataset());
        meta.put("train_rows", Integer.toString(data.split().train().rows()));
        meta.put("test_rows", Integer.toString(data.split().test().rows()));
        meta.put("trained_with", "backprop (SameDiff)");
        meta.put("model", s.model());
        meta.put("settings", s.toString());
        meta.put("test_accuracy", Double.toString(last.testAccuracy()));
        meta.put("test_loss", Double.toString(last.testLoss()));
        meta.put("train_seconds", Double.toString(last.wallSeconds()));
        Path tmp = cache.resolve("." + s.model() + "-" + s.hash() + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(tmp);
            ModelFile.write(tmp.resolve(ModelFile.FILE_NAME), m.graph(), r.parameters(), meta);
            Map<String, Object> provenance = new LinkedHashMap<>();
            provenance.put("trainer", BackpropReference.LABEL);
            provenance.put("settings", s);
            provenance.put("hash", s.hash());
            ResultsWriter.write(tmp, new TrainingResult(r.records(), 0, 0, 0, r.steps(), r.parameters(), provenance),
                    f4j.config().asMap(), Map.of("model", ModelFile.FILE_NAME, "data", data.info()));
            if (Files.exists(dir)) {
                // a half-written folder of an older version: replace it
                for (String f : List.of(ModelFile.FILE_NAME, RESULT, "metrics.csv")) {
                    Files.deleteIfExists(dir.resolve(f));
                }
                Files.deleteIfExists(dir);
            }
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write the pretrained model to " + dir + ": " + e.getMessage(), e);
        }
        out.printf(Locale.ROOT, "pretrained %s: test accuracy %.4f on %s after %.1f s; stored in %s%n", s.model(),
                last.testAccuracy(), s.dataset(), last.wallSeconds(), dir);
        return new Model(file, false, last.testAccuracy(), last.wallSeconds(), s);
    }

    private static void epochLine(PrintStream out, String model, EvalRecord r) {
        if (r.epoch() > 0) {
            out.printf(Locale.ROOT, "  pretrain %s epoch %d: test accuracy %.4f (%.1f s)%n", model, r.epoch(),
                    r.testAccuracy(), r.wallSeconds());
        }
    }
}
