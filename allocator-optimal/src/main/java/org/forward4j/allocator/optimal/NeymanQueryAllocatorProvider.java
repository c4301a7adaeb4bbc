package org.forward4j.allocator.optimal;

import java.util.Set;
import org.forward4j.allocator.QueryAllocator;
import org.forward4j.allocator.spi.AllocatorCapability;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.plugin.Settings;

/**
 * Provides {@code neyman}: the closed-form allocation of docs/method.md §3.1 with sigma_i estimated per data point
 * from its previous statistics (docs/method.md §3.3): {@code A_i ∝ sigma_i}, {@code sigma_i = sqrt(EMA of v_i)}.
 *
 * <p>Settings (all optional):
 * <ul>
 *   <li>{@code decay} (default 0.5, in [0, 1)): weight of the remembered variance when a point is seen again,
 *       {@code ema <- decay * ema + (1 - decay) * v}; 0 keeps only the latest visit;</li>
 *   <li>{@code floor} (default 0.1, in [0, 1]): no point's sigma is taken below {@code floor} times the batch's
 *       mean sigma, so a point whose variance was once measured near zero is not starved.</li>
 * </ul>
 * Points never observed get the mean sigma of the batch's observed points; when no point of the batch has been
 * observed, the proxies are used as sigma if they are all positive (a loss; docs/method.md §3.2's premise that noise
 * grows with the loss), otherwise the allocation is uniform.
 * Learned state for checkpoints: {@code point-ids} and {@code variance-ema}, one entry per observed point.
 */
public final class NeymanQueryAllocatorProvider implements QueryAllocatorProvider {

    /** Default decay of the per-point variance average. */
    public static final double DEFAULT_DECAY = 0.5;
    /** Default floor, as a fraction of the batch's mean sigma. */
    public static final double DEFAULT_FLOOR = 0.1;

    /** Creates the provider; ServiceLoader needs this constructor. */
    public NeymanQueryAllocatorProvider() {
    }

    @Override
    public String name() {
        return "neyman";
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String description() {
        return "Neyman allocation A_i ∝ sigma_i from each point's moving-average variance (docs/method.md §3.3)";
    }

    @Override
    public Set<AllocatorCapability> capabilities() {
        return Set.of(AllocatorCapability.LEARNS_FROM_STATISTICS);
    }

    @Override
    public QueryAllocator create(Settings settings) {
        Settings.Reader r = settings.reader("allocator 'neyman'");
        double decay = r.doubleValue("decay", DEFAULT_DECAY, 0.0, 1.0);
        r.check(decay < 1, "decay=" + settings.raw("decay").orElse("") + " would never update a point's "
                + "variance; use a number in [0, 1), such as " + DEFAULT_DECAY);
        double floor = r.doubleValue("floor", DEFAULT_FLOOR, 0.0, 1.0);
        r.finish();
        return new NeymanQueryAllocator(decay, floor);
    }
}
