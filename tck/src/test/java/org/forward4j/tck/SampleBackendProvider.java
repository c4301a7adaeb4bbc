package org.forward4j.tck;

import org.forward4j.backend.Backend;
import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.plugin.BackendUnavailableException;
import org.forward4j.plugin.Settings;

/** Known-good sample backends for the tck's own tests: one delegating to the reference, one never available. */
public final class SampleBackendProvider implements BackendProvider {

    /** Creates the provider. */
    public SampleBackendProvider() {
    }

    @Override
    public String name() {
        return "tck-sample-reference";
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public Availability availability() {
        return new Availability(true, false, "plain Java");
    }

    @Override
    public Backend create(Settings settings) {
        settings.reader("backend 'tck-sample-reference'").finish();
        return new Backend() {
            @Override
            public String device() {
                return "plain Java";
            }

            @Override
            public QueryEvaluator evaluator(Objective objective) {
                return new ReferenceQueryEvaluator(objective);
            }
        };
    }

    /** A backend whose device never exists. */
    public static final class Unavailable implements BackendProvider {

        /** Creates the provider. */
        public Unavailable() {
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
}
