package org.forward4j.cli.compare;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.forward4j.backprop.BackpropReference;
import org.forward4j.backprop.PeakMemory;
import org.forward4j.cli.ConfigOptions;
import org.forward4j.cli.ConsoleProgress;
import org.forward4j.cli.Forward4jCli;
import org.forward4j.cli.Runs;
import org.forward4j.cli.results.ResultsWriter;
import org.forward4j.core.Forward4j;
import org.forward4j.core.model.Mlp;
import org.forward4j.core.train.EvalRecord;
import org.forward4j.core.train.TrainingConfig;
import org.forward4j.core.train.TrainingResult;
import org.forward4j.datasets.DatasetSplit;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.plugin.InvalidConfigurationException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code forward4j compare}: the same training under several allocators (and estimators) over several seeds, at
 * equal total queries; writes runs.csv, summary.md, summary.json and accuracy.png.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Compare allocators (and estimators) at equal total queries over several seeds.")
public final class CompareCommand implements Callable<Integer> {

    @ParentCommand
    Forward4jCli root;

    @Mixin
    ConfigOptions options;

    @Option(names = "--allocators", split = ",", description = "allocators to compare (default uniform,neyman,optimal)")
    List<String> allocators = List.of("uniform", "neyman", "optimal");

    @Option(names = "--estimators", split = ",", description = "estimator variants, NAME or NAME:key=value;key=value, "
            + "e.g. lr,spsa:directions=per-point (default: the configured estimator)")
    List<String> estimators;

    @Option(names = "--seeds", description = "number of seeds, starting at --seed (default 5)")
    int seeds = 5;

    @Option(names = "--uniform-factor", description = "uniform trains up to this multiple of the budget, so the "
            + "queries it needs to reach the other allocators' accuracy can be measured (default 3)")
    int uniformFactor = 3;

    @Option(names = {"-o", "--output"}, description = "output directory (default runs/compare)")
    Path output = Path.of("runs", "compare");

    @Option(names = "--backprop", description = "also train the same MLP with backprop (ND4J SameDiff autodiff) as a "
            + "labelled reference: same split, initialisation, batch order, optimiser and epochs")
    boolean backprop;

