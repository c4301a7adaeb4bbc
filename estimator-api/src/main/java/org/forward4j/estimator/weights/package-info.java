/**
 * Support for weight-perturbation gradient estimators (docs/method.md §2: SPSA, RGE and the like), which perturb the
 * flat parameter vector along regenerated random directions through
 * {@link org.forward4j.estimator.WeightPlan}s.
 *
 * <p>Such an estimator differs from the next only in the queries it plans for a direction and in how it turns
 * their losses into a projected difference p_ij; the rest is common bookkeeping, kept here so that every
 * estimator numbers its directions, counts its queries and assembles its estimate the same way:
 * {@link org.forward4j.estimator.weights.DirectionMode} numbers the draws (shared among the points, or
 * independent per point), and {@link org.forward4j.estimator.weights.DirectionDraws} holds one step's draws:
 * it plans each round's directions, runs and counts the plan, records the scalars of every draw and assembles
 * {@code g = (1/B) sum_i (1/A_i) sum_j p_ij z_ij}, regenerating each direction instead of storing it
 * (docs/method.md §5). The built-in {@code spsa} and {@code rge} estimators are written on it; a third-party
 * weight-perturbation estimator may be too.
 */
package org.forward4j.estimator.weights;
