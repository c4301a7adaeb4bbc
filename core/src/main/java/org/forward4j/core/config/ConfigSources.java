package org.forward4j.core.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.Settings;

/**
 * Resolves the configuration from its sources with one precedence order, lowest first:
 * <ol>
 *   <li>built-in defaults,</li>
 *   <li>the config file (Java properties; path from {@code --config}, system property {@code forward4j.config} or
 *       environment variable {@code FORWARD4J_CONFIG}),</li>
 *   <li>environment variables {@code FORWARD4J_*} (except the launcher's own, {@link #LAUNCHER_VARIABLES}):
 *       {@code FORWARD4J_ALLOCATOR} is {@code forward4j.allocator},
 *       a single {@code _} becomes {@code -} and a double {@code __} becomes {@code .}, so
 *       {@code FORWARD4J_QUERIES_PER_POINT} is {@code forward4j.queries-per-point} and
 *       {@code FORWARD4J_ALLOCATOR__BETA} is {@code forward4j.allocator.beta},</li>
 *   <li>system properties {@code forward4j.*},</li>
 *   <li>explicit overrides (CLI flags, builder calls).</li>
 * </ol>
 * Every key starts with {@code forward4j.}.
 */
public final class ConfigSources {

    /** Prefix of every configuration key. */
    public static final String PREFIX = "forward4j.";

    /**
     * Environment variables of the launcher ({@code bin/forward4j}) that are not settings: where plugins are, the
     * JVM's options, the installation folder. They are never read as {@code forward4j.*} keys.
     */
    public static final java.util.Set<String> LAUNCHER_VARIABLES = java.util.Set.of("FORWARD4J_PLUGINS",
            "FORWARD4J_JAVA_OPTS", "FORWARD4J_HOME");

    /**
     * System properties in the {@code forward4j.} namespace that are not settings: the installation folder the
     * launcher passes, the Fashion-MNIST folder the dataset loader reads, and the {@code cpu} backend's JVM-wide
     * kernel switches (the vector noise path, the opt-in float kernels of the layer graphs).
     */
    public static final java.util.Set<String> NON_SETTING_PROPERTIES = java.util.Set.of("forward4j.home",
            "forward4j.fashion-mnist.dir", "forward4j.cpu.vector-noise", "forward4j.cpu.float-math");

    private ConfigSources() {
    }

    /**
     * Resolves the configuration.
     *
     * @param defaults built-in defaults
     * @param configFile a properties file, or null for none (else the file named by the sources is used)
     * @param env the environment (normally {@link System#getenv()})
     * @param systemProperties the system properties (normally {@link System#getProperties()})
     * @param overrides explicit values that win over everything
     * @return the merged settings, keys with the {@code forward4j.} prefix
     * @throws InvalidConfigurationException if the config file is missing or malformed
     */
    public static Settings resolve(Map<String, String> defaults, Path configFile, Map<String, String> env,
                                   Properties systemProperties, Map<String, String> overrides) {
        Map<String, String> fromEnv = fromEnvironment(env);
        Map<String, String> fromSys = new TreeMap<>();
        for (String name : systemProperties.stringPropertyNames()) {
            if (name.startsWith(PREFIX) && !NON_SETTING_PROPERTIES.contains(name)) {
                fromSys.put(name, systemProperties.getProperty(name));
            }
        }
        Path file = configFile;
        if (file == null) {
            String named = overrides.getOrDefault(PREFIX + "config",
                    fromSys.getOrDefault(PREFIX + "config", fromEnv.get(PREFIX + "config")));
            file = named == null ? null : Path.of(named);
        }
        Map<String, String> merged = new LinkedHashMap<>(defaults);
        if (file != null) {
            merged.putAll(readFile(file));
        }
        merged.putAll(fromEnv);
        merged.putAll(fromSys);
        merged.putAll(overrides);
        merged.remove(PREFIX + "config");
        return Settings.of(merged);
    }

    /**
     * The {@code forward4j.*} keys named by {@code FORWARD4J_*} environment variables.
     *
     * @param env the environment
     * @return keys and values
     */
    public static Map<String, String> fromEnvironment(Map<String, String> env) {
        Map<String, String> out = new TreeMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("FORWARD4J_") && k.length() > "FORWARD4J_".length() && !LAUNCHER_VARIABLES.contains(k)) {
                String rest = k.substring("FORWARD4J_".length()).toLowerCase(Locale.ROOT);
                out.put(PREFIX + rest.replace("__", "\u0000").replace('_', '-').replace('\u0000', '.'), v);
            }
        });
        return out;
    }

    /**
     * Reads a properties config file; only {@code forward4j.*} keys are allowed.
     *
     * @param file the file
     * @return its entries
     * @throws InvalidConfigurationException if the file is missing, unreadable or has a foreign key
     */
    public static Map<String, String> readFile(Path file) {
        if (Files.isDirectory(file)) {
            throw new InvalidConfigurationException("Config file " + file.toAbsolutePath() + " is a directory; give "
                    + "the path of a properties file to --config / forward4j.config");
        }
        if (!Files.isRegularFile(file)) {
            throw new InvalidConfigurationException("Config file " + file.toAbsolutePath()
                    + " does not exist; fix --config / forward4j.config or create the file");
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidConfigurationException("Config file " + file.toAbsolutePath() + " is not a valid "
                    + "properties file: " + e.getMessage(), e);
        }
        Map<String, String> out = new TreeMap<>();
        StringBuilder bad = new StringBuilder();
        for (String name : p.stringPropertyNames()) {
            if (!name.startsWith(PREFIX)) {
                bad.append(bad.length() == 0 ? "" : ", ").append(name);
            }
            out.put(name, p.getProperty(name).trim());
        }
        if (bad.length() > 0) {
            throw new InvalidConfigurationException("Config file " + file.toAbsolutePath() + " has keys without the '"
                    + PREFIX + "' prefix: " + bad + "; write them as " + PREFIX + "<key>");
        }
        return out;
    }
}
