package org.forward4j.spark;

import java.util.Map;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.StepContext;

/**
 * The configured estimator, unchanged, with the driver's evaluator told when a step begins and what its estimate
 * was: the estimate's direction terms are the scalars seed replay sends to the executors. Everything else is
 * delegated.
 */
final class ReplayEstimator implements GradientEstimator {

    private final GradientEstimator delegate;
    private final SparkBackend backend;

    ReplayEstimator(GradientEstimator delegate, SparkBackend backend) {
        this.delegate = delegate;
        this.backend = backend;
    }

    @Override
    public EstimatorCost cost() {
        return delegate.cost();
    }

    @Override
    public boolean independentPerPoint() {
        return delegate.independentPerPoint();
    }

    @Override
    public EstimationStep begin(StepContext context) {
        SparkEvaluator evaluator = backend.trainEvaluator();
        if (evaluator != null) {
            evaluator.stepBegins(context.step(), context.theta());
        }
        EstimationStep step = delegate.begin(context);
        return new EstimationStep() {
            @Override
            public void run(int[] draws, boolean includeInEstimate) {
                step.run(draws, includeInEstimate);
            }

            @Override
            public double[] proxies() {
                return step.proxies();
            }

            @Override
            public GradientEstimate finish() {
                return offer(step.finish());
            }

            @Override
            public GradientEstimate runLastRoundAndFinish(int[] lastRoundDraws) {
                return offer(step.runLastRoundAndFinish(lastRoundDraws));
            }

            private GradientEstimate offer(GradientEstimate e) {
                if (evaluator != null) {
                    evaluator.offer(e);
                }
                return e;
            }
        };
    }

    @Override
    public Map<String, double[]> saveState() {
        return delegate.saveState();
    }

    @Override
    public void restoreState(Map<String, double[]> state) {
        delegate.restoreState(state);
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
