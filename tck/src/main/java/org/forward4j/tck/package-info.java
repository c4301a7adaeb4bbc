/**
 * The forward4j technology compatibility kit: abstract JUnit 5 suites that any allocator, estimator or backend
 * plugin (built-in or third-party) subclasses with one factory method to prove it honours its SPI contract.
 *
 * <p>{@link org.forward4j.tck.AllocatorContractTest}, {@link org.forward4j.tck.EstimatorContractTest} and
 * {@link org.forward4j.tck.BackendContractTest} hold the checks; {@link org.forward4j.tck.Fixtures} holds the shared
 * objectives, networks and allocation requests they run on, so every plugin is measured against the same ground.
 *
 * <p>A plugin's own tests can reuse the kit's tools: {@link org.forward4j.tck.CountingQueryEvaluator} and
 * {@link org.forward4j.tck.CountingObjective} count and record what an estimator evaluates,
 * {@link org.forward4j.tck.GradientSamples} holds many seeded estimates for statistical checks (docs/method.md §2), and
 * {@link org.forward4j.tck.WeightPerturbationChecks} checks how an estimator built on
 * {@link org.forward4j.estimator.weights.DirectionDraws} reports misuse.
 */
package org.forward4j.tck;
