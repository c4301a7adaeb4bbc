package org.forward4j.tck;

import org.forward4j.backend.Backend;
import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.plugin.BackendUnavailableException;
import org.forward4j.plugin.Settings;

/** A known-good backend whose device never exists: the contract's availability checks on the unavailable side. */
public final class UnavailableBackendProvider implements BackendProvider {

    /** Creates the provider. */
    public UnavailableBackendProvider() {
    }

    @Override
    public String name() {
        return "tck-sample-unavailable";
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public Availability availability() {
        return new Availability(false, true, "no such device on this machine; install one or use cpu");
    }

    @Override
    public Backend create(Settings settings) {
        settings.reader("backend 'tck-sample-unavailable'").finish();
        throw new BackendUnavailableException("Backend 'tck-sample-unavailable' cannot run here: "
                + availability().detail());
    }
}
