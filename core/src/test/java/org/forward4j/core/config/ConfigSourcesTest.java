package org.forward4j.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigSourcesTest {

    @Test
    void precedenceIsDefaultsFileEnvSystemPropertiesThenOverrides(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("f.properties");
        Files.writeString(file, "forward4j.allocator=from-file\nforward4j.estimator=from-file\n"
                + "forward4j.backend=from-file\nforward4j.seed=from-file\n");
        Map<String, String> env = Map.of("FORWARD4J_ESTIMATOR", "from-env", "FORWARD4J_BACKEND", "from-env",
                "FORWARD4J_SEED", "from-env", "PATH", "/bin");
        Properties sys = new Properties();
        sys.setProperty("forward4j.backend", "from-sys");
        sys.setProperty("forward4j.seed", "from-sys");
        sys.setProperty("user.home", "/root");
        Settings s = ConfigSources.resolve(Map.of("forward4j.allocator", "default", "forward4j.epochs", "default"),
                file, env, sys, Map.of("forward4j.seed", "from-cli"));
        assertThat(s.asMap()).containsEntry("forward4j.epochs", "default")
                .containsEntry("forward4j.allocator", "from-file")
                .containsEntry("forward4j.estimator", "from-env")
                .containsEntry("forward4j.backend", "from-sys")
                .containsEntry("forward4j.seed", "from-cli")
                .doesNotContainKeys("user.home", "PATH");
    }

    /** The launcher's folder and the cpu backend's JVM-wide kernel switches are system properties, not settings. */
    @Test
    void jvmSwitchesInTheNamespaceAreNotSettings() {
        Properties sys = new Properties();
        sys.setProperty("forward4j.home", "/opt/forward4j");
        sys.setProperty("forward4j.cpu.float-math", "true");
        sys.setProperty("forward4j.cpu.vector-noise", "false");
        sys.setProperty("forward4j.seed", "5");
        Settings s = ConfigSources.resolve(Map.of(), null, Map.of(), sys, Map.of());
        assertThat(s.asMap()).containsEntry("forward4j.seed", "5").doesNotContainKeys("forward4j.home",
                "forward4j.cpu.float-math", "forward4j.cpu.vector-noise");
    }

    @Test
    void environmentNamesMapToKeys() {
        assertThat(ConfigSources.fromEnvironment(Map.of("FORWARD4J_QUERIES_PER_POINT", "8",
                "FORWARD4J_ALLOCATOR__BETA", "0.2"))).containsEntry("forward4j.queries-per-point", "8")
                .containsEntry("forward4j.allocator.beta", "0.2");
    }

    @Test
    void configFileNamedBySystemProperty(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("c.properties");
        Files.writeString(file, "forward4j.allocator=optimal\n");
        Properties sys = new Properties();
        sys.setProperty("forward4j.config", file.toString());
        Settings s = ConfigSources.resolve(Map.of(), null, Map.of(), sys, Map.of());
        assertThat(s.asMap()).containsEntry("forward4j.allocator", "optimal").doesNotContainKey("forward4j.config");
    }

    @Test
    void missingOrForeignConfigFileIsRejected(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> ConfigSources.readFile(dir.resolve("nope.properties")))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("nope.properties does not exist");
        Path file = dir.resolve("bad.properties");
        Files.writeString(file, "allocator=optimal\n");
        assertThatThrownBy(() -> ConfigSources.readFile(file)).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("keys without the 'forward4j.' prefix: allocator");
    }
}
