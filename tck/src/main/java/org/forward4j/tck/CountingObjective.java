package org.forward4j.tck;

import java.lang.reflect.Proxy;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.forward4j.estimator.Objective;

/**
 * A pure black box over an objective that counts the rows it evaluates and records the name of every method
 * called on it, to check that code under test asks an {@link Objective} for losses and nothing else (docs/method.md §1:
 * every evaluated row is a query). {@link #objective()} is a dynamic proxy implementing {@link Objective} only, so
 * it can be cast to neither {@link org.forward4j.estimator.NetworkObjective} nor {@link AnalyticObjective}: no
 * gradient or layer is reachable. {@link Fixtures#blackBox(Objective)} is the same proxy without the counts.
 */
public final class CountingObjective {

    private final AtomicLong rows = new AtomicLong();
    private final Set<String> methods = ConcurrentHashMap.newKeySet();
    private final Objective objective;

    /**
     * Wraps an objective.
     *
     * @param delegate the objective that really computes the losses
     */
    public CountingObjective(Objective delegate) {
        Objects.requireNonNull(delegate, "delegate");
        this.objective = (Objective) Proxy.newProxyInstance(Objective.class.getClassLoader(),
                new Class<?>[] {Objective.class}, (proxy, method, args) -> {
                    methods.add(method.getName());
                    return switch (method.getName()) {
                        case "dimension" -> delegate.dimension();
                        case "size" -> delegate.size();
                        case "losses" -> {
                            rows.addAndGet(((int[]) args[1]).length);
                            delegate.losses((float[]) args[0], (int[]) args[1], (double[]) args[2]);
                            yield null;
                        }
                        case "toString" -> "black box over " + delegate;
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> throw new UnsupportedOperationException(method.toString());
                    };
                });
    }

    /**
     * The black box to hand to the code under test.
     *
     * @return the counting proxy (the same instance every time)
     */
    public Objective objective() {
        return objective;
    }

    /**
     * Rows evaluated through {@link Objective#losses}, summed over all calls.
     *
     * @return the count since creation
     */
    public long rows() {
        return rows.get();
    }

    /**
     * The names of the methods called on {@link #objective()} so far, {@code Object} methods included (a
     * well-behaved estimator calls {@code losses}, {@code dimension} and {@code size} only).
     *
     * @return a snapshot
     */
    public Set<String> methods() {
        return Set.copyOf(methods);
    }
}
