package org.forward4j.tck;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.ActivationResult;
import org.forward4j.estimator.DirectionWeigher;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.RowWeigher;
import org.forward4j.estimator.WeightPlan;

/**
 * A {@link QueryEvaluator} that counts every query it runs, the way the engine's trainer does (method.md §1:
 * every query is counted, always), and catches estimators that evaluate the objective behind its back.
 *
 * <p>{@link #objective()} does not return the wrapped objective but a guard with the same type ({@link Objective}
 * or {@link NetworkObjective}) whose {@link Objective#losses} records the call in {@link #directRows()}: an
 * estimator must ask for losses through the evaluator only, otherwise its queries escape the engine's count.
 *
 * <p>It also keeps the {@link WeightPlan}s it evaluated ({@link #weightPlanHistory()}), so that a test can check
 * what a weight-perturbation estimator planned: the directions, scales and rows of every query.
 */
public final class CountingQueryEvaluator implements QueryEvaluator {

    private final QueryEvaluator delegate;
    private final Objective guard;
    private final AtomicLong directRows = new AtomicLong();
    private final List<WeightPlan> weightPlanHistory = new ArrayList<>();
    private long queries;
    private long weightPlans;
    private long activationPlans;

    /**
     * Wraps an evaluator.
     *
     * @param delegate the evaluator that really runs the plans (for example a
     *     {@link org.forward4j.estimator.ReferenceQueryEvaluator})
     */
    public CountingQueryEvaluator(QueryEvaluator delegate) {
        this.delegate = delegate;
        this.guard = guard(delegate.objective(), directRows);
    }

    private static Objective guard(Objective objective, AtomicLong direct) {
        if (objective instanceof NetworkObjective net) {
            return new NetworkObjective() {
                @Override
                public DenseNetwork network() {
                    return net.network();
                }

                @Override
                public float[] features() {
                    return net.features();
                }

                @Override
                public int[] labels() {
                    return net.labels();
                }

                @Override
                public void losses(float[] params, int[] rows, double[] out) {
                    direct.addAndGet(rows.length);
                    net.losses(params, rows, out);
                }

                @Override
                public String toString() {
                    return net.toString();
                }
            };
        }
        return (Objective) Proxy.newProxyInstance(Objective.class.getClassLoader(), new Class<?>[] {Objective.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "dimension" -> objective.dimension();
                    case "size" -> objective.size();
                    case "losses" -> {
                        direct.addAndGet(((int[]) args[1]).length);
                        objective.losses((float[]) args[0], (int[]) args[1], (double[]) args[2]);
                        yield null;
                    }
                    case "toString" -> objective.toString();
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.toString());
                });
    }

    /**
     * Queries run through this evaluator: the rows of every weight query plus every activation-plan entry.
     *
     * @return the count since creation or the last {@link #reset()}
     */
    public long queries() {
        return queries;
    }

    /**
     * Rows evaluated by calling {@link Objective#losses} directly on {@link #objective()}, bypassing the
     * evaluator; a well-behaved estimator leaves this at 0.
     *
     * @return the count since creation or the last {@link #reset()}
     */
    public long directRows() {
        return directRows.get();
    }

    /**
     * Number of weight plans evaluated.
     *
     * @return the count since creation or the last {@link #reset()}
     */
    public long weightPlans() {
        return weightPlans;
    }

    /**
     * Number of activation plans evaluated.
     *
     * @return the count since creation or the last {@link #reset()}
     */
    public long activationPlans() {
        return activationPlans;
    }

    /**
     * The weight plans evaluated, in order.
     *
     * @return a copy of the list since creation or the last {@link #reset()} (a long test that does not look at
     *     the plans may reset now and then: they are kept until then)
     */
    public List<WeightPlan> weightPlanHistory() {
        return List.copyOf(weightPlanHistory);
    }

    /** Sets every counter back to zero and forgets the weight plans. */
    public void reset() {
        weightPlanHistory.clear();
        queries = 0;
        weightPlans = 0;
        activationPlans = 0;
        directRows.set(0);
    }

    @Override
    public Objective objective() {
        return guard;
    }

    @Override
    public double[][] evaluate(float[] theta, WeightPlan plan) {
        queries += plan.queryCount();
        weightPlans++;
        weightPlanHistory.add(plan);
        return delegate.evaluate(theta, plan);
    }

    @Override
    public double[][] evaluateAndCombine(float[] theta, WeightPlan plan, DirectionWeigher weigher,
            float[] gradient) {
        queries += plan.queryCount();
        weightPlans++;
        weightPlanHistory.add(plan);
        return delegate.evaluateAndCombine(theta, plan, weigher, gradient);
    }

    @Override
    public boolean supportsActivationNoise() {
        return delegate.supportsActivationNoise();
    }

    @Override
    public ActivationPass evaluate(float[] theta, ActivationPlan plan) {
        ActivationPass pass = delegate.evaluate(theta, plan);
        // counted only once the plan ran: a rejected plan (black box) spent nothing
        queries += plan.size();
        activationPlans++;
        return pass;
    }

    @Override
    public ActivationResult evaluateAndAssemble(float[] theta, ActivationPlan plan, int[] groupEnds,
            RowWeigher weigher, float[] gradient, boolean noiseEnergy) {
        ActivationResult result = delegate.evaluateAndAssemble(theta, plan, groupEnds, weigher, gradient,
                noiseEnergy);
        queries += plan.size();
        activationPlans++;
        return result;
    }

    @Override
    public String toString() {
        return "counting evaluator over " + delegate;
    }
}
