package org.forward4j.core;

import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.Module;
import com.google.inject.util.Types;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.forward4j.allocator.QueryAllocator;
import org.forward4j.allocator.spi.AllocatorCapability;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.backend.Backend;
import org.forward4j.backend.spi.BackendCapability;
import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.core.config.ConfigSources;
import org.forward4j.core.plugin.PluginKind;
import org.forward4j.core.plugin.PluginRegistry;
import org.forward4j.core.train.Trainer;
import org.forward4j.core.train.TrainingConfig;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.spi.EstimatorCapability;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.plugin.BackendUnavailableException;
import org.forward4j.plugin.Forward4jException;
import org.forward4j.plugin.IncompatibleProviderException;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.PluginProvider;
import org.forward4j.plugin.Settings;
import org.forward4j.plugin.UnsupportedCapabilityException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point: resolves configuration, discovers plugins, assembles them with Guice, validates the selection
 * (all problems at once) and builds trainers.
 *
 * <pre>{@code
 * Forward4j f4j = Forward4j.builder()
 *         .set("allocator", "optimal").set("estimator", "lr").set("queries-per-point", "4")
 *         .build();
 * Trainer trainer = f4j.trainer(trainObjective, testObjective, initialParameters);
 * TrainingResult result = trainer.fit();
 * }</pre>
 */
public final class Forward4j {

    private static final Logger LOG = LoggerFactory.getLogger(Forward4j.class);

    /** Name of the backend selection that picks a GPU OpenCL device if one is available, else {@code cpu}. */
    public static final String AUTO_BACKEND = "auto";

    private final Settings config;
    private final TrainingConfig training;
    private final PluginRegistry<QueryAllocatorProvider> allocators;
    private final PluginRegistry<GradientEstimatorProvider> estimators;
    private final PluginRegistry<BackendProvider> backends;
    private final String backendName;

    private Forward4j(Settings config, PluginRegistry<QueryAllocatorProvider> allocators,
                      PluginRegistry<GradientEstimatorProvider> estimators, PluginRegistry<BackendProvider> backends) {
        this.config = config;
        this.allocators = allocators;
        this.estimators = estimators;
        this.backends = backends;
        // every problem of the configuration at once: training keys, plugin names, plugin and backend settings
        List<Forward4jException> problems = new ArrayList<>();
        TrainingConfig[] t = {null};
        attempt(problems, () -> t[0] = TrainingConfig.from(config));
        this.training = t[0];
        String allocator = TrainingConfig.pluginName(config, "allocator");
        String estimator = TrainingConfig.pluginName(config, "estimator");
        String backend = TrainingConfig.pluginName(config, "backend");
        boolean[] named = {true, true};
        attempt(problems, () -> allocators.get(allocator), () -> named[0] = false);
        attempt(problems, () -> estimators.get(estimator), () -> named[1] = false);
        String[] chosen = {backend};
        boolean[] backendOk = {true};
        attempt(problems, () -> chosen[0] = resolveBackend(backend), () -> backendOk[0] = false);
        this.backendName = chosen[0];
        // build the selected plugins once so that a typo in their settings fails now, before any data is loaded
        if (named[0]) {
            attempt(problems, () -> create(allocators, allocator, "allocator."));
        }
        if (named[1]) {
            attempt(problems, () -> create(estimators, estimator, "estimator."));
        }
        if (backendOk[0]) {
            attempt(problems, () -> backends.get(backendName)
                    .validate(config.withPrefix(ConfigSources.PREFIX + "backend.")));
        }
        if (problems.size() == 1) {
            throw problems.get(0);
        }
        if (problems.size() > 1) {
            StringBuilder b = new StringBuilder("The configuration has " + problems.size() + " problems:");
            for (Forward4jException e : problems) {
                b.append(System.lineSeparator()).append("  - ").append(e.getMessage());
            }
            InvalidConfigurationException all = new InvalidConfigurationException(b.toString(), problems.get(0));
            problems.stream().skip(1).forEach(all::addSuppressed);
            throw all;
        }
    }

    private static void attempt(List<Forward4jException> problems, Runnable r, Runnable onFailure) {
        try {
            r.run();
        } catch (Forward4jException e) {
            problems.add(e);
            onFailure.run();
        }
    }

    private static void attempt(List<Forward4jException> problems, Runnable r) {
        attempt(problems, r, () -> { });
    }

    /**
     * A builder with the standard sources: environment, system properties, ServiceLoader discovery.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The resolved configuration (keys with the {@code forward4j.} prefix).
     *
     * @return the settings
     */
    public Settings config() {
        return config;
    }

