package org.forward4j.estimator;

/**
 * The estimate of one mini-batch, built in rounds (docs/method.md §4): a pilot round, then the allocated rest.
 */
public interface EstimationStep {

    /**
     * Runs more draws: {@code draws[i]} further draws for batch point i (draw numbers continue where the previous
     * round stopped). Points with 0 are not evaluated.
     *
     * @param draws additional draws per point
     * @param includeInEstimate whether these draws enter the gradient estimate (false leaves a pilot out,
     *     docs/method.md §3.2 bias note)
     */
    void run(int[] draws, boolean includeInEstimate);

    /**
     * The per-point proxy lambda_i from the queries run so far: the mean perturbed loss (or the clean loss when
     * the estimator measures one anyway).
     *
     * @return one value per point; NaN for a point with no queries yet
     */
    double[] proxies();

    /**
     * Combines every included draw into the batch estimate {@code g = (1/B) sum_i (1/A_i) sum_j g_ij}.
     *
     * @return the gradient estimate and per-point statistics
     */
    GradientEstimate finish();

    /**
     * Runs the step's last round, whose draws all enter the estimate, and finishes: the same estimate as
     * {@code run(lastRoundDraws, true)} followed by {@link #finish()}. Knowing that no round follows lets an
     * estimator assemble the round's gradient while it is evaluated (the {@code lr} estimator does, so its memory
     * stays flat as draws grow; {@code spsa}/{@code rge} add each direction's term while the backend holds it); the
     * trainer always ends a step this way.
     *
     * @param lastRoundDraws additional draws per point (0 for a point that needs none)
     * @return the gradient estimate and per-point statistics
     */
    default GradientEstimate runLastRoundAndFinish(int[] lastRoundDraws) {
        run(lastRoundDraws, true);
        return finish();
    }
}
