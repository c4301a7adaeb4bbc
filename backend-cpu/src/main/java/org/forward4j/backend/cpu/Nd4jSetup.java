package org.forward4j.backend.cpu;

import org.forward4j.plugin.BackendUnavailableException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** One-time ND4J configuration: float32 defaults, single-threaded BLAS. Failure to load the native library is reported clearly. */
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
            // One BLAS/OpenMP thread per call: multi-threaded BLAS changes results with the thread count, so
            // forward4j parallelises over fixed row chunks itself (see Parallel) and stays bit-reproducible.
            Nd4j.factory().blas().setMaxThreads(1);
            Nd4j.getEnvironment().setMaxThreads(1);
            Nd4j.getEnvironment().setMaxMasterThreads(1);
        } catch (RuntimeException | LinkageError e) {
            throw new BackendUnavailableException("ND4J's native CPU backend failed to load (" + e
                    + "); forward4j ships nd4j-native for linux-x86_64 only", e);
        }
        done = true;
    }
}