    /**
     * The validated training settings.
     *
     * @return the training config
     */
    public TrainingConfig training() {
        return training;
    }

    /**
     * Problems met during discovery (broken or incompatible provider jars), which did not stop the others.
     *
     * @return one message per problem
     */
    public List<String> discoveryProblems() {
        List<String> out = new ArrayList<>();
        for (PluginRegistry<?> r : List.of(allocators, estimators, backends)) {
            out.addAll(r.problems());
        }
        return out;
    }

    /**
     * The available providers by kind and name, with descriptions.
     *
     * @return kind -> (name -> description)
     */
    public Map<String, Map<String, String>> available() {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        out.put("allocator", describe(allocators.providers()));
        out.put("estimator", describe(estimators.providers()));
        Map<String, String> b = new java.util.TreeMap<>();
        backends.providers().forEach((n, p) -> {
            BackendProvider.Availability a = p.availability();
            b.put(n, p.description() + (a.available() ? " [" + a.detail() + "]" : " [unavailable: " + a.detail() + "]"));
        });
        out.put("backend", b);
        return out;
    }

    private static Map<String, String> describe(Map<String, ? extends PluginProvider<?>> m) {
        Map<String, String> out = new java.util.TreeMap<>();
        m.forEach((n, p) -> out.put(n, p.description()));
        return out;
    }

    /**
     * A new allocator as configured ({@code forward4j.allocator} and its {@code forward4j.allocator.*} settings).
     *
     * @return the allocator
     */
    public QueryAllocator newAllocator() {
        return create(allocators, training.allocator(), "allocator.").instance();
    }

    /**
     * A new estimator as configured.
     *
     * @return the estimator
     */
    public GradientEstimator newEstimator() {
        return create(estimators, training.estimator(), "estimator.").instance();
    }

    /**
     * A new backend as configured ({@code auto} resolved).
     *
     * @return the backend
     */
    public Backend newBackend() {
        return create(backends, backendName, "backend.").instance();
    }

    /**
     * The backend name in use ({@code auto} resolved to a concrete one).
     *
     * @return the name
     */
    public String backendName() {
        return backendName;
    }

    /**
     * A trainer with freshly created plugins.
     *
     * @param train the training objective
     * @param test test data for accuracy, or null
     * @param initialParameters starting parameters
     * @return the trainer
     * @throws UnsupportedCapabilityException if the estimator needs a native model but the objective is a black box
     */
    public Trainer trainer(Objective train, Objective test, float[] initialParameters) {
        return trainer(train, test, initialParameters, java.util.function.UnaryOperator.identity());
    }

    /**
     * A trainer whose freshly created plugins pass through {@code assemble} first: how a runner that spreads the
     * steps over other machines (runner-spark) puts its own evaluating backend and bookkeeping around the configured
     * plugins, while the selection, the checks, the warnings and the provenance stay the engine's.
     *
     * @param train the training objective
     * @param test test data for accuracy, or null
     * @param initialParameters starting parameters
     * @param assemble returns the components the trainer runs with (given the configured ones)
     * @return the trainer
     * @throws UnsupportedCapabilityException if the estimator needs a native model but the objective is a black box
     */
    public Trainer trainer(Objective train, Objective test, float[] initialParameters,
                           java.util.function.UnaryOperator<Trainer.Components> assemble) {
        GradientEstimatorProvider ep = estimators.get(training.estimator());
        QueryAllocatorProvider ap = allocators.get(training.allocator());
        BackendProvider bp = backends.get(backendName);
        checkCombination(ep, bp, train);
        Created<GradientEstimator> estimatorMade = create(estimators, training.estimator(), "estimator.");
        GradientEstimator estimator = estimatorMade.instance();
        boolean usesProxies = !ap.capabilities().contains(AllocatorCapability.IGNORES_PROXIES);
        if (usesProxies && !estimator.independentPerPoint()) {
            LOG.warn("Allocator '{}' with estimator '{}' in a shared-direction mode: per-point allocation needs "
                    + "independent per-point estimates (docs/method.md §2, §3.1) and may train worse than uniform "
                    + "here; use directions=per-point or the lr estimator", training.allocator(), training.estimator());
        }
        Created<QueryAllocator> allocatorMade = create(allocators, training.allocator(), "allocator.");
        Created<Backend> backendMade = create(backends, backendName, "backend.");
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("forward4j", Provenance.forward4j());
        provenance.put("training", training.effective());
        provenance.put("allocatorSettings", allocatorMade.effective());
        provenance.put("estimatorSettings", estimatorMade.effective());
        provenance.put("backendSettings", backendMade.effective());
        provenance.put("backendName", backendName);
        provenance.put("plugins", Map.of("allocator", Provenance.of(ap), "estimator", Provenance.of(ep),
                "backend", Provenance.of(bp)));
        Trainer.Components c = new Trainer.Components(estimator, training.estimator(), allocatorMade.instance(),
                training.allocator(), usesProxies, ap.capabilities().contains(AllocatorCapability.LEARNS_FROM_STATISTICS),
                backendMade.instance(), provenance);
        return new Trainer(training, assemble.apply(c), train, test, initialParameters);
    }

