package org.forward4j.core.backend;

import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.plugin.UnsupportedCapabilityException;

/**
 * Evaluates weight plans of a black-box objective: materialises {@code theta + scale * z} per query (reusing the
 * generated direction across consecutive queries on it) and calls the user's {@link Objective#losses}.
 */
final class CpuObjectiveEvaluator implements QueryEvaluator {

    private final Objective objective;

    CpuObjectiveEvaluator(Objective objective) {
        this.objective = objective;
    }

    @Override
    public Objective objective() {
        return objective;
    }

    @Override
    public double[][] evaluate(float[] theta, WeightPlan plan) {
        int d = objective.dimension();
        double[][] out = new double[plan.queries().size()][];
        float[] z = new float[d];
        float[] buf = new float[d];
        int cached = -1;
        boolean have = false;
        for (int q = 0; q < out.length; q++) {
            WeightQuery wq = plan.queries().get(q);
            if (wq.scale() == 0f) {
                System.arraycopy(theta, 0, buf, 0, d);
            } else {
                if (!have || cached != wq.direction()) {
                    plan.stream(wq.direction()).fill(plan.distribution(), z, 0, d, 0);
                    cached = wq.direction();
                    have = true;
                }
                for (int k = 0; k < d; k++) {
                    buf[k] = theta[k] + wq.scale() * z[k];
                }
            }
            out[q] = new double[wq.rows().length];
            objective.losses(buf, wq.rows(), out[q]);
        }
        return out;
    }

    @Override
    public boolean supportsActivationNoise() {
        return false;
    }

    @Override
    public ActivationPass evaluate(float[] theta, ActivationPlan plan) {
        throw new UnsupportedCapabilityException("Activation-noise queries need a native network objective, but "
                + objective + " is a black box; use the spsa or rge estimator for black-box objectives");
    }
}
