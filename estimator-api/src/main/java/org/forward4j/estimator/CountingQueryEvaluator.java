package org.forward4j.estimator;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link QueryEvaluator} that counts every query it runs (docs/method.md §1: every query is counted, always).
 * The trainer wraps its backend's evaluator in one and checks each step's count against the budget; plugin tests
 * (and the tck) use the same class to check what an estimator ran.
 *
 * <p>Besides the count it keeps what a test wants to look at: the plans evaluated since the last {@link #reset()},
 * the first non-finite loss (so the trainer can name the point and the query), the activation passes still open
 * (an estimator must close each), and rows evaluated behind its back: {@link #objective()} is not the wrapped
 * objective but a guard of the same type ({@link Objective}, {@link NetworkObjective} or
 * {@link org.forward4j.estimator.graph.GraphObjective}) whose
 * {@link Objective#losses} records the call in {@link #directRows()}; a well-behaved estimator asks for losses
 * through the evaluator only, otherwise its queries escape the count.
 *
 * <p>It always offers the streaming paths of {@link StreamingQueryEvaluator}: they go to the wrapped evaluator's
 * when it has them and to {@link Streaming}'s fallback otherwise, so wrapping never changes which path an
 * estimator's queries take. Clean evaluations ({@link #evaluateClean}) are not training queries and are not
 * counted. Not thread-safe: one estimator step at a time.
 */
public final class CountingQueryEvaluator implements StreamingQueryEvaluator {

    private final QueryEvaluator delegate;
    private final Objective guard;
    private final AtomicLong directRows = new AtomicLong();
    private final List<WeightPlan> weightPlans = new ArrayList<>();
    private final List<ActivationPlan> activationPlans = new ArrayList<>();
    private long queries;
    private int openPasses;
    private String firstNonFinite;

    /**
     * Wraps an evaluator.
     *
     * @param delegate the evaluator that really runs the plans (a backend's, or a {@link ReferenceQueryEvaluator})
     */
    public CountingQueryEvaluator(QueryEvaluator delegate) {
        this.delegate = delegate;
        this.guard = guard(delegate.objective(), directRows);
    }

    private static Objective guard(Objective objective, AtomicLong direct) {
        if (objective instanceof org.forward4j.estimator.graph.GraphObjective graph) {
            return graph.observed(direct::addAndGet);
        }
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
     * The wrapped evaluator.
     *
     * @return the evaluator that runs the plans
     */
    public QueryEvaluator delegate() {
        return delegate;
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
     * The weight plans evaluated, in order (streamed ones included).
     *
     * @return a copy of the list since creation or the last {@link #reset()}
     */
    public List<WeightPlan> weightPlans() {
        return List.copyOf(weightPlans);
    }

    /**
     * The activation plans evaluated, in order (streamed ones included).
     *
     * @return a copy of the list since creation or the last {@link #reset()}
     */
    public List<ActivationPlan> activationPlans() {
        return List.copyOf(activationPlans);
    }

    /**
     * Activation passes handed out by {@link #evaluate(float[], ActivationPlan)} and not closed yet.
     *
     * @return the number of open passes
     */
    public int openPasses() {
        return openPasses;
    }

    /**
     * Describes the first non-finite loss since the last {@link #reset()}: its value, data row and perturbation.
     *
     * @return the description, or null when every loss was finite
     */
    public String firstNonFinite() {
        return firstNonFinite;
    }

    /** Sets every counter back to zero and forgets the plans (the trainer does this at the start of each step). */
    public void reset() {
        weightPlans.clear();
        activationPlans.clear();
        queries = 0;
        openPasses = 0;
        firstNonFinite = null;
        directRows.set(0);
    }

    @Override
    public Objective objective() {
        return guard;
    }

    @Override
    public double[][] evaluate(float[] theta, WeightPlan plan) {
        double[][] out = delegate.evaluate(theta, plan);
        countWeights(plan, out);
        return out;
    }

    @Override
    public double[][] evaluateAndCombine(float[] theta, WeightPlan plan, DirectionWeigher weigher,
            float[] gradient) {
        double[][] out = Streaming.evaluateAndCombine(delegate, theta, plan, weigher, gradient);
        countWeights(plan, out);
        return out;
    }

    @Override
    public ActivationPass evaluate(float[] theta, ActivationPlan plan) {
        ActivationPass inner = delegate.evaluate(theta, plan);
        // counted once the plan ran: a rejected plan (black box) spent nothing
        countActivations(plan, inner.losses());
        openPasses++;
        return new ActivationPass() {
            private boolean closed;

            @Override
            public double[] losses() {
                return inner.losses();
            }

            @Override
            public void accumulateGradient(double[] rowWeights, float[] gradient) {
                inner.accumulateGradient(rowWeights, gradient);
            }

            @Override
            public double[] noiseEnergy() {
                return inner.noiseEnergy();
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    openPasses--;
                }
                inner.close();
            }
        };
    }

    @Override
    public ActivationResult evaluateAndAssemble(float[] theta, ActivationPlan plan, int[] groupEnds,
            RowWeigher weigher, float[] gradient, boolean noiseEnergy) {
        ActivationResult result = Streaming.evaluateAndAssemble(delegate, theta, plan, groupEnds, weigher, gradient,
                noiseEnergy);
        countActivations(plan, result.losses());
        return result;
    }

    @Override
    public EvaluationMetrics evaluateClean(float[] theta) {
        return delegate.evaluateClean(theta);
    }

    private void countWeights(WeightPlan plan, double[][] losses) {
        queries += plan.queryCount();
        weightPlans.add(plan);
        for (int q = 0; q < losses.length && firstNonFinite == null; q++) {
            for (int k = 0; k < losses[q].length; k++) {
                if (!Double.isFinite(losses[q][k])) {
                    WeightQuery wq = plan.queries().get(q);
                    firstNonFinite = "loss " + losses[q][k] + " for data row " + wq.rows()[k] + " under direction "
                            + wq.direction() + " (scale " + wq.scale() + ")";
                    break;
                }
            }
        }
    }

    private void countActivations(ActivationPlan plan, double[] losses) {
        queries += plan.size();
        activationPlans.add(plan);
        for (int r = 0; r < losses.length && firstNonFinite == null; r++) {
            if (!Double.isFinite(losses[r])) {
                firstNonFinite = "loss " + losses[r] + " for data row " + plan.rows()[r] + " in noise stream "
                        + plan.streams()[r] + (plan.negate()[r] ? " (negated)" : "");
            }
        }
    }

    @Override
    public String toString() {
        return "counting evaluator over " + delegate;
    }
}
