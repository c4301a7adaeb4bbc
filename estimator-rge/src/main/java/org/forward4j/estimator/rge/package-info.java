/**
 * The {@code rge} gradient estimator (docs/method.md §2): one-sided random gradient estimation, forward differences
 * from the clean loss along regenerated random directions, on any black-box
 * {@link org.forward4j.estimator.Objective}. Select it with the provider name {@code rge}; see
 * {@link org.forward4j.estimator.rge.RgeGradientEstimatorProvider} for its settings.
 */
package org.forward4j.estimator.rge;
