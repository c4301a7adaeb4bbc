/**
 * The {@code spsa} gradient estimator (docs/method.md §2): two-sided simultaneous-perturbation finite differences
 * along regenerated random directions, on any black-box {@link org.forward4j.estimator.Objective}. Select it with
 * the provider name {@code spsa}; see {@link org.forward4j.estimator.spsa.SpsaGradientEstimatorProvider} for its
 * settings.
 */
package org.forward4j.estimator.spsa;
