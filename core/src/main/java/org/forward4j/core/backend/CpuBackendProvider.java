package org.forward4j.core.backend;

import org.forward4j.backend.Backend;
import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.plugin.Settings;

/**
 * Provides {@code cpu}: the ND4J reference backend. Network plans run as batched GEMMs (OpenBLAS); black-box
 * objectives are called directly. Setting {@code chunk-rows} (default 4096) bounds the rows in flight per GEMM.
 */
public final class CpuBackendProvider implements BackendProvider {

    /** Creates the provider; ServiceLoader needs this constructor. */
    public CpuBackendProvider() {
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String description() {
        return "ND4J on the CPU (the reference backend)";
    }

    @Override
    public Availability availability() {
        return new Availability(true, false, "ND4J native CPU backend, " + Runtime.getRuntime().availableProcessors()
                + " cores");
    }

    @Override
    public Backend create(Settings settings) {
        Settings.Reader r = settings.reader("backend 'cpu'");
        int chunk = r.intValue("chunk-rows", 4096, 1, 1 << 20);
        r.finish();
        Nd4jSetup.init();
        return new Backend() {
            @Override
            public String device() {
                return "cpu (ND4J, " + Runtime.getRuntime().availableProcessors() + " cores)";
            }

            @Override
            public QueryEvaluator evaluator(Objective objective) {
                if (objective instanceof NetworkObjective net) {
                    return new CpuNetworkEvaluator(net, chunk);
                }
                return new CpuObjectiveEvaluator(objective);
            }
        };
    }
}
