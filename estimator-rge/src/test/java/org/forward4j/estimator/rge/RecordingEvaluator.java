package org.forward4j.estimator.rge;

import java.util.ArrayList;
import java.util.List;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.WeightPlan;

/** Wraps {@link ReferenceQueryEvaluator}, keeping every weight plan; activation noise is a test failure. */
final class RecordingEvaluator implements QueryEvaluator {
    final List<WeightPlan> plans = new ArrayList<>();
    private final ReferenceQueryEvaluator delegate;

    RecordingEvaluator(Objective objective) {
        delegate = new ReferenceQueryEvaluator(objective);
    }

    @Override
    public Objective objective() {
        return delegate.objective();
    }

    @Override
    public double[][] evaluate(float[] theta, WeightPlan plan) {
        plans.add(plan);
        return delegate.evaluate(theta, plan);
    }

    @Override
    public boolean supportsActivationNoise() {
        throw new AssertionError("a weight-perturbation estimator asked for activation noise");
    }

    @Override
    public ActivationPass evaluate(float[] theta, ActivationPlan plan) {
        throw new AssertionError("a weight-perturbation estimator ran an activation plan");
    }

    long plannedRows() {
        long n = 0;
        for (WeightPlan p : plans) {
            n += p.queryCount();
        }
        return n;
    }
}
