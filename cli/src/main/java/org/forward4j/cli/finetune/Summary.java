package org.forward4j.cli.finetune;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.forward4j.cli.compare.Comparison;
import org.forward4j.cli.results.ResultsWriter;
import org.forward4j.core.train.EvalRecord;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The experiment's outputs: summary.md (per model the method table, then {@code compare}'s savings report of the lr
 * allocators, then the grid), summary.json (the same numbers and every run's records), runs.csv (one line per
 * evaluation) and one accuracy-vs-queries plot per model with the backprop results as horizontal references.
 */
final class Summary {

    /** The files that mark a finetune run in its output directory (removed by {@code --overwrite}). */
    static final List<String> FILES = List.of("summary.md", "summary.json", "runs.csv", "accuracy-cnn.png",
            "accuracy-vit.png");

    private Summary() {
    }

    /** The output files a plan writes. */
    static List<String> outputs(Plan plan) {
        List<String> out = new ArrayList<>(List.of("summary.md", "summary.json", "runs.csv"));
        plan.models().forEach(m -> out.add("accuracy-" + m + ".png"));
        return out;
    }

    /**
     * Mean and std over seeds of one method.
     *
     * @param method the method
     * @param seeds runs
     * @param accuracy last evaluation at or before N (backprop: after the last epoch), mean
     * @param accuracyStd its std over seeds
     * @param smoothed smoothed accuracy at N ({@link Comparison#smoothedAt}), mean
     * @param smoothedStd its std
     * @param queries training queries at that evaluation (forward), or -1
     * @param rows training rows passed forward and backward (backprop), or -1
     * @param wallSeconds training seconds per run, mean
     */
    record MethodRow(String method, int seeds, double accuracy, double accuracyStd, double smoothed,
                     double smoothedStd, long queries, long rows, double wallSeconds) {
    }

    static void write(Path dir, Plan plan, Finetune.Results results, double totalSeconds) {
        Map<String, List<MethodRow>> tables = new LinkedHashMap<>();
        results.main().forEach((m, runs) -> tables.put(m, table(runs, plan.uniformFactor())));
        StringBuilder csv = new StringBuilder("model,method,seed,learning_rate,queries_per_point,epoch,queries,"
                + "rows,test_accuracy,test_loss,wall_seconds\n");
        List<Experiment.MethodRun> everything = results.all();
        for (Experiment.MethodRun r : everything) {
            for (EvalRecord e : r.records()) {
                csv.append(String.format(Locale.ROOT, "%s,%s,%d,%s,%d,%d,%s,%s,%s,%s,%.3f%n", r.model(), r.method(),
                        r.seed(), r.learningRate(), r.queriesPerPoint(), e.epoch(), r.forward() ? e.queries() : "",
                        r.forward() ? "" : e.queries(), e.testAccuracy(), e.testLoss(), e.wallSeconds()));
            }
        }
        String md = markdown(plan, results, tables, totalSeconds);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("plan", plan);
        json.put("pretrained", results.pretrained());
        json.put("methods", tables);
        json.put("reports", results.reports());
        json.put("grid", results.grid());
        json.put("uniformFactor", plan.uniformFactor());
        json.put("smoothing", Comparison.SMOOTHING);
        json.put("totalWallSeconds", totalSeconds);
        json.put("runs", everything);
        try {
            ResultsWriter.atomicWrite(dir.resolve("runs.csv"), csv.toString());
            ResultsWriter.atomicWrite(dir.resolve("summary.md"), md);
            ResultsWriter.atomicWrite(dir.resolve("summary.json"), ResultsWriter.mapper().writeValueAsString(json));
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write to " + dir + ": " + e.getMessage(), e);
        }
        results.main().forEach((m, runs) -> plot(runs, dir.resolve("accuracy-" + m + ".png"), m, plan));
    }

    /** One row per method (uniform also at k N), in {@link Finetune#METHODS} order. */
    static List<MethodRow> table(List<Experiment.MethodRun> runs, int uniformFactor) {
        List<MethodRow> rows = new ArrayList<>();
        for (String method : Finetune.METHODS) {
            List<Experiment.MethodRun> rs = runs.stream().filter(r -> r.method().equals(method)).toList();
            if (rs.isEmpty()) {
                continue;
            }
            rows.add(row(method, rs, false));
            if (method.equals(Experiment.LR_UNIFORM) && uniformFactor > 1) {
                rows.add(row(method + " (" + uniformFactor + " N)", rs, true));
            }
        }
        return rows;
    }

