package org.forward4j.backend.spi;

import org.forward4j.backend.Backend;
import org.forward4j.plugin.PluginProvider;

/**
 * Discoverable factory of a {@link Backend}; register implementations in
 * {@code META-INF/services/org.forward4j.backend.spi.BackendProvider}.
 */
public interface BackendProvider extends PluginProvider<Backend> {

    /** The backend SPI version this engine implements. */
    int SPI_VERSION = 1;

    /**
     * Whether the backend can run here, checked cheaply and without throwing.
     *
     * @return availability and the reason
     */
    Availability availability();

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
