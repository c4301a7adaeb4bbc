package org.forward4j.backend.opencl;

import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.plugin.Settings;
import org.forward4j.tck.BackendContractTest;

/**
 * The tck's backend contract for {@code opencl} (on PoCL in CI), with 5-row chunks so that every plan of the
 * comparisons spans several kernel launches. Skipped, with the reason, where no OpenCL device exists.
 */
class OpenClBackendContractTest extends BackendContractTest {
    @Override
    protected BackendProvider provider() {
        return new OpenClBackendProvider();
    }

    @Override
    protected Settings settings() {
        return Settings.of("chunk-rows", "5");
    }
}
