/**
 * {@code forward4j bench}: the query engine's throughput against the physical limit (method.md §6). Every estimator
 * step (planning, batched evaluation and gradient assembly) is timed next to a plain, unperturbed forward pass over
 * the same number of rows on the same backend, so each throughput is reported as a fraction of that limit,
 * measured in the same run. {@link org.forward4j.examples.bench.QueryThroughput} is the measurement shared by the
 * {@code bench} command and the JMH benchmarks of the {@code forward4j-benchmarks} module.
 */
package org.forward4j.examples.bench;
