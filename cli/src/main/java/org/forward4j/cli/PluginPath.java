package org.forward4j.cli;

import java.io.File;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.forward4j.plugin.InvalidConfigurationException;

/**
 * Where the application finds plugin jars besides its own classpath, in this order: the {@code --plugins} option,
 * the {@code FORWARD4J_PLUGINS} environment variable (both a list of jars or folders of jars, separated by
 * {@code :}), and the {@code plugins/} folder of the installation ({@code forward4j.home}, which the launcher sets).
 * A folder contributes every {@code .jar} directly inside it. Plugins are discovered through a class loader over
 * these jars whose parent is the application's, so they see the forward4j API they were compiled against.
 */
final class PluginPath {

    /** The environment variable naming plugin jars or folders. */
    static final String ENV = "FORWARD4J_PLUGINS";
    /** The folder of an installation that holds plugin jars. */
    static final String FOLDER = "plugins";

    private PluginPath() {
    }

    /**
     * The jars of every plugin source.
     *
     * @param options the {@code --plugins} entries
     * @param env the environment
     * @param home the installation folder, or null when unknown
     * @return the jars, in order, each once
     * @throws InvalidConfigurationException naming every entry that does not exist or is not a jar or folder
     */
    static List<Path> jars(List<Path> options, Map<String, String> env, Path home) {
        List<String> problems = new ArrayList<>();
        List<Path> jars = new ArrayList<>();
        for (Path p : options) {
            add(p, "--plugins", jars, problems);
        }
        String fromEnv = env.get(ENV);
        if (fromEnv != null) {
            for (String part : fromEnv.split(File.pathSeparator)) {
                if (!part.isBlank()) {
                    add(Path.of(part.trim()), ENV, jars, problems);
                }
            }
        }
        if (home != null && Files.isDirectory(home.resolve(FOLDER))) {
            add(home.resolve(FOLDER), "the installation's " + FOLDER + "/ folder", jars, problems);
        }
        if (!problems.isEmpty()) {
            throw new InvalidConfigurationException(String.join("; ", problems));
        }
        return jars;
    }

    private static void add(Path p, String source, List<Path> jars, List<String> problems) {
        Path abs = p.toAbsolutePath().normalize();
        if (Files.isDirectory(abs)) {
            try (DirectoryStream<Path> in = Files.newDirectoryStream(abs, "*.jar")) {
                List<Path> found = new ArrayList<>();
                in.forEach(found::add);
                found.sort(null);
                found.stream().filter(j -> !jars.contains(j)).forEach(jars::add);
            } catch (IOException e) {
                problems.add("plugin folder " + abs + " (from " + source + ") cannot be read: " + e.getMessage());
            }
        } else if (Files.isRegularFile(abs) && abs.getFileName().toString().endsWith(".jar")) {
            if (!jars.contains(abs)) {
                jars.add(abs);
            }
        } else if (Files.exists(abs)) {
            problems.add("plugin path " + abs + " (from " + source + ") is neither a .jar file nor a folder of jars");
        } else {
            problems.add("plugin path " + abs + " (from " + source + ") does not exist; give a plugin jar or a folder "
                    + "of jars");
        }
    }

    /**
     * A class loader that sees the application and the given jars, or the application's own when there are none.
     *
     * @param jars plugin jars
     * @return the loader discovery should use
     */
    static ClassLoader loader(List<Path> jars) {
        ClassLoader app = Thread.currentThread().getContextClassLoader();
        if (jars.isEmpty()) {
            return app;
        }
        URL[] urls = new URL[jars.size()];
        for (int i = 0; i < urls.length; i++) {
            try {
                urls[i] = jars.get(i).toUri().toURL();
            } catch (MalformedURLException e) {
                throw new InvalidConfigurationException("plugin jar " + jars.get(i) + " has no URL form: "
                        + e.getMessage());
            }
        }
        return new URLClassLoader("forward4j-plugins", urls, app);
    }
}