    /**
     * Refuses, before any query runs, an estimator, backend and objective that cannot work together: the engine
     * reads the capabilities each plugin declares.
     */
    private void checkCombination(GradientEstimatorProvider ep, BackendProvider bp, Objective train) {
        boolean blackBox = !(train instanceof NetworkObjective) && !(train instanceof GraphObjective);
        if (ep.capabilities().contains(EstimatorCapability.ACTIVATION_NOISE) && blackBox) {
            throw new UnsupportedCapabilityException("Estimator '" + training.estimator() + "' needs a native "
                    + "network objective (activation noise), but " + train + " is a black box; use spsa or rge");
        }
        if (blackBox && !ep.capabilities().contains(EstimatorCapability.BLACK_BOX)) {
            throw new UnsupportedCapabilityException("Estimator '" + training.estimator() + "' does not declare "
                    + "black-box objectives, and " + train + " is one; use spsa or rge, or a network objective");
        }
        if (blackBox && !bp.capabilities().contains(BackendCapability.BLACK_BOX)) {
            throw new UnsupportedCapabilityException("Backend '" + backendName + "' cannot evaluate black-box "
                    + "objectives such as " + train + "; use backend=cpu or backend=reference");
        }
        if (ep.capabilities().contains(EstimatorCapability.ACTIVATION_NOISE)
                && !bp.capabilities().contains(BackendCapability.ACTIVATION_NOISE)) {
            throw new UnsupportedCapabilityException("Estimator '" + training.estimator() + "' needs activation-noise "
                    + "plans, which backend '" + backendName + "' does not run; use backend=cpu or a weight-"
                    + "perturbation estimator (spsa, rge)");
        }
    }

    private String resolveBackend(String name) {
        if (!AUTO_BACKEND.equals(name)) {
            BackendProvider p = backends.get(name);
            BackendProvider.Availability a = p.availability();
            if (!a.available()) {
                throw new BackendUnavailableException("Backend '" + name + "' is not available here: " + a.detail()
                        + ". Choose another with forward4j.backend (available: " + availableBackends() + ")");
            }
            return name;
        }
        for (Map.Entry<String, BackendProvider> e : backends.providers().entrySet()) {
            BackendProvider.Availability a = e.getValue().availability();
            if (a.available() && a.gpu()) {
                LOG.info("backend auto: using '{}' ({})", e.getKey(), a.detail());
                return e.getKey();
            }
        }
        StringBuilder why = new StringBuilder();
        backends.providers().forEach((n, p) -> {
            if (!n.equals("cpu")) {
                why.append(why.length() == 0 ? "" : "; ").append(n).append(": ").append(p.availability().detail());
            }
        });
        LOG.info("backend auto: no GPU backend available ({}); using 'cpu'", why.length() == 0 ? "none installed" : why);
        backends.get("cpu");
        return "cpu";
    }

    private List<String> availableBackends() {
        List<String> out = new ArrayList<>();
        backends.providers().forEach((n, p) -> {
            if (p.availability().available()) {
                out.add(n);
            }
        });
        return out;
    }

    /** A plugin instance and the settings it was created with, defaults included. */
    private record Created<T>(T instance, Map<String, String> effective) {
    }

    private <T, P extends PluginProvider<T>> Created<T> create(PluginRegistry<P> registry, String name,
                                                               String prefix) {
        P p = registry.get(name);
        Settings own = config.withPrefix(ConfigSources.PREFIX + prefix);
        try {
            return new Created<>(p.create(own), own.effective());
        } catch (Forward4jException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IncompatibleProviderException("The " + registry.kind() + " '" + name + "' ("
                    + p.getClass().getName() + ") failed to start: " + e, e);
        }
    }

    /** Collects configuration sources and plugins. */
    public static final class Builder {
        private final Map<String, String> overrides = new LinkedHashMap<>();
        private final Map<String, String> defaults = new LinkedHashMap<>();
        private Path configFile;
        private Map<String, String> env = System.getenv();
        private Properties systemProperties = System.getProperties();
        private ClassLoader loader = Thread.currentThread().getContextClassLoader();
        private final Map<PluginKind<?>, List<? extends PluginProvider<?>>> explicit = new LinkedHashMap<>();
        private final List<Module> modules = new ArrayList<>();

