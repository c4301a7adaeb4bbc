/**
 * Counter-based perturbation noise (docs/method.md §5): {@link org.forward4j.noise.Philox} and
 * {@link org.forward4j.noise.NoiseStream}. Estimators, backends and third-party plugins regenerate identical
 * bits from (seed, step, draw, tensor, index) instead of storing perturbations.
 */
package org.forward4j.noise;
