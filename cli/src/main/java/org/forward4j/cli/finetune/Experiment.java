package org.forward4j.cli.finetune;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.forward4j.backend.Backend;
import org.forward4j.backend.cpu.CpuBackendProvider;
import org.forward4j.backprop.BackpropReference;
import org.forward4j.cli.ConsoleProgress;
import org.forward4j.cli.Runs;
import org.forward4j.cli.compare.Comparison;
import org.forward4j.core.Forward4j;
import org.forward4j.core.train.EvalRecord;
import org.forward4j.core.train.Trainer;
import org.forward4j.core.train.TrainingConfig;
import org.forward4j.core.train.TrainingResult;
import org.forward4j.datasets.DatasetSplit;
import org.forward4j.estimator.EvaluationMetrics;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.graph.Trainable;
import org.forward4j.plugin.Settings;

/**
 * Runs the fine-tuning methods one after the other in this JVM, with one progress line per finished run (its
 * accuracy, time, the elapsed time and an estimate of the time left), and keeps every run so that a grid cell that
 * equals the main setting is not trained twice.
 */
final class Experiment {

    /** Method names, as they appear in runs.csv, summary.md and summary.json. */
    static final String LR_UNIFORM = "lr/uniform";
    static final String LR_NEYMAN = "lr/neyman";
    static final String LR_OPTIMAL = "lr/optimal";
    static final String SPSA_UNIFORM = "spsa/uniform";
    static final String BACKPROP_SAME = "backprop/same-layers";
    static final String BACKPROP_HEAD = "backprop/head";

    /**
     * One finished run.
     *
     * @param model cnn or vit
     * @param method one of the method names
     * @param seed the run's seed (batch order and noise; the shots and the pretrained weights are shared)
     * @param learningRate its learning rate
     * @param queriesPerPoint its queries per point (forward methods)
     * @param records its evaluations; for backprop {@code queries} holds training rows processed
     * @param budget the equal budget N in queries (forward methods), or -1 for backprop
     * @param wallSeconds training seconds at N (the whole run for backprop)
     */
    record MethodRun(String model, String method, long seed, double learningRate, int queriesPerPoint,
                     List<EvalRecord> records, long budget, double wallSeconds) {

        boolean forward() {
            return budget >= 0;
        }

        /** The run as {@link Comparison} reads it (estimator and allocator from the method name). */
        Comparison.Run comparison() {
            String[] p = method.split("/");
            return new Comparison.Run(p[0], p[1], seed, records, budget);
        }
    }

    /**
     * A planned run.
     *
     * @param model cnn or vit
     * @param method method name
     * @param seed seed
     * @param learningRate learning rate
     * @param queriesPerPoint queries per point
     * @param epochs epochs up to N (uniform trains {@code uniformFactor} times as many)
     */
    record Job(String model, String method, long seed, double learningRate, int queriesPerPoint, int epochs) {
    }

    private final Supplier<Forward4j.Builder> engine;
    private final Map<String, String> common;
    private final Map<String, DatasetSplit> data = new HashMap<>();
    private final Map<Job, MethodRun> done = new LinkedHashMap<>();
    private final Map<String, double[]> rates = new HashMap<>();
    private final int uniformFactor;
    private final double headLearningRate;
    private final PrintStream out;
    private final long started = System.nanoTime();
    private int finished;
    private int planned;
    private double weightDone;
    private double weightPlanned;

    /**
     * @param engine a fresh builder with the plugin loader per call (a builder keeps the settings it is given)
     * @param common settings of every fine-tuning run (dataset, shots, test limit, batch, extra -D settings); its
     *     {@code seed} draws the shots
     * @param uniformFactor how far beyond N uniform trains
     * @param headLearningRate the linear probe's learning rate
     * @param out progress lines
     */
    Experiment(Supplier<Forward4j.Builder> engine, Map<String, String> common, int uniformFactor,
               double headLearningRate, PrintStream out) {
        this.engine = engine;
        this.common = common;
        this.uniformFactor = uniformFactor;
        this.headLearningRate = headLearningRate;
        this.out = out;
    }

    /** Adds jobs to the plan (for the run count and the time estimate); give each distinct job once. */
    void plan(List<Job> jobs) {
        for (Job j : jobs) {
            planned++;
            weightPlanned += weight(j);
        }
    }

    /** The relative cost of a job, for the time estimate before its kind has been timed. */
    private double weight(Job j) {
        double units = (double) j.epochs() * (j.method().startsWith("backprop") ? 4 : j.queriesPerPoint());
        return units * (j.method().equals(LR_UNIFORM) ? uniformFactor : 1);
    }

