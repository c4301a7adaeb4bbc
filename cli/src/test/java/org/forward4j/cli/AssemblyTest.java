package org.forward4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.MapBinder;
import java.util.Map;
import java.util.Properties;
import org.forward4j.allocator.Allocations;
import org.forward4j.allocator.QueryAllocator;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.core.Forward4j;
import org.forward4j.estimator.Objective;
import org.forward4j.plugin.BackendUnavailableException;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.ProviderNotFoundException;
import org.forward4j.plugin.Settings;
import org.forward4j.plugin.UnsupportedCapabilityException;
import org.junit.jupiter.api.Test;

/** Discovery, selection and validation through the public facade, with every built-in plugin on the classpath. */
class AssemblyTest {

    private static Forward4j.Builder clean() {
        return Forward4j.builder().environment(Map.of()).systemProperties(new Properties());
    }

    @Test
    void allBuiltInPluginsAreDiscovered() {
        Forward4j f = clean().build();
        assertThat(f.available().get("allocator")).containsKeys("uniform", "neyman", "optimal");
        assertThat(f.available().get("estimator")).containsKeys("spsa", "rge", "lr");
        assertThat(f.available().get("backend")).containsKey("cpu");
        assertThat(f.discoveryProblems()).isEmpty();
    }

    @Test
    void unknownAllocatorNamesTheAvailableOnesAndTheKey() {
        assertThatThrownBy(() -> clean().set("allocator", "optimall").build())
                .isInstanceOf(ProviderNotFoundException.class)
                .hasMessage("No allocator named 'optimall' (did you mean 'optimal'?). Available: [neyman, optimal, uniform]. "
                        + "Add the jar that provides it or fix forward4j.allocator.");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        assertThatThrownBy(() -> clean().set("allocator", "nope").set("estimator", "spsaa").set("backend", "tpu")
                .build()).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("The configuration has 3 problems:")
                .hasMessageContaining("No allocator named 'nope'")
                .hasMessageContaining("No estimator named 'spsaa' (did you mean 'spsa'?). Available: [lr, rge, spsa]")
                .hasMessageContaining("No backend named 'tpu'");
    }

    @Test
    void invalidTrainingAndPluginSettingsAreReportedTogether() {
        assertThatThrownBy(() -> clean().set("epochs", "-1").set("batch-size", "abc").set("epoch", "3").build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("epochs=-1 is out of range")
                .hasMessageContaining("batch-size=abc is not an integer")
                .hasMessageContaining("unknown setting 'epoch'");
        assertThatThrownBy(() -> clean().set("allocator", "optimal").set("allocator.beta", "-1")
                .set("allocator.bta", "1").build()).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("beta=-1").hasMessageContaining("unknown setting 'bta'");
    }

    @Test
    void autoBackendFallsBackToCpuAndAnUnknownOrUnavailableBackendIsReported() {
        assertThat(clean().set("backend", "auto").build().backendName()).isIn("cpu", "opencl");
        Forward4j f = clean().build();
        if (f.available().get("backend").containsKey("opencl")
                && f.available().get("backend").get("opencl").contains("unavailable")) {
            assertThatThrownBy(() -> clean().set("backend", "opencl").build())
                    .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("Backend 'opencl' is not "
                            + "available here");
        }
    }

    @Test
    void selectionFollowsThePrecedenceOfSources() {
        Properties sys = new Properties();
        sys.setProperty("forward4j.allocator", "neyman");
        Forward4j f = Forward4j.builder().environment(Map.of("FORWARD4J_ALLOCATOR", "optimal",
                "FORWARD4J_ESTIMATOR", "rge")).systemProperties(sys).build();
        assertThat(f.training().allocator()).isEqualTo("neyman");
        assertThat(f.training().estimator()).isEqualTo("rge");
        assertThat(Forward4j.builder().environment(Map.of("FORWARD4J_ALLOCATOR", "optimal")).systemProperties(sys)
                .set("allocator", "uniform").build().training().allocator()).isEqualTo("uniform");
    }

    /** An allocator added by an application's Guice module, without any ServiceLoader file. */
    static final class ModuleAllocatorProvider implements QueryAllocatorProvider {
        @Override
        public String name() {
            return "from-module";
        }

        @Override
        public int spiVersion() {
            return SPI_VERSION;
        }

        @Override
        public QueryAllocator create(Settings settings) {
            return Allocations::uniform;
        }
    }

    @Test
    void guiceModulesCanAddProvidersThroughTheMapBinder() {
        Forward4j f = clean().set("allocator", "from-module").module(new AbstractModule() {
            @Override
            protected void configure() {
                MapBinder.newMapBinder(binder(), String.class, QueryAllocatorProvider.class)
                        .addBinding("from-module").to(ModuleAllocatorProvider.class);
            }
        }).build();
        assertThat(f.newAllocator()).isNotNull();
        assertThat(f.available().get("allocator")).containsKey("from-module");
    }

    @Test
    void lrOnABlackBoxObjectiveFailsWithTheDocumentedError() {
        Objective blackBox = new Objective() {
            @Override
            public int dimension() {
                return 2;
            }

            @Override
            public int size() {
                return 4;
            }

            @Override
            public void losses(float[] p, int[] rows, double[] out) {
                java.util.Arrays.fill(out, p[0] * p[0]);
            }

            @Override
            public String toString() {
                return "my-objective";
            }
        };
        Forward4j f = clean().set("estimator", "lr").set("batch-size", "2").build();
        assertThatThrownBy(() -> f.trainer(blackBox, null, new float[2]))
                .isInstanceOf(UnsupportedCapabilityException.class)
                .hasMessageContaining("Estimator 'lr' needs a native network objective")
                .hasMessageContaining("my-objective is a black box");
    }

    @Test
    void aBudgetThatDoesNotFitTheEstimatorIsExplained() {
        Objective o = new Objective() {
            @Override
            public int dimension() {
                return 2;
            }

            @Override
            public int size() {
                return 8;
            }

            @Override
            public void losses(float[] p, int[] rows, double[] out) {
                java.util.Arrays.fill(out, 1.0);
            }
        };
        Forward4j f = clean().set("estimator", "spsa").set("queries-per-point", "15").set("batch-size", "3").build();
        assertThatThrownBy(() -> f.trainer(o, null, new float[2])).isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("queries-per-point=15 x batch-size=3 = 45 queries per batch does not fit estimator "
                        + "'spsa': each point costs 0 fixed queries and each draw 2, so 45 - 3 x 0 must be a multiple "
                        + "of 2 giving at least one draw per point; use for example queries-per-point=16");
    }
}
