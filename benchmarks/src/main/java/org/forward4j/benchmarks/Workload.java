package org.forward4j.benchmarks;

/**
 * The fixed workload of the throughput benchmarks: a batch of {@value #BATCH} MNIST rows and {@value
 * #QUERIES_PER_POINT} queries per point, so every estimator step spends {@value #QUERIES_PER_STEP} queries (the
 * constant JMH's {@code @OperationsPerInvocation} needs to report queries per second).
 */
public final class Workload {

    /** Points per mini-batch. */
    public static final int BATCH = 64;

    /** Query budget per point and step. */
    public static final int QUERIES_PER_POINT = 16;

    /** Queries per step: B times the per-point budget. */
    public static final int QUERIES_PER_STEP = BATCH * QUERIES_PER_POINT;

    /** Seed of parameters, batch and noise. */
    public static final long SEED = 1;

    private Workload() {
    }

    /**
     * The backend's worker threads for a benchmark parameter.
     *
     * @param param the {@code threads} parameter; 0 or less means one per core
     * @return the thread count
     */
    public static int threads(int param) {
        return param > 0 ? param : Runtime.getRuntime().availableProcessors();
    }
}
