package org.forward4j.core.plugin;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.forward4j.plugin.DuplicateProviderException;
import org.forward4j.plugin.Forward4jException;
import org.forward4j.plugin.IncompatibleProviderException;
import org.forward4j.plugin.PluginProvider;
import org.forward4j.plugin.ProviderNotFoundException;
import org.forward4j.plugin.Suggestions;

/**
 * The providers of one kind, from {@link ServiceLoader} discovery, from an application's Guice bindings, or given
 * directly. Every provider passes the same checks whatever its source, with the same messages.
 *
 * <p>Discovery never fails as a whole: a provider that cannot be instantiated, declares an invalid name or another
 * SPI version, or is bound under a key that is not its name, is recorded in {@link #problems()} and skipped, and
 * the others still load. Two providers with one name (two jars, a jar and a binding, two bindings) are recorded
 * too; selecting that name throws {@link DuplicateProviderException} naming both classes and jars.
 *
 * @param <P> the provider interface
 */
public final class PluginRegistry<P extends PluginProvider<?>> {

    private final PluginKind<P> kind;
    private final Map<String, P> providers;
    private final Map<String, List<P>> duplicates;
    private final List<String> problems;

    private PluginRegistry(PluginKind<P> kind, Map<String, P> providers, Map<String, List<P>> duplicates,
                           List<String> problems) {
        this.kind = kind;
        this.providers = Collections.unmodifiableMap(providers);
        this.duplicates = Collections.unmodifiableMap(duplicates);
        this.problems = List.copyOf(problems);
    }

    /**
     * Discovers providers of a kind on a class loader's classpath.
     *
     * @param kind the plugin kind
     * @param loader the class loader to search
     * @param <P> the provider interface
     * @return the registry, with any problems recorded
     */
    public static <P extends PluginProvider<?>> PluginRegistry<P> discover(PluginKind<P> kind, ClassLoader loader) {
        return discover(kind, loader, Map.of());
    }

    /**
     * Discovers providers of a kind on a class loader's classpath and adds those an application bound by name (for
     * example through a Guice {@code MapBinder}); both pass the same checks.
     *
     * @param kind the plugin kind
     * @param loader the class loader to search
     * @param bound providers by the key they were bound under (several per key when bound more than once)
     * @param <P> the provider interface
     * @return the registry, with any problems recorded
     */
    public static <P extends PluginProvider<?>> PluginRegistry<P> discover(PluginKind<P> kind, ClassLoader loader,
            Map<String, ? extends java.util.Collection<? extends P>> bound) {
        List<Found<P>> found = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Iterator<ServiceLoader.Provider<P>> it = ServiceLoader.load(kind.type(), loader).stream().iterator();
        while (true) {
            ServiceLoader.Provider<P> handle;
            try {
                if (!it.hasNext()) {
                    break;
                }
                handle = it.next();
            } catch (ServiceConfigurationError e) {
                problems.add("Skipped an " + kind + " provider that could not be loaded: " + describe(e));
                continue;
            }
            try {
                found.add(new Found<>(handle.get(), null));
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                problems.add("Skipped " + kind + " provider " + handle.type().getName() + " from "
                        + location(handle.type()) + ": its constructor failed: " + describe(e));
            }
        }
        bound.forEach((key, providers) -> providers.forEach(p -> found.add(new Found<>(p, key))));
        return build(kind, found, problems);
    }

    /** A provider and the key it was bound under (null when ServiceLoader found it, so its name is its key). */
    private record Found<P>(P provider, String key) {
    }

    /**
     * A registry of the given providers, without ServiceLoader (for tests and embedding).
     *
     * @param kind the plugin kind
     * @param providers the providers
     * @param <P> the provider interface
     * @return the registry, with any problems recorded
     */
    public static <P extends PluginProvider<?>> PluginRegistry<P> of(PluginKind<P> kind, List<? extends P> providers) {
        return of(kind, providers, Map.of());
    }

    /**
     * A registry of the given providers plus bound ones, without ServiceLoader; both pass the same checks.
     *
     * @param kind the plugin kind
     * @param providers the providers (each under its own name)
     * @param bound providers by the key they were bound under
     * @param <P> the provider interface
     * @return the registry, with any problems recorded
     */
    public static <P extends PluginProvider<?>> PluginRegistry<P> of(PluginKind<P> kind, List<? extends P> providers,
            Map<String, ? extends java.util.Collection<? extends P>> bound) {
        List<Found<P>> found = new ArrayList<>();
        providers.forEach(p -> found.add(new Found<>(p, null)));
        bound.forEach((key, ps) -> ps.forEach(p -> found.add(new Found<>(p, key))));
        return build(kind, found, new ArrayList<>());
    }