    /**
     * Runs a job (or returns the run already made for the same job).
     *
     * @param j the job
     * @param init the pretrained model file
     * @param trainable the model's fine-tuning selection
     * @param sigma lr's noise scale, or null for the estimator's default
     * @return the run
     */
    MethodRun run(Job j, String init, String trainable, Double sigma) {
        MethodRun cached = done.get(j);
        if (cached != null) {
            // planned once (the plan holds distinct jobs), run once
            return cached;
        }
        Map<String, String> o = new LinkedHashMap<>(common);
        o.put("init", init);
        o.put("trainable", j.method().equals(BACKPROP_HEAD) ? "head" : trainable);
        o.put("learning-rate", Double.toString(j.method().equals(BACKPROP_HEAD) ? headLearningRate
                : j.learningRate()));
        o.put("queries-per-point", Integer.toString(j.queriesPerPoint()));
        o.put("seed", Long.toString(j.seed()));
        int epochs = j.method().equals(LR_UNIFORM) ? j.epochs() * uniformFactor : j.epochs();
        o.put("epochs", Integer.toString(epochs));
        if (j.method().contains("/") && !j.method().startsWith("backprop")) {
            String[] p = j.method().split("/");
            o.put("estimator", p[0]);
            o.put("allocator", p[1]);
            if (p[0].equals("lr") && sigma != null) {
                o.put("estimator.sigma", sigma.toString());
            }
        }
        Forward4j f4j = Runs.engine(engine.get(), null, o);
        TrainingConfig t = f4j.training();
        DatasetSplit split = data(o);
        Runs.Prepared prepared = Runs.prepare(t, split);
        long t0 = System.nanoTime();
        MethodRun r;
        if (j.method().startsWith("backprop")) {
            // no per-epoch test evaluation: the reference scores the whole network on the test rows each epoch,
            // which costs more than its training here; the final parameters are scored once, below
            GraphObjective train = prepared.graph();
            BackpropReference.Result b = BackpropReference.train(train, null, prepared.initial(), epochs,
                    t.batchSize(), BackpropReference.updater(t), j.seed(), 1, null);
            GraphObjective after = GraphObjective.of(train.graph(), b.parameters(),
                    Trainable.select(t.trainable(), train.graph()), split.test().features(), split.test().labels());
            EvaluationMetrics m;
            try (Backend cpu = new CpuBackendProvider().create(Settings.of(Map.of("threads", "1")))) {
                m = cpu.evaluator(after).evaluateClean(after.initial());
            }
            List<EvalRecord> records = new ArrayList<>(b.records());
            EvalRecord last = records.remove(records.size() - 1);
            records.add(new EvalRecord(last.epoch(), last.step(), last.queries(), last.trainLoss(), m.loss(),
                    m.accuracy(), last.wallSeconds()));
            r = new MethodRun(j.model(), j.method(), j.seed(), t.learningRate(), 0, List.copyOf(records), -1,
                    last.wallSeconds());
        } else {
            long budget = (long) j.epochs() * (split.train().rows() / t.batchSize()) * t.batchSize()
                    * t.queriesPerPoint();
            TrainingResult tr;
            try (Trainer trainer = Runs.trainer(f4j, prepared)) {
                tr = trainer.fit(new ConsoleProgress(j.model() + " " + j.method() + " seed " + j.seed(), epochs,
                        t.progress(), false, out, System.err));
            }
            double wall = Double.NaN;
            for (EvalRecord e : tr.records()) {
                if (e.queries() <= budget) {
                    wall = e.wallSeconds();
                }
            }
            r = new MethodRun(j.model(), j.method(), j.seed(), t.learningRate(), t.queriesPerPoint(), tr.records(),
                    budget, wall);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        done.put(j, r);
        finished++;
        weightDone += weight(j);
        double[] rate = rates.computeIfAbsent(kind(j), k -> new double[2]);
        rate[0] += seconds;
        rate[1] += weight(j);
        progressLine(j, r, seconds);
        return r;
    }

    private static String kind(Job j) {
        return j.model() + (j.method().startsWith("backprop") ? "/backprop" : "/forward");
    }

    private void progressLine(Job j, MethodRun r, double seconds) {
        double elapsed = (System.nanoTime() - started) / 1e9;
        double remaining = Math.max(0, weightPlanned - weightDone);
        double total = 0;
        double weight = 0;
        for (double[] v : rates.values()) {
            total += v[0];
            weight += v[1];
        }
        double eta = weight == 0 ? Double.NaN : remaining * total / weight;
        String at = r.forward() ? String.format(Locale.ROOT, "%.4f at N = %,d queries", Comparison.smoothedAt(
                r.records(), r.budget()), r.budget())
                : String.format(Locale.ROOT, "%.4f after %d epochs", r.records().get(r.records().size() - 1)
                .testAccuracy(), j.epochs());
        out.printf(Locale.ROOT, "[%d/%d] %s %s lr %s%s seed %d: test accuracy %s, %.1f s; elapsed %s, ETA %s%n",
                finished, planned, j.model(), j.method(), j.method().equals(BACKPROP_HEAD) ? headLearningRate
                        : j.learningRate(), r.forward() ? " q" + j.queriesPerPoint() : "", j.seed(), at, seconds,
                clock(elapsed), Double.isNaN(eta) ? "?" : clock(eta));
        out.flush();
    }

    /** Minutes and seconds. */
    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }

    /** The fine-tuning data, loaded once: the shots are drawn with the first seed, so every run trains on them. */
    private DatasetSplit data(Map<String, String> settings) {
        return data.computeIfAbsent("split", k -> {
            Map<String, String> o = new LinkedHashMap<>(settings);
            o.put("seed", common.get("seed"));
            return Runs.data(Runs.engine(engine.get(), null, o).training(), System.err).split();
        });
    }

    /** Every run made so far, in the order made. */
    List<MethodRun> runs() {
        return new ArrayList<>(done.values());
    }
}
