package org.forward4j.benchmarks;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.forward4j.plugin.InvalidConfigurationException;

/**
 * An estimator with its settings, written {@code NAME} or {@code NAME:key=value;key=value} as in
 * {@code forward4j compare --estimators} (for example {@code spsa:directions=per-point}).
 *
 * @param spec the text it was parsed from; used as its label in tables
 * @param estimator the estimator provider name
 * @param settings the estimator's own settings (keys without the {@code estimator.} prefix)
 */
public record EstimatorVariant(String spec, String estimator, Map<String, String> settings) {

    /**
     * Copies the settings.
     *
     * @param spec the label
     * @param estimator the provider name
     * @param settings the estimator's settings
     */
    public EstimatorVariant {
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    }

    /**
     * Parses {@code NAME} or {@code NAME:key=value;key=value}.
     *
     * @param spec the text
     * @return the variant
     * @throws InvalidConfigurationException if the name is empty or a setting is not {@code key=value}
     */
    public static EstimatorVariant parse(String spec) {
        String s = spec == null ? "" : spec.strip();
        String[] head = s.split(":", 2);
        String name = head[0].strip();
        if (name.isEmpty()) {
            throw new InvalidConfigurationException("Estimator variant '" + s + "' names no estimator; write NAME or "
                    + "NAME:key=value;key=value, e.g. lr or spsa:directions=per-point");
        }
        Map<String, String> settings = new LinkedHashMap<>();
        if (head.length == 2) {
            for (String kv : head[1].split(";")) {
                String[] p = kv.split("=", 2);
                if (p.length != 2 || p[0].isBlank()) {
                    throw new InvalidConfigurationException("Estimator variant '" + s + "' has a malformed setting '"
                            + kv + "'; write NAME:key=value;key=value, e.g. spsa:directions=per-point");
                }
                String key = p[0].strip();
                settings.put(key.startsWith("estimator.") ? key.substring("estimator.".length()) : key, p[1].strip());
            }
        }
        return new EstimatorVariant(s, name, settings);
    }

    /**
     * The configuration keys that select this variant ({@code estimator} and {@code estimator.*}).
     *
     * @return keys without the {@code forward4j.} prefix
     */
    public Map<String, String> configuration() {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("estimator", estimator);
        settings.forEach((k, v) -> out.put("estimator." + k, v));
        return out;
    }

    @Override
    public String toString() {
        return spec;
    }
}
