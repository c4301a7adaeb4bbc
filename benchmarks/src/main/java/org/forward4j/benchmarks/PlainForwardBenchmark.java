package org.forward4j.benchmarks;

import java.util.concurrent.TimeUnit;
import org.forward4j.benchmarks.QueryThroughput;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The physical limit (docs/method.md §6): rows per second of a plain, unperturbed forward pass over the rows of one
 * estimator step ({@value Workload#QUERIES_PER_STEP}: the batch repeated), in the same chunked GEMMs on the same
 * {@code cpu} backend. The score is rows per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "--add-modules", "jdk.incubator.vector",
        "-Dorg.bytedeco.javacpp.cachedir=target/javacpp-cache"})
public class PlainForwardBenchmark {

    /** MLP widths, input first. */
    @Param({"784-256-10", "784-1024-1024-10"})
    public String shape;

    /** The backend: {@code cpu}, or {@code opencl} (on PoCL it measures CPU-OpenCL, not a GPU). */
    @Param({"cpu"})
    public String backend;

    /** The cpu backend's threads; 0 means one per core. */
    @Param({"0"})
    public int threads;

    private QueryThroughput throughput;
    private QueryThroughput.PlainForward plain;

    /** Creates the benchmark state; JMH calls it. */
    public PlainForwardBenchmark() {
    }

    /** Builds the model and the rows. */
    @Setup(Level.Trial)
    public void setUp() {
        throughput = new QueryThroughput(shape, Workload.BATCH, Workload.threads(threads), Workload.SEED, backend);
        plain = throughput.plainForward(Workload.QUERIES_PER_STEP);
    }

    /** Stops the backend's worker threads. */
    @TearDown(Level.Trial)
    public void tearDown() {
        throughput.close();
    }

    /**
     * One plain pass over a step's worth of rows.
     *
     * @return the losses (consumed by JMH)
     */
    @Benchmark
    @OperationsPerInvocation(Workload.QUERIES_PER_STEP)
    public double[][] forward() {
        return plain.run();
    }
}