    private static <P extends PluginProvider<?>> PluginRegistry<P> build(PluginKind<P> kind, List<Found<P>> found,
                                                                           List<String> problems) {
        Map<String, P> byName = new TreeMap<>();
        Map<String, List<P>> duplicates = new LinkedHashMap<>();
        for (Found<P> f : found) {
            P p = f.provider();
            String name;
            int version;
            try {
                name = p.name();
                version = p.spiVersion();
            } catch (RuntimeException e) {
                problems.add("Skipped " + kind + " provider " + p.getClass().getName() + " from "
                        + location(p.getClass()) + ": name() or spiVersion() failed: " + describe(e));
                continue;
            }
            if (!PluginProvider.isValidName(name)) {
                problems.add("Skipped " + kind + " provider " + p.getClass().getName() + " from "
                        + location(p.getClass()) + ": invalid name '" + name
                        + "'; names are lower-case kebab-case like 'my-allocator'");
                continue;
            }
            if (f.key() != null && !f.key().equals(name)) {
                problems.add("Skipped " + kind + " provider " + p.getClass().getName() + " from "
                        + location(p.getClass()) + ": it is bound under the key '" + f.key() + "' but named '"
                        + name + "'; bind it under its name, addBinding(\"" + name + "\")");
                continue;
            }
            if (version != kind.spiVersion()) {
                problems.add("Skipped " + kind + " '" + name + "' (" + p.getClass().getName() + " from "
                        + location(p.getClass()) + "): it implements " + kind + " SPI version " + version
                        + " but this engine implements version " + kind.spiVersion()
                        + "; use a build of the plugin for this forward4j version");
                continue;
            }
            P previous = byName.putIfAbsent(name, p);
            if (previous != null) {
                duplicates.computeIfAbsent(name, n -> new ArrayList<>(List.of(previous))).add(p);
                problems.add(duplicateMessage(kind, name, duplicates.get(name)));
            }
        }
        return new PluginRegistry<>(kind, byName, duplicates, problems);
    }

    /**
     * The plugin kind.
     *
     * @return the kind
     */
    public PluginKind<P> kind() {
        return kind;
    }

    /**
     * Valid providers by name (for a duplicated name, the first found).
     *
     * @return an unmodifiable sorted map
     */
    public Map<String, P> providers() {
        return providers;
    }

    /**
     * What went wrong during discovery, one message per problem.
     *
     * @return the problems (empty when all is well)
     */
    public List<String> problems() {
        return problems;
    }

    /**
     * The provider of a name.
     *
     * @param name the configured name
     * @return the provider
     * @throws ProviderNotFoundException if no provider has the name (the message lists the available ones)
     * @throws DuplicateProviderException if two providers claim the name
     */
    public P get(String name) {
        return get(name, providers.keySet());
    }

    /**
     * The provider of a name, listing {@code available} in the not-found message (for example including providers
     * an application bound through Guice).
     *
     * @param name the configured name
     * @param available the names to list when the name is unknown
     * @return the provider
     * @throws ProviderNotFoundException if no provider has the name
     * @throws DuplicateProviderException if two providers claim the name
     */
    public P get(String name, java.util.Collection<String> available) {
        List<P> dups = duplicates.get(name);
        if (dups != null) {
            throw new DuplicateProviderException(duplicateMessage(kind, name, dups));
        }
        P p = providers.get(name);
        if (p == null) {
            StringBuilder msg = new StringBuilder("No " + kind + " named '" + name + "'"
                    + Suggestions.hint(name, available) + ". Available: "
                    + new java.util.TreeSet<>(available) + ". Add the jar that provides it or fix " + kind.configKey() + ".");
            for (String problem : problems) {
                msg.append(System.lineSeparator()).append("  (").append(problem).append(')');
            }
            throw new ProviderNotFoundException(msg.toString());
        }
        return p;
    }

    private static String duplicateMessage(PluginKind<?> kind, String name, List<? extends PluginProvider<?>> dups) {
        StringBuilder b = new StringBuilder("Two or more " + kind + " providers are named '" + name + "': ");
        for (int i = 0; i < dups.size(); i++) {
            Class<?> c = dups.get(i).getClass();
            b.append(i == 0 ? "" : " and ").append(c.getName()).append(" (").append(location(c)).append(')');
        }
        return b.append(". Remove one of the jars from the classpath.").toString();
    }

    /**
     * Where a class was loaded from.
     *
     * @param c the class
     * @return its jar or directory, or {@code "unknown location"}
     */
    static String location(Class<?> c) {
        try {
            var src = c.getProtectionDomain().getCodeSource();
            return src == null || src.getLocation() == null ? "unknown location" : src.getLocation().getPath();
        } catch (SecurityException e) {
            return "unknown location";
        }
    }

    private static String describe(Throwable e) {
        StringBuilder b = new StringBuilder(e.toString());
        Throwable c = e.getCause();
        while (c != null && c != e) {
            b.append(" caused by ").append(c);
            e = c;
            c = c.getCause();
        }
        return b.toString();
    }

    /**
     * Rethrows a provider's failure in {@code create} as part of the forward4j hierarchy.
     *
     * @param kind the plugin kind
     * @param name the provider's name
     * @param e what it threw
     * @return the exception to throw
     */
    static Forward4jException wrapCreateFailure(PluginKind<?> kind, String name, RuntimeException e) {
        if (e instanceof Forward4jException f) {
            return f;
        }
        return new IncompatibleProviderException("The " + kind + " '" + name + "' failed to start: " + e, e);
    }
}
