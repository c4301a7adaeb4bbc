package org.forward4j.backend.spi;

import java.util.Set;
import org.forward4j.backend.Backend;
import org.forward4j.plugin.PluginProvider;
import org.forward4j.plugin.Settings;

/**
 * Discoverable factory of a {@link Backend}; register implementations in
 * {@code META-INF/services/org.forward4j.backend.spi.BackendProvider}.
 */
public interface BackendProvider extends PluginProvider<Backend> {

    /** The backend SPI version this engine implements. */
    int SPI_VERSION = 2;

    /**
     * Whether the backend can run here, checked cheaply and without throwing.
     *
     * @return availability and the reason
     */
    Availability availability();

    /**
     * What the backend can evaluate; before training the engine refuses an estimator or objective it cannot serve
     * (for example {@code lr} on a backend without {@link BackendCapability#ACTIVATION_NOISE}). Weight-perturbation
     * plans of network objectives are what every backend runs.
     *
     * @return the declared capabilities (none by default)
     */
    @Override
    default Set<BackendCapability> capabilities() {
        return Set.of();
    }

    /**
     * Checks the settings as {@link #create} would, without starting the backend (no threads, no device, no kernel
     * compilation), so that the engine reports a typo in a backend setting together with every other configuration
     * problem, before any data is loaded. The default checks nothing, leaving it to {@code create}.
     *
     * @param settings the backend's own settings (keys without prefix)
     * @throws org.forward4j.plugin.InvalidConfigurationException listing every invalid or unknown setting
     */
    default void validate(Settings settings) {
    }

    /**
     * Whether a backend can run on this machine, and on what.
     *
     * @param available true if {@link #create} will succeed
     * @param gpu true if it runs on a GPU (the {@code auto} backend prefers those)
     * @param detail the device, or why it is unavailable and how to fix that
     */
    record Availability(boolean available, boolean gpu, String detail) {
    }
}
