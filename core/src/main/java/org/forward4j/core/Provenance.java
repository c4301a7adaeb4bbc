package org.forward4j.core;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.forward4j.plugin.PluginProvider;

/**
 * Where a run's code came from, for results files: forward4j's version and git commit (when the build knew it),
 * and for every plugin its class, jar and version, so that a result can be traced to the exact jars that made it.
 */
final class Provenance {

    private static final String UNKNOWN = "unknown";

    private Provenance() {
    }

    /**
     * forward4j's own version and commit, from {@code forward4j-build.properties} in core's jar.
     *
     * @return {@code version}, {@code commit} (the git commit, {@code unknown} outside a git checkout) and
     *     {@code java}
     */
    static Map<String, String> forward4j() {
        Properties p = new Properties();
        try (InputStream in = Provenance.class.getResourceAsStream("/org/forward4j/core/forward4j-build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // an unreadable resource leaves the version unknown; it never stops a run
        }
        Map<String, String> out = new LinkedHashMap<>();
        out.put("version", known(p.getProperty("version")));
        out.put("commit", known(p.getProperty("commit")));
        out.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
        return out;
    }

    /**
     * A plugin's class, the jar (or folder) it was loaded from and the jar's version.
     *
     * @param provider the plugin's provider
     * @return {@code name}, {@code class}, {@code location}, {@code version}
     */
    static Map<String, String> of(PluginProvider<?> provider) {
        Class<?> c = provider.getClass();
        Map<String, String> out = new LinkedHashMap<>();
        out.put("name", provider.name());
        out.put("class", c.getName());
        String location = UNKNOWN;
        try {
            var src = c.getProtectionDomain().getCodeSource();
            if (src != null && src.getLocation() != null) {
                location = src.getLocation().getPath();
            }
        } catch (SecurityException e) {
            // keep unknown
        }
        out.put("location", location);
        Package pkg = c.getPackage();
        out.put("version", known(pkg == null ? null : pkg.getImplementationVersion()));
        return out;
    }

    private static String known(String v) {
        return v == null || v.isBlank() || v.startsWith("${") ? UNKNOWN : v;
    }
}
