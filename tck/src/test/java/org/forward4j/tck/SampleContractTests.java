package org.forward4j.tck;

import org.forward4j.allocator.UniformQueryAllocatorProvider;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.backend.reference.ReferenceBackendProvider;
import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.junit.jupiter.api.Nested;

/** The contract tests pass on known-good plugins, each a three-line subclass as a plugin author writes it. */
class SampleContractTests {

    @Nested
    class Uniform extends AllocatorContractTest {
        @Override
        protected QueryAllocatorProvider provider() {
            return new UniformQueryAllocatorProvider();
        }
    }

    @Nested
    class SampleSpsa extends EstimatorContractTest {
        @Override
        protected GradientEstimatorProvider provider() {
            return new SampleSpsaProvider();
        }
    }

    @Nested
    class ReferenceBackend extends BackendContractTest {
        @Override
        protected BackendProvider provider() {
            return new ReferenceBackendProvider();
        }
    }

    @Nested
    class UnavailableBackend extends BackendContractTest {
        @Override
        protected BackendProvider provider() {
            return new UnavailableBackendProvider();
        }
    }
}
