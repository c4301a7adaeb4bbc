package org.forward4j.estimator;

/**
 * A native model whose layer structure is visible: a {@link DenseNetwork} over labelled data (docs/method.md §2, §6).
 * Backends evaluate its queries in batched matrix products, and activation-noise estimators ({@code lr}) can
 * use it. Its {@link #losses} is the per-row softmax cross-entropy.
 */
public interface NetworkObjective extends Objective {

    /**
     * The architecture.
     *
     * @return the network
     */
    DenseNetwork network();

    /**
     * Features, row-major {@code [size(), network().in(0)]}.
     *
     * @return the feature matrix as a flat array (read-only)
     */
    float[] features();

    /**
     * Class labels in {@code [0, network().classes())}.
     *
     * @return one label per row (read-only)
     */
    int[] labels();

    @Override
    default int dimension() {
        return network().dimension();
    }

    @Override
    default int size() {
        return labels().length;
    }
}
