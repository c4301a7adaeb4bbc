package org.forward4j.backend.reference;

import java.util.Set;
import org.forward4j.backend.Backend;
import org.forward4j.backend.spi.BackendCapability;
import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.plugin.Settings;

/**
 * The {@code reference} backend: every query evaluated row by row in plain Java by
 * {@link ReferenceQueryEvaluator}. Orders of magnitude slower than {@code cpu}, but exact, with no native library
 * and on any platform the JDK runs on; the engine's own tests train with it, and it is the yardstick the batched
 * backends are tested against.
 */
public final class ReferenceBackendProvider implements BackendProvider {

    /** The backend's name. */
    public static final String NAME = "reference";

    /** Creates the provider (nothing heavy: ServiceLoader calls it during discovery). */
    public ReferenceBackendProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String description() {
        return "plain Java, row by row: exact and portable, slow (tests, machines without the cpu backend)";
    }

    @Override
    public Set<BackendCapability> capabilities() {
        return Set.of(BackendCapability.BLACK_BOX, BackendCapability.ACTIVATION_NOISE);
    }

    @Override
    public Availability availability() {
        return new Availability(true, false, "plain Java on " + System.getProperty("os.arch"));
    }

    @Override
    public void validate(Settings settings) {
        settings.reader("backend '" + NAME + "'").finish();
    }

    @Override
    public Backend create(Settings settings) {
        validate(settings);
        return new Backend() {
            @Override
            public String device() {
                return "plain Java (reference)";
            }

            @Override
            public QueryEvaluator evaluator(Objective objective) {
                return new ReferenceQueryEvaluator(objective);
            }
        };
    }
}
