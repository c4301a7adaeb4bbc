package org.forward4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.forward4j.benchmarks.BenchRow;
import org.forward4j.benchmarks.BenchTable;
import org.forward4j.benchmarks.CpuTime;
import org.forward4j.benchmarks.EstimatorVariant;
import org.forward4j.benchmarks.GraphThroughput;
import org.forward4j.benchmarks.MachineInfo;
import org.forward4j.benchmarks.MemoryProbe;
import org.forward4j.benchmarks.QueryThroughput.EstimatorRun;
import org.forward4j.benchmarks.QueryThroughput.PlainForward;
import org.forward4j.benchmarks.QueryThroughput;
import org.forward4j.core.model.Graphs;
import org.forward4j.estimator.graph.LayerGraph;
import org.forward4j.estimator.graph.Trainable;
import org.forward4j.plugin.InvalidConfigurationException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code forward4j bench}: how close each estimator's steps come to plain inference (docs/method.md §6). For every shape
 * and estimator it times whole steps at the query budget, alternating each step with a plain forward pass over the
 * same number of rows, and reports throughputs, their fraction of the plain pass, and memory per step; a sweep over
 * draws per point shows how time and memory grow with the draws. Prints one markdown table and writes it to
 * {@code bench.md} and {@code bench.csv} in the output directory.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure estimator query throughput against plain forward evaluation of the same rows.")
public final class BenchCommand implements Callable<Integer> {

    /** The fewest calls in a timed window (of plain passes, or of warm steps). */
    static final int WINDOW_MIN_CALLS = 3;

    /** The shortest window of plain passes timed after each step, in seconds. */
    static final double PLAIN_WINDOW_SECONDS = 0.025;

    /** The shortest window of back-to-back steps for the warm rate; longer steps report their cold rate. */
    static final double WARM_WINDOW_SECONDS = 0.15;

    /** Windows of back-to-back steps per row; the median one is the warm rate. */
    static final int WARM_WINDOWS = 3;

    @Option(names = "--shapes", split = ",", description = "MLP shapes (default 784-256-10,784-1024-1024-10)")
    List<String> shapes = List.of("784-256-10", "784-1024-1024-10");

    @Option(names = "--estimators", split = ",", description = "estimator variants, NAME or NAME:key=value;key=value "
            + "(default lr,spsa,spsa:distribution=rademacher,spsa:directions=per-point,rge)")
    List<String> estimators = List.of("lr", "spsa", "spsa:distribution=rademacher", "spsa:directions=per-point",
            "rge");

    @Option(names = {"-b", "--batch-size"}, description = "points per mini-batch (default 64)")
    int batchSize = 64;

    @Option(names = {"-q", "--queries-per-point"}, description = "query budget per point and step (default 16)")
    int queriesPerPoint = 16;

    @Option(names = "--steps", description = "timed steps per row (default 5)")
    int steps = 5;

    @Option(names = "--warmup", description = "warm-up steps per row (default 2; fewer once warming took half of "
            + "--max-seconds)")
    int warmup = 2;

    @Option(names = "--max-seconds", description = "time limit per row: no more timed steps once a row has run this "
            + "long, at least one; a single step longer than this is the row's only sample (default 10)")
    double maxSeconds = 10;

    @Option(names = "--backend", description = "backend whose throughput is measured: cpu (default), opencl, auto")
    String backendName = "cpu";

    @Option(names = "--threads", description = "cpu backend threads (backend.threads; default: the number of cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--chunk-rows", description = "cpu backend row chunk (backend.chunk-rows), also the rows of each "
            + "plain-forward query (default 256)")
    int chunkRows = QueryThroughput.CHUNK_ROWS;

    @Option(names = "--sweep-draws", split = ",", description = "draws per point of the memory sweep (default 4,16,64)")
    List<Integer> sweepDraws = List.of(4, 16, 64);

    @Option(names = "--sweep-estimators", split = ",", description = "estimators of the memory sweep (default lr,spsa)")
    List<String> sweepEstimators = List.of("lr", "spsa");

    @Option(names = "--sweep-shapes", split = ",", description = "MLP shapes of the memory sweep (default: the last of "
            + "--shapes)")
    List<String> sweepShapes;

    @Option(names = "--no-sweep", description = "skip the memory sweeps (of the MLP shapes and of each model's first selection)")
    boolean noSweep;

    @Option(names = "--models", split = ",", description = "layer-graph presets measured after the MLPs, on the cpu "
            + "backend (default cnn,vit; 'none' for none)")
    List<String> models = List.of("cnn", "vit");

