package org.forward4j.backend.cpu;

import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.plugin.Settings;
import org.forward4j.tck.BackendContractTest;

/**
 * The tck's backend contract for {@code cpu}, with 3-row chunks so that every plan of the comparisons spans several
 * chunks and parallel tasks.
 */
class CpuBackendContractTest extends BackendContractTest {
    @Override
    protected BackendProvider provider() {
        return new CpuBackendProvider();
    }

    @Override
    protected Settings settings() {
        return Settings.of("chunk-rows", "3", "threads", "2");
    }
}