        private Builder() {
        }

        /**
         * Sets an explicit value (highest precedence).
         *
         * @param key a key with or without the {@code forward4j.} prefix
         * @param value the value
         * @return this builder
         */
        public Builder set(String key, String value) {
            overrides.put(key.startsWith(ConfigSources.PREFIX) ? key : ConfigSources.PREFIX + key, value);
            return this;
        }

        /**
         * Sets explicit values.
         *
         * @param values keys with or without prefix
         * @return this builder
         */
        public Builder setAll(Map<String, String> values) {
            values.forEach(this::set);
            return this;
        }

        /**
         * Sets a default (lowest precedence).
         *
         * @param key a key with or without the prefix
         * @param value the value
         * @return this builder
         */
        public Builder defaultValue(String key, String value) {
            defaults.put(key.startsWith(ConfigSources.PREFIX) ? key : ConfigSources.PREFIX + key, value);
            return this;
        }

        /**
         * Reads a properties config file.
         *
         * @param file the file
         * @return this builder
         */
        public Builder configFile(Path file) {
            this.configFile = file;
            return this;
        }

        /**
         * Replaces the environment (tests).
         *
         * @param env the variables
         * @return this builder
         */
        public Builder environment(Map<String, String> env) {
            this.env = env;
            return this;
        }

        /**
         * Replaces the system properties (tests).
         *
         * @param props the properties
         * @return this builder
         */
        public Builder systemProperties(Properties props) {
            this.systemProperties = props;
            return this;
        }

        /**
         * Discovers plugins on this class loader instead of the context class loader.
         *
         * @param loader the loader
         * @return this builder
         */
        public Builder classLoader(ClassLoader loader) {
            this.loader = loader;
            return this;
        }

        /**
         * Uses the given providers of a kind instead of ServiceLoader discovery (tests, embedding).
         *
         * @param kind the plugin kind
         * @param providers the providers
         * @param <P> the provider interface
         * @return this builder
         */
        public <P extends PluginProvider<?>> Builder providers(PluginKind<P> kind, List<? extends P> providers) {
            explicit.put(kind, List.copyOf(providers));
            return this;
        }

        /**
         * Adds a Guice module (for example one that adds providers through the MapBinders).
         *
         * @param module the module
         * @return this builder
         */
        public Builder module(Module module) {
            modules.add(module);
            return this;
        }

        /**
         * Resolves, discovers, assembles and validates.
         *
         * @return the engine
         * @throws Forward4jException describing every configuration problem found
         */
        public Forward4j build() {
            Settings config = ConfigSources.resolve(defaults, configFile, env, systemProperties, overrides);
            Injector injector;
            try {
                List<Module> all = new ArrayList<>(modules);
                all.add(0, new Forward4jModule(config));
                injector = Guice.createInjector(all);
            } catch (CreationException e) {
                StringBuilder b = new StringBuilder("A Guice module given to Forward4j.builder().module(...) failed:");
                e.getErrorMessages().forEach(m -> b.append(System.lineSeparator()).append("  - ")
                        .append(m.getMessage()));
                throw new InvalidConfigurationException(b.append(System.lineSeparator())
                        .append("Fix the module's bindings").toString(), e);
            }
            PluginRegistry<QueryAllocatorProvider> a = registry(PluginKind.ALLOCATOR, injector);
            PluginRegistry<GradientEstimatorProvider> e = registry(PluginKind.ESTIMATOR, injector);
            PluginRegistry<BackendProvider> b = registry(PluginKind.BACKEND, injector);
            for (PluginRegistry<?> r : List.of(a, e, b)) {
                r.problems().forEach(p -> LOG.warn(p));
            }
            return new Forward4j(config, a, e, b);
        }

        @SuppressWarnings("unchecked")
        private <P extends PluginProvider<?>> PluginRegistry<P> registry(PluginKind<P> kind, Injector injector) {
            Key<Map<String, java.util.Set<P>>> key = (Key<Map<String, java.util.Set<P>>>) Key.get(
                    Types.mapOf(String.class, Types.setOf(kind.type())));
            Map<String, java.util.Set<P>> bound = injector.getInstance(key);
            List<? extends PluginProvider<?>> given = explicit.get(kind);
            if (given != null) {
                return PluginRegistry.of(kind, (List<? extends P>) given, bound);
            }
            return PluginRegistry.discover(kind, loader, bound);
        }
    }
}
