package org.forward4j.benchmarks;

import java.util.Collection;
import java.util.List;
import org.forward4j.benchmarks.MemoryProbe;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * A JMH profiler ({@code -prof org.forward4j.benchmarks.PeakMemoryProfiler}) that reports, per iteration, the peak
 * used heap and the peak native memory in use by the C allocator (ND4J's off-heap arrays), each over its value right
 * after a full collection before the iteration (see {@link MemoryProbe} for the method). Over an iteration of many
 * operations these peaks depend on when the collector runs, since ND4J frees native buffers only when their Java
 * wrappers are collected; the {@code bench} command measures them per single step. For heap bytes allocated per
 * operation use JMH's own {@code -prof gc} ({@code gc.alloc.rate.norm}).
 */
public final class PeakMemoryProfiler implements InternalProfiler {

    private static final double MIB = 1024.0 * 1024.0;

    private final MemoryProbe probe = new MemoryProbe();

    /** Creates the profiler; JMH instantiates it by name. */
    public PeakMemoryProfiler() {
    }

    @Override
    public String getDescription() {
        return "peak heap and native (malloc) memory over a collected baseline";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        probe.start();
    }

    @Override
    @SuppressWarnings("rawtypes") // JMH's InternalProfiler declares the raw Result type
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                       IterationResult result) {
        MemoryProbe.Usage u = probe.stop();
        return List.of(
                new ScalarResult("peak.heap", u.peakHeapBytes() / MIB, "MB", AggregationPolicy.MAX),
                new ScalarResult("peak.native", u.peakNativeBytes() < 0 ? Double.NaN : u.peakNativeBytes() / MIB,
                        "MB", AggregationPolicy.MAX));
    }
}
