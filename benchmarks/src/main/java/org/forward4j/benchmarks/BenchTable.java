package org.forward4j.benchmarks;

import java.util.List;
import java.util.Locale;

/** Formats {@link BenchRow}s as the {@code bench} command's markdown table and CSV file. */
public final class BenchTable {

    /** The CSV header line. */
    public static final String CSV_HEADER = "shape,estimator,draws_per_point,queries_per_step,steps,warmed_up,"
            + "step_ms_median,step_ms_min,step_ms_max,queries_per_s,plain_ms_median,plain_rows_per_s,"
            + "fraction_of_plain,step_cpu_ms_median,plain_cpu_ms_median,fraction_of_plain_cpu,alloc_mb_per_step,"
            + "peak_heap_mb,live_heap_mb,peak_native_mb,load1,warm_queries_per_s,warm_queries_per_cpu_s";

    private static final double MIB = 1024.0 * 1024.0;

    private BenchTable() {
    }

    /**
     * What the table's header says about the run.
     *
     * @param machine the machine
     * @param device the backend's description
     * @param batchSize B
     * @param seed the seed
     * @param loadStart load averages when the run started
     * @param loadEnd load averages when it ended
     */
    public record Header(MachineInfo machine, String device, int batchSize, long seed, String loadStart,
                         String loadEnd) {
    }

    /**
     * The markdown report: a few header lines, one table, and what the columns mean.
     *
     * @param header the run's description
     * @param rows the measurements
     * @return markdown text ending with a newline
     */
    public static String markdown(Header header, List<BenchRow> rows) {
        StringBuilder b = new StringBuilder();
        b.append("# forward4j bench\n\n");
        b.append("- machine: ").append(header.machine().describe()).append('\n');
        b.append(String.format(Locale.ROOT, "- backend: %s; batch %d of bundled MNIST; seed %d%n", header.device(),
                header.batchSize(), header.seed()));
        b.append("- load average (1/5/15 min): ").append(header.loadStart()).append(" at start, ")
                .append(header.loadEnd()).append(" at end\n\n");
        b.append("| shape | estimator | draws/pt | queries/step | steps | ms/step | queries/s | queries/s, warm "
                + "| plain rows/s | of plain | of plain (cpu) | alloc MB/step | peak heap MB | live heap MB "
                + "| peak native MB |\n");
        b.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        boolean unwarmed = false;
        for (BenchRow r : rows) {
            unwarmed |= !r.warmedUp();
            b.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %d%s | %.1f | %,.0f | %,.0f | %,.0f | %.3f "
                            + "| %s | %s | %s | %s | %s |%n", r.shape(), r.estimator().replace("|", "\\|"),
                    r.drawsPerPoint(), r.queriesPerStep(), r.stepSeconds().length, r.warmedUp() ? "" : "*",
                    r.stepMedian() * 1e3, r.queriesPerSecond(), r.warmQueriesPerSecond(), r.plainRowsPerSecond(),
                    r.fractionOfPlain(),
                    fraction(r.fractionOfPlainCpu()), mib(r.allocatedBytes()), mib(r.peakHeapBytes()),
                    mib(r.liveHeapBytes()), mib(r.peakNativeBytes())));
        }
        b.append('\n');
        b.append("ms/step: median wall time of a whole estimator step (begin, then finish with every point's draws). "
                + "queries/s: queries per step / ms/step (each step timed alone, after a full collection). "
                + "queries/s, warm: the same over windows of back-to-back steps (the median of 3 windows of at least 3 "
                + "steps and 0.15 s, as JMH and the JAX peers time a call; steps over 0.15 s: the cold rate). "
                + "plain rows/s: the same number of rows through an "
                + "unperturbed forward pass on the same backend, timed alternately with the steps; of plain: "
                + "queries/s / plain rows/s; of plain (cpu): plain CPU time / step CPU time (all threads), less "
                + "sensitive to other jobs on the machine but blind to idle cores. alloc: heap bytes allocated per step by all threads; peak heap: highest "
                + "sampled used heap during a step over the heap after a full GC (includes uncollected garbage); "
                + "live heap: the same step's heap with its garbage removed, i.e. the highest used heap right after "
                + "full collections forced every 25 ms during one extra, untimed step (what a step holds; n/a for "
                + "steps too long to repeat); "
                + "peak native: highest sampled bytes in use by the C allocator (glibc mallinfo2: ND4J's off-heap "
                + "arrays) over the same baseline; n/a where unavailable.\n");
        if (unwarmed) {
            b.append("\n*: a single step, without a separate warm-up step (one step took longer than the time limit "
                    + "per row); the code was warmed up by the rows before it.\n");
        }
        return b.toString();
    }

    /**
     * The rows as CSV with {@link #CSV_HEADER}.
     *
     * @param rows the measurements
     * @return CSV text ending with a newline
     */
    public static String csv(List<BenchRow> rows) {
        StringBuilder b = new StringBuilder(CSV_HEADER).append('\n');
        for (BenchRow r : rows) {
            double[] s = r.stepSeconds();
            double min = Double.POSITIVE_INFINITY;
            double max = 0;
            for (double v : s) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            b.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%d,%b,%.3f,%.3f,%.3f,%.1f,%.3f,%.1f,%.4f,%.3f,%.3f,%.4f,%s,"
                            + "%s,%s,%s,%s,%.1f,%.1f%n", quote(r.shape()), quote(r.estimator()), r.drawsPerPoint(),
                    r.queriesPerStep(), s.length, r.warmedUp(), r.stepMedian() * 1e3, min * 1e3, max * 1e3,
                    r.queriesPerSecond(), r.plainMedian() * 1e3, r.plainRowsPerSecond(), r.fractionOfPlain(),
                    r.stepCpuMedian() * 1e3, r.plainCpuMedian() * 1e3, r.fractionOfPlainCpu(),
                    mib(r.allocatedBytes()), mib(r.peakHeapBytes()), mib(r.liveHeapBytes()), mib(r.peakNativeBytes()),
                    quote(r.load()), r.warmQueriesPerSecond(), r.warmQueriesPerCpuSecond()));
        }
        return b.toString();
    }

    private static String fraction(double f) {
        return Double.isNaN(f) ? "n/a" : String.format(Locale.ROOT, "%.3f", f);
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f", bytes / MIB);
    }

    private static String quote(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
