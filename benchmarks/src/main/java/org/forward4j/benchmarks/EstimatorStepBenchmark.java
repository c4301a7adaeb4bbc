package org.forward4j.benchmarks;

import java.util.concurrent.TimeUnit;
import org.forward4j.benchmarks.EstimatorVariant;
import org.forward4j.benchmarks.QueryThroughput;
import org.forward4j.estimator.GradientEstimate;
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
 * Sample-queries per second of whole estimator steps (begin, run with {@value Workload#QUERIES_PER_POINT} queries'
 * worth of draws for each of {@value Workload#BATCH} points, finish) on the {@code cpu} backend: the score is
 * queries per second, since each invocation counts as {@value Workload#QUERIES_PER_STEP} operations. Compare it
 * with {@link PlainForwardBenchmark} of the same shape (or run {@link BenchmarkReport}, which divides them).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "--add-modules", "jdk.incubator.vector",
        "-Dorg.bytedeco.javacpp.cachedir=target/javacpp-cache"})
public class EstimatorStepBenchmark {

    /** MLP widths, input first. */
    @Param({"784-256-10", "784-1024-1024-10"})
    public String shape;

    /** The backend: {@code cpu}, or {@code opencl} (on PoCL it measures CPU-OpenCL, not a GPU). */
    @Param({"cpu"})
    public String backend;

    /** Estimator variant, {@code NAME} or {@code NAME:key=value;key=value}. */
    @Param({"lr", "spsa", "spsa:distribution=rademacher", "spsa:directions=per-point", "rge"})
    public String estimator;

    /** The cpu backend's threads; 0 means one per core. */
    @Param({"0"})
    public int threads;

    private QueryThroughput throughput;
    private QueryThroughput.EstimatorRun run;

    /** Creates the benchmark state; JMH calls it. */
    public EstimatorStepBenchmark() {
    }

    /** Builds the model, the batch and the estimator. */
    @Setup(Level.Trial)
    public void setUp() {
        throughput = new QueryThroughput(shape, Workload.BATCH, Workload.threads(threads), Workload.SEED, backend);
        EstimatorVariant v = EstimatorVariant.parse(estimator);
        run = throughput.estimator(v, throughput.drawsFor(v, Workload.QUERIES_PER_POINT));
        if (run.queriesPerStep() != Workload.QUERIES_PER_STEP) {
            throw new IllegalStateException(estimator + " spends " + run.queriesPerStep() + " queries per step, not "
                    + Workload.QUERIES_PER_STEP + ": the reported throughput would be wrong");
        }
    }

    /** Stops the backend's worker threads. */
    @TearDown(Level.Trial)
    public void tearDown() {
        throughput.close();
    }

    /**
     * One whole estimator step.
     *
     * @return the estimate (consumed by JMH)
     */
    @Benchmark
    @OperationsPerInvocation(Workload.QUERIES_PER_STEP)
    public GradientEstimate step() {
        return run.step();
    }
}
