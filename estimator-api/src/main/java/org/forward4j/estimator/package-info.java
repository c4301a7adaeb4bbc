/**
 * Forward-only gradient estimation (docs/method.md §2, §4): objectives (black box or {@link
 * org.forward4j.estimator.NetworkObjective}), query plans, the {@link org.forward4j.estimator.QueryEvaluator} that
 * runs them, and the {@link org.forward4j.estimator.GradientEstimator} contract.
 */
package org.forward4j.estimator;
