package org.forward4j.core.backend;

import org.forward4j.plugin.BackendUnavailableException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** One-time ND4J configuration: float32 defaults. Failure to load the native library is reported clearly. */
public final class Nd4jSetup {
    private static volatile boolean done;

    private Nd4jSetup() {
    }

    /**
     * Loads ND4J and sets float32 defaults.
     *
     * @throws BackendUnavailableException if the native ND4J backend cannot load on this machine
     */
    public static synchronized void init() {
        if (done) {
            return;
        }
        try {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        } catch (RuntimeException | LinkageError e) {
            throw new BackendUnavailableException("ND4J's native CPU backend failed to load (" + e
                    + "); forward4j ships nd4j-native for linux-x86_64 only", e);
        }
        done = true;
    }
}
