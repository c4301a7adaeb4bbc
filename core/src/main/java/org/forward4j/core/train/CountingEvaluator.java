package org.forward4j.core.train;

import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.ActivationResult;
import org.forward4j.estimator.DirectionWeigher;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.RowWeigher;
import org.forward4j.estimator.WeightPlan;

/**
 * Counts every query an estimator runs (method.md §1: every query is counted, always) and remembers the first
 * non-finite loss, so the trainer can name the point and the query.
 */
final class CountingEvaluator implements QueryEvaluator {

    private final QueryEvaluator delegate;
    private long queries;
    private String firstNonFinite;

    CountingEvaluator(QueryEvaluator delegate) {
        this.delegate = delegate;
    }

    long queries() {
        return queries;
    }

    /** Describes the first non-finite loss since the last reset, or null. */
    String firstNonFinite() {
        return firstNonFinite;
    }

    void reset() {
        queries = 0;
        firstNonFinite = null;
    }

    @Override
    public Objective objective() {
        return delegate.objective();
    }

    @Override
    public double[][] evaluate(float[] theta, WeightPlan plan) {
        queries += plan.queryCount();
        double[][] out = delegate.evaluate(theta, plan);
        noteNonFinite(plan, out);
        return out;
    }

    private void noteNonFinite(WeightPlan plan, double[][] out) {
        if (firstNonFinite == null) {
            for (int q = 0; q < out.length && firstNonFinite == null; q++) {
                for (int k = 0; k < out[q].length; k++) {
                    if (!Double.isFinite(out[q][k])) {
                        var wq = plan.queries().get(q);
                        firstNonFinite = "loss " + out[q][k] + " for data row " + wq.rows()[k] + " under direction "
                                + wq.direction() + " (scale " + wq.scale() + ")";
                        break;
                    }
                }
            }
        }
    }

    @Override
    public double[][] evaluateAndCombine(float[] theta, WeightPlan plan, DirectionWeigher weigher,
            float[] gradient) {
        queries += plan.queryCount();
        double[][] out = delegate.evaluateAndCombine(theta, plan, weigher, gradient);
        noteNonFinite(plan, out);
        return out;
    }

    @Override
    public boolean supportsActivationNoise() {
        return delegate.supportsActivationNoise();
    }

    @Override
    public ActivationPass evaluate(float[] theta, ActivationPlan plan) {
        queries += plan.size();
        ActivationPass pass = delegate.evaluate(theta, plan);
        noteNonFinite(plan, pass.losses());
        return pass;
    }

    @Override
    public ActivationResult evaluateAndAssemble(float[] theta, ActivationPlan plan, int[] groupEnds,
            RowWeigher weigher, float[] gradient, boolean noiseEnergy) {
        queries += plan.size();
        ActivationResult result = delegate.evaluateAndAssemble(theta, plan, groupEnds, weigher, gradient,
                noiseEnergy);
        noteNonFinite(plan, result.losses());
        return result;
    }

    private void noteNonFinite(ActivationPlan plan, double[] losses) {
        if (firstNonFinite == null) {
            for (int r = 0; r < losses.length; r++) {
                if (!Double.isFinite(losses[r])) {
                    firstNonFinite = "loss " + losses[r] + " for data row " + plan.rows()[r] + " in noise stream "
                            + plan.streams()[r] + (plan.negate()[r] ? " (negated)" : "");
                    break;
                }
            }
        }
    }
}
