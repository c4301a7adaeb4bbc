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
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Time and memory of one estimator step as the draws per point grow at a fixed batch of {@value Workload#BATCH}
 * ({@code step}), next to a plain forward pass over the same number of rows ({@code plain}): the fraction of the
 * physical limit is {@code plain / step} (both in ms per operation). Memory: run with {@code -prof gc} for heap
 * bytes allocated per step ({@code gc.alloc.rate.norm}) and with {@code -prof
 * org.forward4j.benchmarks.PeakMemoryProfiler} for the peak heap and native (ND4J) memory over each iteration.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "--add-modules", "jdk.incubator.vector",
        "-Dorg.bytedeco.javacpp.cachedir=target/javacpp-cache"})
public class DrawScalingBenchmark {

    /** MLP widths, input first. */
    @Param({"784-1024-1024-10"})
    public String shape;

    /** Estimator variant, {@code NAME} or {@code NAME:key=value;key=value}. */
    @Param({"lr", "spsa"})
    public String estimator;

    /** Draws per point and step. */
    @Param({"4", "8", "16", "32", "64"})
    public int draws;

    /** The cpu backend's threads; 0 means one per core. */
    @Param({"0"})
    public int threads;

    private QueryThroughput throughput;
    private QueryThroughput.EstimatorRun run;
    private QueryThroughput.PlainForward plain;

    /** Creates the benchmark state; JMH calls it. */
    public DrawScalingBenchmark() {
    }

    /** Builds the model, the batch, the estimator and the plain pass over the step's rows. */
    @Setup(Level.Trial)
    public void setUp() {
        throughput = new QueryThroughput(shape, Workload.BATCH, Workload.threads(threads), Workload.SEED);
        run = throughput.estimator(EstimatorVariant.parse(estimator), draws);
        plain = throughput.plainForward(run.queriesPerStep());
    }

    /** Stops the backend's worker threads. */
    @TearDown(Level.Trial)
    public void tearDown() {
        throughput.close();
    }

    /**
     * One whole estimator step with {@code draws} draws per point.
     *
     * @return the estimate (consumed by JMH)
     */
    @Benchmark
    public GradientEstimate step() {
        return run.step();
    }

    /**
     * A plain forward pass over as many rows as the step has queries.
     *
     * @return the losses (consumed by JMH)
     */
    @Benchmark
    public double[][] plain() {
        return plain.run();
    }
}