    private static MethodRow row(String label, List<Experiment.MethodRun> rs, boolean toEnd) {
        List<Double> acc = new ArrayList<>();
        List<Double> smooth = new ArrayList<>();
        List<Double> wall = new ArrayList<>();
        long queries = -1;
        long rows = -1;
        for (Experiment.MethodRun r : rs) {
            long limit = r.forward() && !toEnd ? r.budget() : Long.MAX_VALUE;
            EvalRecord last = null;
            for (EvalRecord e : r.records()) {
                if (e.queries() <= limit) {
                    last = e;
                }
            }
            acc.add(last.testAccuracy());
            smooth.add(r.forward() ? Comparison.smoothedAt(r.records(), limit) : Double.NaN);
            wall.add(toEnd || !r.forward() ? last.wallSeconds() : r.wallSeconds());
            if (r.forward()) {
                queries = last.queries();
            } else {
                rows = last.queries();
            }
        }
        double[] a = Comparison.meanStd(acc);
        double[] s = Comparison.meanStd(smooth);
        return new MethodRow(label, rs.size(), a[0], a[1], s[0], s[1], queries, rows, Comparison.meanStd(wall)[0]);
    }

    private static String markdown(Plan plan, Finetune.Results results, Map<String, List<MethodRow>> tables,
                                   double totalSeconds) {
        StringBuilder b = new StringBuilder("# forward4j finetune\n\n");
        b.append(String.format(Locale.ROOT, "Forward-only few-shot fine-tuning of pretrained networks, allocators "
                + "compared at equal queries. Fine-tuning data: %s, %d shots per class (drawn with seed %d, the same "
                + "rows for every run), %d test rows; batch %d, adam; seeds %d..%d (they change "
                + "the batch order and the noise). Every forward method of a model spends exactly N = epochs x steps "
                + "per epoch x batch x queries per point; lr/uniform also trains on to %d N for the saving to the "
                + "allocator's own accuracy. Total wall time %s.%n%n", plan.common().get("dataset"), plan.shots(),
                plan.firstSeed(), plan.testLimit(), plan.batchSize(), plan.firstSeed(),
                plan.firstSeed() + plan.seeds() - 1, plan.uniformFactor(), Experiment.clock(totalSeconds)));
        b.append("## Pretrained models\n\n| model | dataset | epochs | rows | test accuracy | training s | cache |\n"
                + "|---|---|---|---|---|---|---|\n");
        results.pretrained().forEach((m, p) -> {
            Pretraining.Settings ps = p.settings();
            b.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %.4f | %.1f | %s (%s) |%n", m, ps.dataset(),
                    ps.epochs(), ps.trainLimit() == 0 ? "all" : Integer.toString(ps.trainLimit()), p.testAccuracy(),
                    p.seconds(), p.file().getParent().getFileName(), p.reused() ? "reused" : "trained now"));
        });
        for (String m : results.main().keySet()) {
            Plan.ModelPlan mp = plan.perModel().get(m);
            b.append(String.format(Locale.ROOT, "%n# %s%n%nFine-tuned tensors: `trainable=%s`; learning rate %s "
                    + "(forward methods and the backprop ceiling); %d epochs; %d queries per point; lr sigma %s. "
                    + "Backprop rows: exact "
                    + "gradients of the same tensors (ceiling) and a linear probe, `trainable=head` at learning rate "
                    + "%s (floor), same epochs and batch order; their cost is rows passed forward and backward, not "
                    + "queries.%n%n| method | seeds | test accuracy at N (mean ± std) | smoothed at N (mean ± std) "
                    + "| training queries | backprop rows | wall s per run |%n|---|---|---|---|---|---|---|%n", m,
                    mp.trainable(), mp.learningRate(), mp.epochs(), mp.queriesPerPoint(),
                    mp.sigma() == null ? "default (1e-2)" : mp.sigma().toString(), plan.headLearningRate()));
            for (MethodRow r : tables.get(m)) {
                String smoothed = Double.isNaN(r.smoothed()) ? "— (scored once, after the last epoch)"
                        : String.format(Locale.ROOT, "%.2f%% ± %.2f", 100 * r.smoothed(), 100 * r.smoothedStd());
                b.append(String.format(Locale.ROOT, "| %s | %d | %.2f%% ± %.2f | %s | %s | %s | %.1f |%n",
                        r.method(), r.seeds(), 100 * r.accuracy(), 100 * r.accuracyStd(), smoothed,
                        r.queries() < 0 ? "—" : String.format(Locale.ROOT, "%,d", r.queries()),
                        r.rows() < 0 ? "—" : String.format(Locale.ROOT, "%,d", r.rows()), r.wallSeconds()));
            }
            b.append(String.format(Locale.ROOT, "%n### %s: lr allocators (the `compare` report)%n%n", m));
            b.append(org.forward4j.cli.compare.CompareCommand.allocatorNote(List.of("optimal")));
            b.append(Comparison.markdown(List.of(results.reports().get(m)), plan.uniformFactor())
                    .replace("\n## ", "\n#### ").replaceFirst("^## ", "#### "));
        }
        if (!results.grid().isEmpty()) {
            b.append(String.format(Locale.ROOT, "%n# Grid: learning rate x queries per point (lr estimator)%n%nSeeds "
                    + "%d..%d per cell (fewer than the main comparison, for time). Savings against uniform of the same "
                    + "cell, mean [95%% bootstrap CI] over seeds; ≤ marks an upper bound (the allocator did not reach "
                    + "uniform's accuracy within N), ≥ a lower bound (uniform did not reach the allocator's accuracy "
                    + "within %d N).%n%n| model | lr | q | N | uniform acc | neyman acc | optimal acc | neyman saving "
                    + "(to uniform's acc) | optimal saving (to uniform's acc) | neyman saving (to own acc) | optimal "
                    + "saving (to own acc) |%n|---|---|---|---|---|---|---|---|---|---|---|%n", plan.firstSeed(),
                    plan.firstSeed() + plan.gridSeeds() - 1, plan.uniformFactor()));
            for (Finetune.GridCell c : results.grid()) {
                Comparison.Report r = c.report();
                b.append(String.format(Locale.ROOT, "| %s | %s | %d | %,d | %s | %s | %s | %s | %s | %s | %s |%n",
                        c.model(), c.learningRate(), c.queriesPerPoint(), r.accuracy().get(0).budget(),
                        acc(r, "uniform"), acc(r, "neyman"), acc(r, "optimal"), saving(r.toUniformAccuracy(),
                                "neyman", "≤"), saving(r.toUniformAccuracy(), "optimal", "≤"),
                        saving(r.toOwnAccuracy(), "neyman", "≥"), saving(r.toOwnAccuracy(), "optimal", "≥")));
            }
        }
        return b.toString();
    }

    private static String acc(Comparison.Report r, String allocator) {
        return r.accuracy().stream().filter(a -> a.allocator().equals(allocator)).findFirst()
                .map(a -> String.format(Locale.ROOT, "%.2f%%", 100 * a.mean())).orElse("—");
    }

    private static String saving(List<Comparison.SavingSummary> list, String allocator, String boundMark) {
        return list.stream().filter(s -> s.allocator().equals(allocator)).findFirst()
                .map(s -> Double.isNaN(s.mean()) ? "—" : String.format(Locale.ROOT, "%s%.1f%% [%.1f, %.1f]",
                        s.bounded() > 0 ? boundMark + " " : "", 100 * s.mean(), 100 * s.ci().low(),
                        100 * s.ci().high())).orElse("—");
    }

    /**
     * Accuracy against training queries, mean over seeds, one line per forward method (uniform to its k N); the
     * backprop runs have no queries, so their final accuracy is drawn as a dashed horizontal reference line.
     */
    static void plot(List<Experiment.MethodRun> runs, Path file, String model, Plan plan) {
        System.setProperty("java.awt.headless", "true");
        String title = "forward4j finetune: " + model + ", " + plan.shots() + "-shot " + plan.common().get("dataset")
                + ", test accuracy vs training queries";
        XYChart chart = new XYChartBuilder().width(1000).height(650).title(title).xAxisTitle("training queries")
                .yAxisTitle("test accuracy (mean over seeds)").build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
        double maxQ = 1;
        double lo = 1;
        for (String method : Finetune.METHODS) {
            List<Experiment.MethodRun> rs = runs.stream().filter(r -> r.method().equals(method)).toList();
            if (rs.isEmpty() || !rs.get(0).forward()) {
                continue;
            }
            int n = rs.stream().mapToInt(r -> r.records().size()).min().orElse(0);
            double[] x = new double[n];
            double[] y = new double[n];
            for (int k = 0; k < n; k++) {
                for (Experiment.MethodRun r : rs) {
                    x[k] = r.records().get(k).queries();
                    y[k] += r.records().get(k).testAccuracy() / rs.size();
                }
                maxQ = Math.max(maxQ, x[k]);
            }
            if (n > 0) {
                lo = Math.min(lo, y[Math.min(n - 1, Math.max(1, n / 4))]);
                chart.addSeries(method, x, y).setMarker(SeriesMarkers.NONE);
            }
        }
        for (String method : Finetune.METHODS) {
            List<Experiment.MethodRun> rs = runs.stream().filter(r -> r.method().equals(method)).toList();
            if (rs.isEmpty() || rs.get(0).forward()) {
                continue;
            }
            double a = rs.stream().mapToDouble(r -> r.records().get(r.records().size() - 1).testAccuracy())
                    .average().orElse(Double.NaN);
            lo = Math.min(lo, a);
            XYSeries s = chart.addSeries(method + " (final, " + rs.get(0).records().get(rs.get(0).records().size() - 1)
                    .epoch() + " epochs)", new double[] {0, maxQ}, new double[] {a, a});
            s.setMarker(SeriesMarkers.NONE);
            s.setLineStyle(SeriesLines.DASH_DASH);
        }
        chart.getStyler().setYAxisMin(Math.max(0, Math.floor(lo * 20) / 20 - 0.05));
        chart.getStyler().setYAxisMax(1.0);
        try {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write plot " + file + ": " + e.getMessage(), e);
        }
    }
}
