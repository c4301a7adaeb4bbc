package org.forward4j.plugin;

import java.util.Set;

/**
 * The contract every discoverable plugin provider follows (allocators, estimators, backends).
 *
 * <p>A provider is registered in {@code META-INF/services/<provider interface>} of its jar, has a public no-arg
 * constructor that does nothing heavy, and builds configured instances with {@link #create(Settings)}.
 *
 * @param <T> the kind of object the provider creates
 */
public interface PluginProvider<T> {

    /**
     * The permanent, lower-case kebab-case name users select the plugin by (for example {@code optimal}).
     *
     * @return the name, matching {@code [a-z][a-z0-9]*(-[a-z0-9]+)*}
     */
    String name();

    /**
     * The SPI version this provider was written against. The loader rejects providers whose version differs from
     * the one the running engine implements.
     *
     * @return the SPI version
     */
    int spiVersion();

    /**
     * One line saying what the plugin does, shown in listings.
     *
     * @return a human-readable description
     */
    default String description() {
        return name();
    }

    /**
     * What this plugin declares it can do or needs, as the constants of its kind's capability enum (for example
     * {@code EstimatorCapability.ACTIVATION_NOISE}); the engine reads them to check a combination before training
     * and to decide what to run. Each provider interface narrows the type.
     *
     * @return the declared capabilities, never null
     */
    default Set<? extends Enum<?>> capabilities() {
        return Set.of();
    }

    /**
     * Builds a configured instance, validating the settings first.
     *
     * @param settings the plugin's own settings (keys without any prefix)
     * @return a new instance
     * @throws InvalidConfigurationException listing every invalid or unknown setting
     */
    T create(Settings settings);

    /**
     * Whether a name is a valid plugin name.
     *
     * @param name the candidate
     * @return true for lower-case kebab-case names
     */
    static boolean isValidName(String name) {
        return name != null && name.matches("[a-z][a-z0-9]*(-[a-z0-9]+)*");
    }
}