    @Override
    public Integer call() {
        Map<String, String> base = options.overrides();
        Forward4j probe = Runs.engine(root.engine(), options.configFile(), base);
        TrainingConfig t = probe.training();
        List<String> variants = estimators == null ? List.of(t.estimator()) : estimators;
        if (!allocators.contains("uniform")) {
            throw new InvalidConfigurationException("--allocators " + allocators + " lacks uniform, the reference "
                    + "every saving is measured against; add uniform");
        }
        DatasetSplit split = Runs.data(t, System.err).split();
        List<Comparison.Run> runs = new ArrayList<>();
        StringBuilder csv = new StringBuilder("estimator,allocator,seed," + ResultsWriter.CSV_HEADER + "\n");
        int total = variants.size() * allocators.size() * seeds;
        Map<String, List<PeakMemory.Usage>> memoryByConfig = new LinkedHashMap<>();
        int done = 0;
        for (String variant : variants) {
            Map<String, String> estimatorKeys = parseVariant(variant);
            for (String allocator : allocators) {
                for (int s = 0; s < seeds; s++) {
                    long seed = t.seed() + s;
                    Map<String, String> o = new LinkedHashMap<>(base);
                    o.putAll(estimatorKeys);
                    o.put("allocator", allocator);
                    o.put("seed", Long.toString(seed));
                    int epochs = allocator.equals("uniform") ? t.epochs() * uniformFactor : t.epochs();
                    o.put("epochs", Integer.toString(epochs));
                    Forward4j f4j = Runs.engine(root.engine(), options.configFile(), o);
                    done++;
                    System.out.printf(Locale.ROOT, "[%d/%d] %s / %s, seed %d, %d epochs%n", done, total, variant,
                            allocator, seed, epochs);
                    PeakMemory memory = PeakMemory.start();
                    TrainingResult r = Runs.train(f4j, split, new ConsoleProgress(variant + "/" + allocator + " seed " + seed,
                            epochs, t.progress(), false, System.out, System.err));
                    PeakMemory.Usage usage = memory.stop();
                    memoryByConfig.computeIfAbsent(variant + " / " + allocator, k -> new ArrayList<>()).add(usage);
                    long budget = budget(f4j.training(), split.train().rows(), t.epochs());
                    runs.add(new Comparison.Run(variant, allocator, seed, r.records(), budget));
                    for (EvalRecord rec : r.records()) {
                        csv.append(String.format(Locale.ROOT, "%s,%s,%d,", variant.replace(',', ';'), allocator, seed))
                                .append(ResultsWriter.csv(List.of(rec)).split("\n")[1]).append('\n');
                    }
                    writePartial(csv);
                    System.out.printf(Locale.ROOT, "      smoothed test accuracy at the budget %.4f (%,d queries), "
                                    + "%.1f s%n", Comparison.smoothedAt(r.records(), budget), budget,
                            r.last().wallSeconds());
                }
            }
        }
        List<Comparison.Report> reports = Comparison.analyse(runs);
        String md = "# forward4j compare\n\n" + String.format(Locale.ROOT, "Dataset %s (%d train / %d test rows), "
                        + "MLP hidden %s, batch %d, %d queries per point, %d epochs (uniform: up to %d), seeds %d..%d "
                        + "(per-seed values below are in this order).%n%nEqual total queries: every allocator spends "
                        + "exactly N = epochs x steps x batch x queries-per-point. Accuracy is smoothed over %d "
                        + "consecutive evaluations (the mean of the last %d up to each evaluation). Each allocator run "
                        + "is paired with the uniform run of the same seed (same initial parameters, batch order and "
                        + "noise key).%n%n", t.dataset(), split.train().rows(), split.test().rows(),
                java.util.Arrays.toString(t.hidden()), t.batchSize(), t.queriesPerPoint(), t.epochs(),
                t.epochs() * uniformFactor, t.seed(), t.seed() + seeds - 1, Comparison.SMOOTHING,
                Comparison.SMOOTHING) + allocatorNote(allocators) + Comparison.markdown(reports, uniformFactor)
                + memoryTable(memoryByConfig);
        if (backprop) {
            md += backpropSection(t, split, csv);
        }
        try {
            Files.createDirectories(output);
            ResultsWriter.atomicWrite(output.resolve("runs.csv"), csv.toString());
            ResultsWriter.atomicWrite(output.resolve("summary.md"), md);
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("config", probe.config().asMap());
            summary.put("uniformFactor", uniformFactor);
            summary.put("smoothing", Comparison.SMOOTHING);
            Map<String, Object> bootstrap = new LinkedHashMap<>();
            bootstrap.put("method", "paired percentile bootstrap of the mean over seeds (quantiles by linear "
                    + "interpolation)");
            bootstrap.put("resamples", Comparison.BOOTSTRAP_RESAMPLES);
            bootstrap.put("seed", Comparison.BOOTSTRAP_SEED);
            bootstrap.put("level", Comparison.LEVEL);
            summary.put("bootstrap", bootstrap);
            Map<String, Object> definitions = new LinkedHashMap<>();
            definitions.put(Comparison.Definition.TO_UNIFORM_ACCURACY.name(), "headline: target = uniform's smoothed "
                    + "accuracy at N (same seed); saving = 1 - Q_alloc/Q_uniform, the allocator's curve cut at N; "
                    + "AT_MOST: the allocator did not reach the target within N, value = 1 - N/Q_uniform, an upper "
                    + "bound");
            definitions.put(Comparison.Definition.TO_OWN_ACCURACY.name(), "the paper's: target = the allocator's own "
                    + "smoothed accuracy at N (same seed); saving = 1 - Q_alloc/Q_uniform with uniform trained up to "
                    + "uniformFactor x N; AT_LEAST: uniform never reached the target, value = 1 - Q_alloc/(its last "
                    + "queries), a lower bound");
            summary.put("definitions", definitions);
            summary.put("reports", reports);
            summary.put("runs", runs);
            ResultsWriter.atomicWrite(output.resolve("summary.json"), ResultsWriter.mapper().writeValueAsString(summary));
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write to " + output.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        AccuracyPlot.write(runs, output.resolve("accuracy.png"), "forward4j: test accuracy vs training queries");
        System.out.println();
        System.out.print(Comparison.console(reports));
        System.out.println("Results: " + output.toAbsolutePath() + " (runs.csv, summary.md, summary.json, accuracy.png)");
        return 0;
    }

    /**
     * What {@code optimal} is, stated where its numbers are read: a reader of the paper would otherwise take it for
     * the paper's own allocator, which its released code does not contain.
     *
     * @param allocators the allocators compared
     * @return a markdown paragraph, empty when {@code optimal} is not among them
     */
    public static String allocatorNote(List<String> allocators) {
        if (!allocators.contains("optimal")) {
            return "";
        }
        return "`optimal` is this project's four-parameter reading of the paper's reparameterised allocator "
                + "(docs/method.md §3.2); the paper's released code has no learned allocator, so there is no "
                + "reference implementation it has been checked against.\n\n";
    }

    /** Saves the runs finished so far, so a long comparison that dies keeps its finished runs. */
    private void writePartial(StringBuilder csv) {
        try {
            Files.createDirectories(output);
            ResultsWriter.atomicWrite(output.resolve("runs.csv"), csv.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write to " + output.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    /** Peak memory per configuration: heap pools' peak and the process's resident high-water mark. */
    private static String memoryTable(Map<String, List<PeakMemory.Usage>> byConfig) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%n### Peak memory per run (mean over seeds)"
                + "%n%n| run | peak heap MB | peak RSS MB |%n|---|---|---|%n"));
        byConfig.forEach((k, v) -> b.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f |%n", k,
                v.stream().mapToLong(PeakMemory.Usage::peakHeapBytes).average().orElse(Double.NaN) / 1e6,
                v.stream().mapToLong(PeakMemory.Usage::peakRssBytes).average().orElse(Double.NaN) / 1e6)));
        return b.toString();
    }

    /** Trains the backprop reference for every seed and returns its markdown section. */
    private String backpropSection(TrainingConfig t, DatasetSplit split, StringBuilder csv) {
        DenseNetwork net = Runs.network(t, split.train());
        List<Double> acc = new ArrayList<>();
        List<Double> wall = new ArrayList<>();
        List<Double> heap = new ArrayList<>();
        List<Double> rss = new ArrayList<>();
        for (int s = 0; s < seeds; s++) {
            long seed = t.seed() + s;
            System.out.printf(Locale.ROOT, "[backprop] seed %d, %d epochs%n", seed, t.epochs());
            BackpropReference.Result r = BackpropReference.train(net, Mlp.initialParameters(net, seed),
                    split.train().features(), split.train().labels(), split.test().features(), split.test().labels(),
                    t.epochs(), t.batchSize(), BackpropReference.updater(t), seed, 1, null);
            for (EvalRecord rec : r.records()) {
                csv.append(String.format(Locale.ROOT, "backprop,reference,%d,", seed))
                        .append(ResultsWriter.csv(List.of(rec)).split("\n")[1]).append('\n');
            }
            acc.add(Comparison.smoothedAt(r.records(), Long.MAX_VALUE));
            wall.add(r.last().wallSeconds());
            heap.add(r.memory().peakHeapBytes() / 1e6);
            rss.add(r.memory().peakRssBytes() / 1e6);
        }
        double[] a = Comparison.meanStd(acc);
        return String.format(Locale.ROOT, "%n## %s%n%nExact gradients (ND4J SameDiff autodiff), same model, "
                + "initialisation, split, batch order, optimiser and %d epochs. Its training cost is rows passed "
                + "forward and backward, not queries, so it has no budget or saving.%n%n| run | seeds | smoothed test "
                + "accuracy (mean ± std) | wall s per run | peak heap MB | peak RSS MB |%n|---|---|---|---|---|---|%n"
                + "| %s | %d | %.4f ± %.4f | %.1f | %.0f | %.0f |%n", BackpropReference.LABEL, t.epochs(),
                BackpropReference.LABEL, seeds, a[0], a[1], Comparison.meanStd(wall)[0], Comparison.meanStd(heap)[0],
                Comparison.meanStd(rss)[0]);
    }

    /** Training queries of the comparison budget: every run spends exactly this many in {@code epochs} epochs. */
    static long budget(TrainingConfig t, int trainRows, int epochs) {
        return (long) epochs * (trainRows / t.batchSize()) * t.batchSize() * t.queriesPerPoint();
    }

    /**
     * Parses an estimator variant {@code name[:key=value;key=value]} into configuration keys.
     *
     * @param variant the variant text
     * @return {@code estimator} and {@code estimator.key} entries
     */
    static Map<String, String> parseVariant(String variant) {
        Map<String, String> out = new LinkedHashMap<>();
        String[] head = variant.split(":", 2);
        out.put("estimator", head[0].trim());
        if (head.length == 2) {
            for (String kv : head[1].split(";")) {
                String[] p = kv.split("=", 2);
                if (p.length != 2 || p[0].isBlank()) {
                    throw new InvalidConfigurationException("Estimator variant '" + variant + "' has a malformed "
                            + "setting '" + kv + "'; write NAME:key=value;key=value, e.g. spsa:directions=per-point");
                }
                out.put(p[0].trim().startsWith("estimator.") ? p[0].trim() : "estimator." + p[0].trim(), p[1].trim());
            }
        }
        return out;
    }
}
