package com.example.forward4j;

import org.forward4j.allocator.QueryAllocator;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.plugin.Settings;

/**
 * Provides {@code loss-proportional}: each point gets draws in proportion to its proxy (its loss) raised to a
 * power, {@code A_i ∝ max(lambda_i, 0)^exponent}, integerised by the engine's shared rule.
 *
 * <p>Setting (optional): {@code exponent}, a number in [0, 4], default 1; 0 is the uniform allocation.
 */
public final class LossProportionalAllocatorProvider implements QueryAllocatorProvider {

    /** Creates the provider; ServiceLoader needs this public no-arg constructor. */
    public LossProportionalAllocatorProvider() {
    }

    @Override
    public String name() {
        return "loss-proportional";
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String description() {
        return "draws proportional to each point's loss (example third-party plugin)";
    }

    @Override
    public QueryAllocator create(Settings settings) {
        Settings.Reader reader = settings.reader("allocator 'loss-proportional'");
        double exponent = reader.doubleValue("exponent", 1.0, 0.0, 4.0);
        reader.finish(); // reports every bad value and every unknown key at once
        return new LossProportionalAllocator(exponent);
    }
}
