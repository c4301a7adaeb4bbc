package org.forward4j.estimator.rge;

/**
 * The distribution of RGE's directions u (docs/method.md §2). Written {@code gaussian} and {@code sphere} in
 * settings.
 */
public enum RgeDistribution {
    /** u ~ N(0, I): the plan's Gaussian stream itself. */
    GAUSSIAN,
    /**
     * u uniform on the sphere of radius sqrt(d), {@code u = sqrt(d) z / |z|} for the Gaussian stream z, so
     * E[u u^T] = I as for the Gaussian but |u|^2 = d exactly.
     */
    SPHERE
}
