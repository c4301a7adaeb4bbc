package org.forward4j.estimator;

/**
 * How estimators evaluate and assemble in one go: through the backend's {@link StreamingQueryEvaluator} when it
 * implements one, else by evaluating the whole plan and assembling afterwards (same result up to float summation
 * order, memory of the whole plan, directions generated twice).
 */
public final class Streaming {

    private Streaming() {
    }

    /**
     * {@link StreamingQueryEvaluator#evaluateAndAssemble} on any evaluator.
     *
     * @param evaluator the evaluator
     * @param theta the current parameters (read-only)
     * @param plan the queries
     * @param groupEnds exclusive end row of each group (see {@link ActivationPlan#checkGroups})
     * @param weigher gives each group's rows their weights
     * @param gradient updated in place
     * @param noiseEnergy whether to return each query's noise energy
     * @return losses, weights and (if asked) noise energies
     */
    public static ActivationResult evaluateAndAssemble(QueryEvaluator evaluator, float[] theta, ActivationPlan plan,
            int[] groupEnds, RowWeigher weigher, float[] gradient, boolean noiseEnergy) {
        if (evaluator instanceof StreamingQueryEvaluator streaming) {
            return streaming.evaluateAndAssemble(theta, plan, groupEnds, weigher, gradient, noiseEnergy);
        }
        plan.checkGroups(groupEnds);
        try (ActivationPass pass = evaluator.evaluate(theta, plan)) {
            double[] losses = pass.losses();
            double[] weights = new double[losses.length];
            int from = 0;
            for (int end : groupEnds) {
                weigher.weigh(from, end, losses, weights);
                from = end;
            }
            pass.accumulateGradient(weights, gradient);
            return new ActivationResult(losses, weights, noiseEnergy ? pass.noiseEnergy() : null);
        }
    }

    /**
     * {@link StreamingQueryEvaluator#evaluateAndCombine} on any evaluator.
     *
     * @param evaluator the evaluator
     * @param theta the current parameters (read-only)
     * @param plan the queries
     * @param weigher gives each direction run its coefficient
     * @param gradient updated in place
     * @return the losses as from {@link QueryEvaluator#evaluate(float[], WeightPlan)}
     */
    public static double[][] evaluateAndCombine(QueryEvaluator evaluator, float[] theta, WeightPlan plan,
            DirectionWeigher weigher, float[] gradient) {
        if (evaluator instanceof StreamingQueryEvaluator streaming) {
            return streaming.evaluateAndCombine(theta, plan, weigher, gradient);
        }
        double[][] losses = evaluator.evaluate(theta, plan);
        for (WeightPlan.Run run : plan.directionRuns()) {
            double c = run.perturbs() ? weigher.weight(run.from(), run.to(), losses) : 0.0;
            if (c != 0.0) {
                plan.stream(run.direction()).addScaled(plan.distribution(), gradient, 0, gradient.length, 0,
                        (float) c);
            }
        }
        return losses;
    }
}