    @Option(names = "--trainable", split = ",", description = "trainable selections of the --models rows (default "
            + "all,last:2)")
    List<String> trainable = List.of("all", "last:2");

    @Option(names = "--model-estimators", split = ",", description = "estimators of the --models rows (default "
            + "lr,spsa)")
    List<String> modelEstimators = List.of("lr", "spsa");

    @Option(names = "--seed", description = "seed of parameters, batch and noise (default 1)")
    long seed = 1;

    @Option(names = {"-o", "--output"}, description = "output directory (default runs/bench)")
    Path output = Path.of("runs", "bench");

    @Override
    public Integer call() {
        validate();
        List<EstimatorVariant> variants = estimators.stream().map(EstimatorVariant::parse).toList();
        List<EstimatorVariant> sweepVariants = sweepEstimators.stream().map(EstimatorVariant::parse).toList();
        List<String> sweepOn = noSweep ? List.of() : sweepShapes != null ? sweepShapes
                : List.of(shapes.get(shapes.size() - 1));
        MachineInfo machine = MachineInfo.current();
        String loadStart = MachineInfo.loadAverage();
        System.err.printf(Locale.ROOT, "forward4j bench: %s; load average %s%n", machine.describe(), loadStart);
        List<BenchRow> rows = new ArrayList<>();
        String device = "";
        List<String> order = new ArrayList<>(shapes);
        sweepOn.stream().filter(s -> !order.contains(s)).forEach(order::add);
        MemoryProbe probe = new MemoryProbe();
        for (String shape : order) {
            try (QueryThroughput qt = new QueryThroughput(shape, batchSize, threads, seed, backendName,
                    chunkRows)) {
                device = qt.device();
                warmUp(qt, batchSize * queriesPerPoint);
                if (shapes.contains(shape)) {
                    for (EstimatorVariant v : variants) {
                        rows.add(measure(qt, probe, v, qt.drawsFor(v, queriesPerPoint)));
                    }
                }
                if (sweepOn.contains(shape)) {
                    for (EstimatorVariant v : sweepVariants) {
                        int budgetDraws = shapes.contains(shape) && variants.contains(v)
                                ? qt.drawsFor(v, queriesPerPoint) : -1;
                        for (int draws : sweepDraws) {
                            if (draws != budgetDraws) {
                                rows.add(measure(qt, probe, v, draws));
                            }
                        }
                    }
                }
            }
        }
        List<String> graphModels = backendName.equals("cpu") ? models : List.of();
        if (!backendName.equals("cpu") && !models.stream().allMatch(m -> m.equalsIgnoreCase("none"))) {
            System.err.println("  --models rows run on the cpu backend only; skipped for --backend " + backendName);
        }
        for (String model : graphModels) {
            if (model.equalsIgnoreCase("none")) {
                continue;
            }
            for (String selection : trainable) {
                try (GraphThroughput gt = new GraphThroughput(model, selection, batchSize, threads, seed)) {
                    System.err.println("  " + gt.label());
                    List<EstimatorVariant> measured = new ArrayList<>();
                    for (String e : modelEstimators) {
                        EstimatorVariant v = EstimatorVariant.parse(e);
                        measured.add(v);
                        rows.add(measureGraph(gt, probe, v, gt.drawsFor(v, queriesPerPoint)));
                    }
                    // the memory sweep of a model: its first selection, the sweep's estimators, every sweep draw
                    if (!noSweep && selection.equals(trainable.get(0))) {
                        for (EstimatorVariant v : sweepVariants) {
                            int budgetDraws = measured.contains(v) ? gt.drawsFor(v, queriesPerPoint) : -1;
                            for (int draws : sweepDraws) {
                                if (draws != budgetDraws) {
                                    rows.add(measureGraph(gt, probe, v, draws));
                                }
                            }
                        }
                    }
                }
            }
        }
        BenchTable.Header header = new BenchTable.Header(machine, device, batchSize, seed, loadStart,
                MachineInfo.loadAverage());
        String md = BenchTable.markdown(header, rows);
        System.out.print(md);
        try {
            Files.createDirectories(output);
            Files.writeString(output.resolve("bench.md"), md);
            Files.writeString(output.resolve("bench.csv"), BenchTable.csv(rows));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the results to " + output.toAbsolutePath(), e);
        }
        System.err.println("results in " + output.toAbsolutePath());
        return 0;
    }

