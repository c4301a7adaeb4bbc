package org.forward4j.plugin;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * An immutable set of string settings with typed, validating readers.
 *
 * <p>Plugins read their settings with a {@link Reader}, which collects every problem (malformed value, out of
 * range, unknown key) and reports them all at once in one {@link InvalidConfigurationException}. The settings
 * also remember what their readers read, default values included ({@link #effective()}), so that the engine can
 * record every setting a run really used, not only those the user wrote.
 */
public final class Settings {

    private static final Settings EMPTY = new Settings(Map.of());

    private final Map<String, String> values;
    /** What readers read: the given value, or the default the reader fell back to; written by readers only. */
    private final Map<String, String> effective = new java.util.concurrent.ConcurrentSkipListMap<>();

    private Settings(Map<String, String> values) {
        this.values = Collections.unmodifiableMap(new TreeMap<>(values));
    }

    /**
     * Every key a {@link Reader} of these settings read, with the value it used: the one given, or the reader's
     * default. Provenance records this map, so results show defaults too.
     *
     * @return a sorted copy
     */
    public Map<String, String> effective() {
        return new TreeMap<>(effective);
    }

    /**
     * Settings holding the given entries.
     *
     * @param values keys and values; neither may be null
     * @return the settings
     */
    public static Settings of(Map<String, String> values) {
        for (Map.Entry<String, String> e : values.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new InvalidConfigurationException("Setting keys and values must not be null, got " + e);
            }
        }
        return new Settings(values);
    }

    /**
     * Settings from alternating keys and values, for tests and small programs.
     *
     * @param keyValues key1, value1, key2, value2, ...
     * @return the settings
     */
    public static Settings of(String... keyValues) {
        if (keyValues.length % 2 != 0) {
            throw new InvalidConfigurationException("Settings.of needs key/value pairs, got an odd count "
                    + keyValues.length);
        }
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return of(m);
    }

    /**
     * No settings.
     *
     * @return the empty settings
     */
    public static Settings empty() {
        return EMPTY;
    }

    /**
     * The raw value of a key.
     *
     * @param key the key
     * @return the value, if present
     */
    public Optional<String> raw(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /**
     * All entries, sorted by key.
     *
     * @return an unmodifiable view
     */
    public Map<String, String> asMap() {
        return values;
    }

    /**
     * The entries whose key starts with {@code prefix}, with the prefix removed.
     *
     * @param prefix for example {@code "allocator."}
     * @return the sub-settings
     */
    public Settings withPrefix(String prefix) {
        Map<String, String> m = new TreeMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                m.put(k.substring(prefix.length()), v);
            }
        });
        return new Settings(m);
    }

    /**
     * These settings with more entries layered on top (later wins).
     *
     * @param overrides entries that replace or add to these
     * @return the merged settings
     */
    public Settings with(Map<String, String> overrides) {
        Map<String, String> m = new TreeMap<>(values);
        m.putAll(overrides);
        return of(m);
    }

    /**
     * Starts validated reading.
     *
     * @param owner who reads, used in messages, for example {@code "allocator 'optimal'"}
     * @return a reader that collects problems until {@link Reader#finish()}
     */
    public Reader reader(String owner) {
        return new Reader(owner);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Settings s && s.values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return values.toString();
    }

    /** Reads typed values, remembering every problem; {@link #finish()} throws them together. */
    public final class Reader {
        private final String owner;
        private final Set<String> read = new LinkedHashSet<>();
        private final List<String> problems = new ArrayList<>();

        private Reader(String owner) {
            this.owner = owner;
        }

        /**
         * An integer in {@code [min, max]}.
         *
         * @param key the key
         * @param defaultValue used when the key is absent
         * @param min smallest allowed value
         * @param max largest allowed value
         * @return the value (the default if it was invalid; the problem is reported by {@link #finish()})
         */
        public int intValue(String key, int defaultValue, int min, int max) {
            return number(key, defaultValue, Integer::parseInt, x -> x >= min && x <= max,
                    "an integer", "use an integer in [" + min + ", " + max + "]");
        }

        /**
         * A finite double in {@code [min, max]}.
         *
         * @param key the key
         * @param defaultValue used when the key is absent
         * @param min smallest allowed value
         * @param max largest allowed value
         * @return the value (the default if it was invalid)
         */
        public double doubleValue(String key, double defaultValue, double min, double max) {
            return number(key, defaultValue, Double::parseDouble, x -> Double.isFinite(x) && x >= min && x <= max,
                    "a number", "use a number in [" + min + ", " + max + "]");
        }

        /**
         * A 64-bit integer in {@code [min, max]}, written in decimal without a fraction or exponent (a seed of
         * {@code 1.5} or {@code 1e3} is rejected rather than truncated).
         *
         * @param key the key
         * @param defaultValue used when the key is absent
         * @param min smallest allowed value
         * @param max largest allowed value
         * @return the value (the default if it was invalid)
         */
        public long longValue(String key, long defaultValue, long min, long max) {
            return number(key, defaultValue, Long::parseLong, x -> x >= min && x <= max,
                    "a 64-bit integer", "use a whole number in [" + min + ", " + max + "]");
        }

        /**
         * Reads a number: absent gives the default, unparseable or out of range records one problem naming the
         * value and the allowed range, and returns the default so that every problem is reported together.
         */
        private <T> T number(String key, T defaultValue, java.util.function.Function<String, T> parse,
                             java.util.function.Predicate<T> inRange, String kind, String fix) {
            read.add(key);
            String v = values.get(key);
            if (v == null) {
                return used(key, defaultValue);
            }
            T x;
            try {
                x = parse.apply(v.trim());
            } catch (NumberFormatException e) {
                problems.add(key + "=" + v + " is not " + kind + "; " + fix);
                return defaultValue;
            }
            if (!inRange.test(x)) {
                problems.add(key + "=" + v + " is out of range; " + fix);
                return defaultValue;
            }
            return given(key, v, x);
        }

        /**
         * A boolean ({@code true} or {@code false}).
         *
         * @param key the key
         * @param defaultValue used when the key is absent
         * @return the value
         */
        public boolean booleanValue(String key, boolean defaultValue) {
            read.add(key);
            String v = values.get(key);
            if (v == null) {
                return used(key, defaultValue);
            }
            String t = v.trim().toLowerCase(Locale.ROOT);
            if (t.equals("true") || t.equals("false")) {
                return given(key, t, Boolean.parseBoolean(t));
            }
            problems.add(key + "=" + v + " is not a boolean; use true or false");
            return defaultValue;
        }

        /**
         * One of an enum's constants, written in kebab case ({@code PER_POINT} is {@code per-point}).
         *
         * @param key the key
         * @param type the enum type
         * @param defaultValue used when the key is absent
         * @param <E> the enum type
         * @return the value
         */
        public <E extends Enum<E>> E enumValue(String key, Class<E> type, E defaultValue) {
            read.add(key);
            String v = values.get(key);
            if (v == null) {
                effective.put(key, defaultValue == null ? "" : kebab(defaultValue));
                return defaultValue;
            }
            String wanted = v.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            List<String> choices = new ArrayList<>();
            for (E c : type.getEnumConstants()) {
                if (c.name().equals(wanted)) {
                    effective.put(key, kebab(c));
                    return c;
                }
                choices.add(kebab(c));
            }
            problems.add(key + "=" + v + " is not one of " + choices + Suggestions.hint(v.trim(), choices));
            return defaultValue;
        }

        /**
         * A string.
         *
         * @param key the key
         * @param defaultValue used when the key is absent
         * @return the value
         */
        public String stringValue(String key, String defaultValue) {
            read.add(key);
            String v = values.getOrDefault(key, defaultValue);
            if (v != null) {
                effective.put(key, v);
            }
            return v;
        }

        /** Records a default the reader fell back to. */
        private <T> T used(String key, T value) {
            effective.put(key, String.valueOf(value));
            return value;
        }

        /** Records a valid value as the user wrote it ({@code 1}, not {@code 1.0}). */
        private <T> T given(String key, String text, T value) {
            effective.put(key, text.trim());
            return value;
        }

        /**
         * Records a cross-setting problem when {@code ok} is false.
         *
         * @param ok whether the condition holds
         * @param problem what is wrong and how to fix it
         */
        public void check(boolean ok, String problem) {
            if (!ok) {
                problems.add(problem);
            }
        }

        /**
         * Throws one exception listing every problem, including keys that were never read (likely typos).
         *
         * @throws InvalidConfigurationException if anything was wrong
         */
        public void finish() {
            List<String> all = new ArrayList<>(problems);
            for (String k : values.keySet()) {
                if (!read.contains(k)) {
                    all.add("unknown setting '" + k + "'" + Suggestions.hint(k, read) + "; known settings are " + read);
                }
            }
            if (!all.isEmpty()) {
                throw new InvalidConfigurationException("Invalid settings for " + owner + ": " + String.join("; ", all));
            }
        }
    }

    /**
     * The kebab-case spelling of an enum constant.
     *
     * @param e the constant
     * @return for example {@code per-point} for {@code PER_POINT}
     */
    public static String kebab(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
