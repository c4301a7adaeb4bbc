package org.forward4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.forward4j.allocator.UniformQueryAllocatorProvider;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.core.Forward4j;
import org.forward4j.core.model.Mlp;
import org.forward4j.core.train.TrainingResult;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.DuplicateProviderException;
import org.forward4j.plugin.ProviderNotFoundException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What users see when the plugins on the classpath do not fit together, checked in this JVM with a class loader
 * over generated plugin directories: a name nobody provides, two providers with one name, a provider whose
 * constructor throws, and one built for another SPI version. In every case the other plugins keep working.
 */
class ClasspathCombinationsTest {

    /** An engine that sees only the given plugin directories besides the test classpath (no env, no -D). */
    private static Forward4j.Builder engine(Path... pluginDirs) throws Exception {
        return Forward4j.builder().environment(Map.of()).systemProperties(new Properties())
                .classLoader(ScenarioProviders.loader(pluginDirs))
                .set("batch-size", "8").set("epochs", "1").set("queries-per-point", "4").set("progress", "false");
    }

    /** One epoch of 4 steps on a tiny tanh network: proof that the selected plugins train. */
    private static TrainingResult trainTiny(Forward4j f4j) {
        DenseNetwork net = new DenseNetwork(new int[] {4, 5, 3}, Activation.TANH);
        int n = 32;
        float[] x = new float[n * 4];
        new NoiseStream(7, 0, 0, 0).fill(NoiseStream.Distribution.GAUSSIAN, x, 0, x.length, 0);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
        }
        NetworkObjective data = Networks.objective(net, x, y);
        return f4j.trainer(data, data, Mlp.initialParameters(net, 1)).fit();
    }

    @Test
    void aNameNobodyProvidesListsTheAvailableOnesAndTheFix() throws Exception {
        assertThatThrownBy(() -> engine().set("allocator", "loss-proportional").build())
                .isInstanceOf(ProviderNotFoundException.class)
                .hasMessage("No allocator named 'loss-proportional'. Available: [neyman, optimal, uniform]. Add the "
                        + "jar that provides it or fix forward4j.allocator.");
    }

    @Test
    void twoProvidersWithOneNameAreRejectedNamingBothButOtherNamesStillTrain(@TempDir Path dir) throws Exception {
        Path shadow = ScenarioProviders.register(dir, QueryAllocatorProvider.class,
                ScenarioProviders.ShadowUniformAllocatorProvider.class.getName());
        assertThatThrownBy(() -> engine(shadow).set("allocator", "uniform").build())
                .isInstanceOf(DuplicateProviderException.class)
                .hasMessageStartingWith("Two or more allocator providers are named 'uniform': ")
                .hasMessageContaining(UniformQueryAllocatorProvider.class.getName() + " ("
                        + ScenarioProviders.location(UniformQueryAllocatorProvider.class) + ")")
                .hasMessageContaining(" and " + ScenarioProviders.ShadowUniformAllocatorProvider.class.getName()
                        + " (" + ScenarioProviders.location(ScenarioProviders.ShadowUniformAllocatorProvider.class)
                        + ")")
                .hasMessageEndingWith("Remove one of the jars from the classpath.");

        Forward4j f4j = engine(shadow).set("allocator", "neyman").set("estimator", "spsa")
                .set("estimator.directions", "per-point").build();
        assertThat(f4j.discoveryProblems()).singleElement().asString()
                .startsWith("Two or more allocator providers are named 'uniform'");
        TrainingResult r = trainTiny(f4j);
        assertThat(r.steps()).isEqualTo(4);
        assertThat(r.trainingQueries()).isEqualTo(4L * 8 * 4);
        assertThat(r.provenance()).containsEntry("allocator", "neyman");
    }

    @Test
    void aProviderWhoseConstructorThrowsIsReportedAndTheRestTrain(@TempDir Path dir) throws Exception {
        Path broken = ScenarioProviders.register(dir, QueryAllocatorProvider.class,
                ScenarioProviders.ThrowingAllocatorProvider.class.getName(), "org.example.MissingProvider");
        Forward4j f4j = engine(broken).set("allocator", "optimal").set("estimator", "lr").build();
        assertThat(f4j.discoveryProblems()).anySatisfy(p -> assertThat(p)
                .startsWith("Skipped allocator provider " + ScenarioProviders.ThrowingAllocatorProvider.class.getName()
                        + " from " + ScenarioProviders.location(ScenarioProviders.ThrowingAllocatorProvider.class)
                        + ": its constructor failed: ")
                .contains("boom: a dependency of this plugin is missing"));
        assertThat(f4j.discoveryProblems()).anySatisfy(p -> assertThat(p)
                .contains("allocator provider that could not be loaded").contains("org.example.MissingProvider"));
        assertThat(f4j.available().get("allocator")).containsOnlyKeys("neyman", "optimal", "uniform");
        TrainingResult r = trainTiny(f4j);
        assertThat(r.steps()).isEqualTo(4);
        assertThat(r.provenance()).containsEntry("allocator", "optimal").containsEntry("estimator", "lr");

        assertThatThrownBy(() -> engine(broken).set("allocator", "throwing").build())
                .isInstanceOf(ProviderNotFoundException.class)
                .hasMessageStartingWith("No allocator named 'throwing'. Available: [neyman, optimal, uniform].")
                .hasMessageContaining("boom: a dependency of this plugin is missing");
    }

    @Test
    void aProviderForAnotherSpiVersionIsSkippedWithTheVersionsInTheMessage(@TempDir Path dir) throws Exception {
        Path future = ScenarioProviders.register(dir, GradientEstimatorProvider.class,
                ScenarioProviders.FutureEstimatorProvider.class.getName());
        String expected = "Skipped estimator 'future-estimator' ("
                + ScenarioProviders.FutureEstimatorProvider.class.getName() + " from "
                + ScenarioProviders.location(ScenarioProviders.FutureEstimatorProvider.class) + "): it implements "
                + "estimator SPI version " + (GradientEstimatorProvider.SPI_VERSION + 1) + " but this engine implements "
                + "version " + GradientEstimatorProvider.SPI_VERSION + "; use a build of the plugin for this "
                + "forward4j version";
        Forward4j f4j = engine(future).set("estimator", "rge").build();
        assertThat(f4j.discoveryProblems()).containsExactly(expected);
        assertThat(f4j.available().get("estimator")).doesNotContainKey("future-estimator");
        assertThat(trainTiny(f4j).provenance()).containsEntry("estimator", "rge");

        assertThatThrownBy(() -> engine(future).set("estimator", "future-estimator").build())
                .isInstanceOf(ProviderNotFoundException.class)
                .hasMessageStartingWith("No estimator named 'future-estimator'. Available: [lr, rge, spsa].")
                .hasMessageContaining(expected);
    }
}
