package org.forward4j.tck;

import org.forward4j.estimator.Objective;

/**
 * A black-box {@link Objective} whose per-row gradient is known in closed form, so that gradient estimators can be
 * checked against the truth (see {@link Fixtures#quadratic()}).
 */
public interface AnalyticObjective extends Objective {

    /**
     * The exact gradient of one row's loss, computed in double precision from the float parameters.
     *
     * @param theta parameters of length {@link #dimension()}
     * @param row the data row
     * @return {@code grad l_row(theta)}
     */
    double[] gradient(float[] theta, int row);

    /**
     * The gradient of the batch-mean loss {@code (1/B) sum_i l_{rows[i]}} (docs/method.md §2: the quantity every batch
     * estimate {@code g} is unbiased for).
     *
     * @param theta parameters
     * @param rows the batch rows
     * @return the exact batch gradient
     */
    default double[] batchGradient(float[] theta, int[] rows) {
        double[] g = new double[dimension()];
        for (int r : rows) {
            double[] gi = gradient(theta, r);
            for (int k = 0; k < g.length; k++) {
                g[k] += gi[k] / rows.length;
            }
        }
        return g;
    }
}
