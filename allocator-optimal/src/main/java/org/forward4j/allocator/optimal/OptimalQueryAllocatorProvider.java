package org.forward4j.allocator.optimal;

import java.util.Set;
import org.forward4j.allocator.QueryAllocator;
import org.forward4j.allocator.spi.AllocatorCapability;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.plugin.Settings;

/**
 * Provides {@code optimal}: this project's four-parameter reading of the FLOPS paper's reparameterised allocation
 * (docs/method.md §3.2; the paper's released code has no learned allocator), which samples allocations
 * from a Gaussian over the batch with four learned scalars Phi = (a, b, log s, log l) and learns Phi online from
 * the per-point variances the estimator reports.
 *
 * <p>Settings (all optional):
 * <ul>
 *   <li>{@code beta} (default 0.1, positive): learning rate of the score-function step on Phi;</li>
 *   <li>{@code jitter} (default 1e-3, positive): added to the diagonal of the covariance K; it floors the
 *       exploration noise of the sampled allocation;</li>
 *   <li>{@code initial-a} (default 0), {@code initial-b} (default 1), {@code initial-log-s} (default -1.5, in
 *       [-10, 5]), {@code initial-log-l} (default 0, in [-10, 10]): the starting Phi; the defaults start near
 *       uniform, so the first steps are no worse than uniform.</li>
 * </ul>
 * Learned state for checkpoints: {@code phi} (4 values) and {@code baseline} (1 value).
 */
public final class OptimalQueryAllocatorProvider implements QueryAllocatorProvider {

    /** Default learning rate beta. */
    public static final double DEFAULT_BETA = 0.1;
    /** Default jitter on the diagonal of K. */
    public static final double DEFAULT_JITTER = 1e-3;

    /** Creates the provider; ServiceLoader needs this constructor. */
    public OptimalQueryAllocatorProvider() {
    }

    @Override
    public String name() {
        return "optimal";
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String description() {
        return "learned allocation after FLOPS (this project's four-parameter reading of the paper, docs/method.md "
                + "§3.2): a Gaussian over the batch whose four scalars learn from per-point variances";
    }

    @Override
    public Set<AllocatorCapability> capabilities() {
        return Set.of(AllocatorCapability.LEARNS_FROM_STATISTICS);
    }

    @Override
    public QueryAllocator create(Settings settings) {
        Settings.Reader r = settings.reader("allocator 'optimal'");
        double beta = r.doubleValue("beta", DEFAULT_BETA, -Double.MAX_VALUE, Double.MAX_VALUE);
        r.check(beta > 0, "beta=" + settings.raw("beta").orElse("") + " must be positive; use a learning rate "
                + "such as " + DEFAULT_BETA);
        double jitter = r.doubleValue("jitter", DEFAULT_JITTER, -Double.MAX_VALUE, Double.MAX_VALUE);
        r.check(jitter > 0, "jitter=" + settings.raw("jitter").orElse("") + " must be positive; use a small "
                + "value such as " + DEFAULT_JITTER);
        double a = r.doubleValue("initial-a", 0.0, -1e6, 1e6);
        double b = r.doubleValue("initial-b", 1.0, -1e6, 1e6);
        double logS = r.doubleValue("initial-log-s", -1.5, OptimalQueryAllocator.LOG_S_MIN,
                OptimalQueryAllocator.LOG_S_MAX);
        double logL = r.doubleValue("initial-log-l", 0.0, OptimalQueryAllocator.LOG_L_MIN,
                OptimalQueryAllocator.LOG_L_MAX);
        r.finish();
        return new OptimalQueryAllocator(beta, jitter, new double[] {a, b, logS, logL});
    }
}
