/**
 * JMH benchmarks of the query engine (docs/method.md §6): whole estimator steps ({@link
 * org.forward4j.benchmarks.EstimatorStepBenchmark}), the plain forward pass over the same rows that is their
 * physical limit ({@link org.forward4j.benchmarks.PlainForwardBenchmark}), time and memory as draws grow ({@link
 * org.forward4j.benchmarks.DrawScalingBenchmark}, {@link org.forward4j.benchmarks.PeakMemoryProfiler}), and a
 * runner that reports every throughput as a fraction of the plain pass measured in the same run ({@link
 * org.forward4j.benchmarks.BenchmarkReport}). The measured work is {@link
 * org.forward4j.benchmarks.QueryThroughput}, shared with the {@code forward4j bench} command.
 */
package org.forward4j.benchmarks;
