package org.forward4j.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.forward4j.backend.Backend;
import org.forward4j.core.Forward4j;
import org.forward4j.core.model.Model;
import org.forward4j.core.model.ModelFile;
import org.forward4j.datasets.Dataset;
import org.forward4j.datasets.DatasetSplit;
import org.forward4j.datasets.FeatureScaler;
import org.forward4j.datasets.Datasets;
import org.forward4j.estimator.EvaluationMetrics;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.graph.GraphForward;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.graph.Trainable;
import org.forward4j.plugin.InvalidDataException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code forward4j evaluate}: loads a model file written by {@code train} (or by any tool in the same layout) and
 * measures its loss and accuracy on a dataset split, through the selected backend's clean evaluation: the same code
 * that measured test accuracy during training, so a model evaluated on its training run's test rows reproduces the
 * run's last record.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Load a model file (model.safetensors) and print its loss and accuracy on a dataset split; "
                + "optionally write one prediction per row.")
public final class EvaluateCommand implements Callable<Integer> {

    @ParentCommand
    Forward4jCli root;

    /** Which part of a dataset to evaluate on. */
    enum Split {
        /** The held-out rows (the default; what training reports). */
        test,
        /** The training rows. */
        train
    }

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE",
            description = "the model file, or a train output directory holding model.safetensors")
    Path model;

    @Option(names = "--dataset", paramLabel = "SPEC", description = "mnist, fashion-mnist, idx:<dir>, "
            + "csv:<train>,<test> (default: the dataset the model was trained on, from its metadata)")
    String dataset;

    @Option(names = "--split", description = "test or train (default test)")
    Split split = Split.test;

    @Option(names = "--limit", paramLabel = "N", description = "use only the first N rows of the split "
            + "(train --test-limit N evaluated the first N test rows)")
    Integer limit;

    @Option(names = "--backend", description = "cpu, opencl, reference or auto (default cpu)")
    String backend;

    @Option(names = {"-D", "--set"}, paramLabel = "KEY=VALUE",
            description = "any setting, e.g. -D backend.threads=2")
    Map<String, String> extra = new LinkedHashMap<>();

    @Option(names = {"-o", "--predictions"}, paramLabel = "CSV",
            description = "write row,label,predicted,loss for every row (row: 0-based index in the split)")
    Path predictions;

    @Override
    public Integer call() {
        Path file = Files.isDirectory(model) && Files.isRegularFile(model.resolve(ModelFile.FILE_NAME))
                ? model.resolve(ModelFile.FILE_NAME) : model;
        Model m = ModelFile.read(file);
        Map<String, String> meta = m.metadata();
        String spec = dataset != null ? dataset : meta.getOrDefault("dataset", "mnist");
        Map<String, String> overrides = new LinkedHashMap<>();
        extra.forEach((k, v) -> overrides.put(k.startsWith("forward4j.") ? k.substring("forward4j.".length()) : k, v));
        if (backend != null) {
            overrides.put("backend", backend);
        }
        Forward4j f4j = Runs.engine(root.engine(), null, overrides);
        System.out.printf(Locale.ROOT, "forward4j evaluate: %s from %s (%s)%n", m.describe(), file.toAbsolutePath(),
                provenance(meta));
        DatasetSplit all = Datasets.load(spec);
        Dataset data = split == Split.test ? all.test() : all.train();
        if (limit != null) {
            data = data.subset(limit);
        }
        // the training run's feature scaling, fitted again on the same training rows (deterministic)
        FeatureScaler.Method method = FeatureScaler.Method.valueOf(meta.getOrDefault("scale", "none")
                .toUpperCase(Locale.ROOT));
        if (method != FeatureScaler.Method.NONE) {
            int trainRows = Integer.parseInt(meta.getOrDefault("train_rows", Integer.toString(all.train().rows())));
            data = FeatureScaler.fit(method, all.train().subset(trainRows)).transform(data);
        }
        check(data, spec, m, file, meta);
        // an MLP on its own engines; a layer graph with every tensor "trainable", so θ is the full vector
        Objective objective = m.isMlp() ? Networks.objective(m.network(), data.features(), data.labels())
                : GraphObjective.of(m.graph(), m.parameters(), Trainable.select("all", m.graph()), data.features(),
                data.labels());
        EvaluationMetrics e;
        try (Backend b = f4j.newBackend()) {
            e = b.evaluator(objective).evaluateClean(m.parameters());
            System.out.printf(Locale.ROOT, "%s split of %s: %d rows, backend %s%n", split, spec, data.rows(),
                    b.device());
        }
        System.out.printf(Locale.ROOT, "%s loss %.6f, accuracy %.4f (%d of %d rows correct)%n", split, e.loss(),
                e.accuracy(), Math.round(e.accuracy() * e.rows()), e.rows());
        if (predictions != null) {
            writePredictions(predictions, objective, m.parameters());
            System.out.println("predictions written to " + predictions.toAbsolutePath());
        }
        return 0;
    }

    private static String provenance(Map<String, String> meta) {
        StringBuilder b = new StringBuilder("forward4j " + meta.getOrDefault("forward4j_version", "unknown"));
        if (meta.containsKey("estimator") && meta.containsKey("allocator")) {
            b.append("; trained with ").append(meta.get("estimator")).append('/').append(meta.get("allocator"));
        }
        if (meta.containsKey("dataset")) {
            b.append(" on ").append(meta.get("dataset"));
        }
        if (meta.containsKey("seed")) {
            b.append(", seed ").append(meta.get("seed"));
        }
        if (meta.containsKey("test_accuracy")) {
            try {
                b.append(String.format(Locale.ROOT, ", test accuracy %.4f",
                        Double.parseDouble(meta.get("test_accuracy"))));
                if (meta.containsKey("test_rows")) {
                    b.append(" on ").append(meta.get("test_rows")).append(" rows");
                }
            } catch (NumberFormatException ignored) {
                // provenance only: a foreign writer's free text is not worth failing over
            }
        }
        return b.toString();
    }

    /** Refuses data the model cannot take, naming both, before any evaluation. */
    private static void check(Dataset data, String spec, Model m, Path file, Map<String, String> meta) {
        String trained = meta.containsKey("dataset") ? " (it was trained on '" + meta.get("dataset") + "')" : "";
        String net = m.describe();
        int inputs = m.graph().input().size();
        int classes = m.graph().classes();
        if (data.cols() != inputs) {
            throw new InvalidDataException("Dataset '" + spec + "' has " + data.cols() + " features per row, but the "
                    + "model " + net + " in " + file + " takes " + inputs + " inputs" + trained
                    + "; evaluate it on data of its input width");
        }
        int maxLabel = -1;
        for (int y : data.labels()) {
            maxLabel = Math.max(maxLabel, y);
        }
        if (maxLabel >= classes) {
            throw new InvalidDataException("Dataset '" + spec + "' has labels up to " + maxLabel + ", but the model "
                    + net + " in " + file + " predicts " + classes + " classes (0.." + (classes - 1) + ")"
                    + trained);
        }
    }

    /**
     * One line per row: its index, label, the predicted class (largest logit, first on ties) and its softmax
     * cross-entropy, from the plain-Java reference forward ({@link Networks#logits} or {@link GraphForward#logits}),
     * written to a temporary file and renamed.
     */
    private static void writePredictions(Path target, Objective data, float[] theta) {
        int[] labels = data instanceof GraphObjective g ? g.labels() : ((NetworkObjective) data).labels();
        Path abs = target.toAbsolutePath();
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        try {
            if (abs.getParent() != null) {
                Files.createDirectories(abs.getParent());
            }
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                w.write("row,label,predicted,loss\n");
                for (int row = 0; row < data.size(); row++) {
                    float[] logits = data instanceof GraphObjective g ? GraphForward.logits(g, theta, row, null, null)
                            : Networks.logits(((NetworkObjective) data).network(), theta,
                            ((NetworkObjective) data).features(), row, null, null);
                    int label = labels[row];
                    w.write(String.format(Locale.ROOT, "%d,%d,%d,%.6f\n", row, label,
                            Networks.argmax(logits, 0, logits.length),
                            Networks.softmaxCrossEntropy(logits, 0, logits.length, label)));
                }
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write predictions to " + abs + ": " + e, e);
        }
    }
}