    private void validate() {
        List<String> problems = new ArrayList<>();
        if (shapes.isEmpty()) {
            problems.add("--shapes is empty");
        }
        if (estimators.isEmpty()) {
            problems.add("--estimators is empty");
        }
        if (batchSize < 1) {
            problems.add("--batch-size must be at least 1, got " + batchSize);
        }
        if (queriesPerPoint < 1) {
            problems.add("--queries-per-point must be at least 1, got " + queriesPerPoint);
        }
        if (steps < 1) {
            problems.add("--steps must be at least 1, got " + steps);
        }
        if (warmup < 0) {
            problems.add("--warmup must be at least 0, got " + warmup);
        }
        if (!(maxSeconds > 0)) {
            problems.add("--max-seconds must be positive, got " + maxSeconds);
        }
        if (threads < 1) {
            problems.add("--threads must be at least 1, got " + threads);
        }
        for (int d : sweepDraws) {
            if (d < 1) {
                problems.add("--sweep-draws must be at least 1 each, got " + d);
            }
        }
        for (String model : models) {
            if (model.equalsIgnoreCase("none")) {
                continue;
            }
            try {
                LayerGraph g = Graphs.preset(model, 10);
                for (String selection : trainable) {
                    Trainable.select(selection, g);
                }
            } catch (InvalidConfigurationException e) {
                problems.add("--models/--trainable: " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidConfigurationException("bench: " + String.join("; ", problems));
        }
    }

    /** One MLP row ({@link #timeRow}). */
    private BenchRow measure(QueryThroughput qt, MemoryProbe probe, EstimatorVariant v, int draws) {
        EstimatorRun run = qt.estimator(v, draws);
        PlainForward plain = qt.plainForward(run.queriesPerStep());
        return timeRow(qt.shape(), v, draws, run.queriesPerStep(), run::step, plain::run, probe, "  %-18s %-28s");
    }

    /**
     * One layer-graph row ({@link #timeRow}). The plain pass is of the whole model, so a selection whose frozen
     * prefix is reused per data row can exceed 1 of plain.
     */
    private BenchRow measureGraph(GraphThroughput gt, MemoryProbe probe, EstimatorVariant v, int draws) {
        GraphThroughput.Steps run = gt.estimator(v, draws);
        Runnable plain = gt.plainForward(run.queriesPerStep());
        return timeRow(gt.shape(), v, draws, run.queriesPerStep(), run::step, plain, probe, "  %-22s %-10s");
    }

    /**
     * One row: warm-up, then steps alternating with plain passes until {@code steps} are timed or the row has run
     * for {@code maxSeconds}. A full collection precedes every timed step (inside the memory probe) and every window
     * of plain passes that follows it, so neither pays for the other's garbage; the plain rate is the median over
     * the windows, which resists the odd window slowed by other jobs.
     *
     * @param label the console format of the shape and estimator columns
     */
    private BenchRow timeRow(String shape, EstimatorVariant v, int draws, long queriesPerStep, Runnable step,
                             Runnable plain, MemoryProbe probe, String label) {
        plain.run();
        long start = System.nanoTime();
        List<double[]> samples = new ArrayList<>();
        List<double[]> plains = new ArrayList<>();
        boolean single = false;
        // warm-up: up to `warmup` steps, fewer once warming has taken half the row's time limit
        for (int w = 0; w < warmup && !single && (w == 0 || seconds(start) < maxSeconds / 2); w++) {
            double[] s = timedStep(step, probe);
            // a step too long to repeat within the limit is the row's only sample
            single = s[0] > maxSeconds;
            List<double[]> p = timedPlain(plain);
            if (single) {
                samples.add(s);
                plains.addAll(p);
            }
        }
        while (!single && samples.size() < steps) {
            samples.add(timedStep(step, probe));
            plains.addAll(timedPlain(plain));
            if (seconds(start) > maxSeconds) {
                break;
            }
        }
        double[] stepTimes = column(samples, 0);
        long allocated = 0;
        long peakHeap = 0;
        long peakNative = 0;
        for (double[] s : samples) {
            allocated = allocated < 0 || s[2] < 0 ? -1 : allocated + (long) s[2];
            peakHeap = Math.max(peakHeap, (long) s[3]);
            peakNative = s[4] < 0 ? -1 : Math.max(peakNative, (long) s[4]);
        }
        double[] warm = single || median(stepTimes) > WARM_WINDOW_SECONDS ? new double[] {Double.NaN, Double.NaN}
                : warmWindow(step);
        // one more, untimed step for the live heap, unless steps are too long to repeat
        long live = single || median(stepTimes) > maxSeconds / 2 ? -1 : probe.peakLiveHeap(step);
        BenchRow row = new BenchRow(shape, v.spec(), draws, queriesPerStep, stepTimes, column(plains, 0),
                column(samples, 1), column(plains, 1), warmup > 0 && !single,
                allocated < 0 ? -1 : allocated / stepTimes.length, peakHeap, peakNative, live,
                MachineInfo.loadAverage().split(" ")[0], warm[0], warm[1]);
        System.err.printf(Locale.ROOT, label + " draws %3d: %9.1f ms/step, %,10.0f queries/s, %.3f of plain "
                        + "(%,.0f rows/s), %.3f in cpu time, load %s%n", row.shape(), row.estimator(), draws,
                row.stepMedian() * 1e3, row.queriesPerSecond(), row.fractionOfPlain(), row.plainRowsPerSecond(),
                row.fractionOfPlainCpu(), row.load());
        return row;
    }

    /**
     * The steps' sustained rate: after a collection and one untimed step, {@value #WARM_WINDOWS} windows of
     * back-to-back steps (each at least {@value #WINDOW_MIN_CALLS} steps and {@value #WARM_WINDOW_SECONDS} s), each
     * timed as a whole, as JMH and the JAX peers time a call; the window with the median wall time per step counts. The
     * cold steps above pay, each, for worker threads parked by the collection before it and caches it emptied; a
     * short step (the vit's last:2 lr, under a millisecond) ran twice as fast in a loop.
     *
     * @return {wall seconds, cpu seconds} per step of the median window
     */
    private static double[] warmWindow(Runnable step) {
        MemoryProbe.collect();
        step.run();
        double[][] windows = new double[WARM_WINDOWS][];
        for (int w = 0; w < WARM_WINDOWS; w++) {
            windows[w] = window(step, WARM_WINDOW_SECONDS);
        }
        java.util.Arrays.sort(windows, java.util.Comparator.comparingDouble(x -> x[0]));
        return windows[WARM_WINDOWS / 2];
    }

    /**
     * Runs {@code call} back to back, at least {@value #WINDOW_MIN_CALLS} times and {@code seconds}, timed as a whole.
     *
     * @return {wall seconds, cpu seconds (all threads)} per call
     */
    private static double[] window(Runnable call, double seconds) {
        Map<Long, Long> cpu = CpuTime.snapshot();
        long t0 = System.nanoTime();
        int calls = 0;
        long t1;
        do {
            call.run();
            calls++;
            t1 = System.nanoTime();
        } while (calls < WINDOW_MIN_CALLS || t1 - t0 < seconds * 1e9);
        return new double[] {(t1 - t0) / 1e9 / calls, CpuTime.secondsSince(cpu, -1) / calls};
    }

    /** Times one step under the probe: {wall seconds, cpu seconds, allocated bytes, peak heap, peak native}. */
    private static double[] timedStep(Runnable step, MemoryProbe probe) {
        probe.start();
        Map<Long, Long> cpu = CpuTime.snapshot();
        long t0 = System.nanoTime();
        step.run();
        long t1 = System.nanoTime();
        double cpuSeconds = CpuTime.secondsSince(cpu, probe.samplerThreadId());
        MemoryProbe.Usage u = probe.stop();
        return new double[] {(t1 - t0) / 1e9, cpuSeconds, u.allocatedBytes(), u.peakHeapBytes(),
                u.peakNativeBytes()};
    }

    /**
     * A full collection, one untimed pass (the collection leaves caches cold and the worker threads parked; a pass
     * right after it measured up to 1.6x slower with two threads than passes in a loop), then one timed window of
     * back-to-back plain passes, at least {@value #WINDOW_MIN_CALLS} and {@value #PLAIN_WINDOW_SECONDS} s: {wall
     * seconds, cpu seconds} per pass, averaged over the window. A window is how JMH and the JAX peer time a call;
     * passes timed one by one also pay for the worker threads waking from the idle gap between them (784-256-10, two
     * threads: 519,000 rows/s one by one after the collection's pause against 559,000 to 610,000 back to back).
     */
    private static List<double[]> timedPlain(Runnable plain) {
        MemoryProbe.collect();
        plain.run();
        return List.of(window(plain, PLAIN_WINDOW_SECONDS));
    }

    private static double[] column(List<double[]> rows, int index) {
        double[] out = new double[rows.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = rows.get(i)[index];
        }
        return out;
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    /** Runs plain passes for at least a second and five passes, so the shared code paths are compiled. */
    private static void warmUp(QueryThroughput qt, int rows) {
        PlainForward plain = qt.plainForward(rows);
        long start = System.nanoTime();
        for (int i = 0; i < 5 || seconds(start) < 1; i++) {
            plain.run();
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
