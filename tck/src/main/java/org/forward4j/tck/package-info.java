/**
 * The forward4j technology compatibility kit: abstract JUnit 5 suites that any allocator, estimator or backend
 * plugin (built-in or third-party) subclasses with one factory method to prove it honours its SPI contract.
 *
 * <p>{@link org.forward4j.tck.AllocatorContractTest}, {@link org.forward4j.tck.EstimatorContractTest} and
 * {@link org.forward4j.tck.BackendContractTest} hold the checks; {@link org.forward4j.tck.Fixtures} holds the shared
 * objectives, networks and allocation requests they run on, so every plugin is measured against the same ground.
 */
package org.forward4j.tck;
