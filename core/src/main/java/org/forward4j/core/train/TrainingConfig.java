package org.forward4j.core.train;

import java.util.Arrays;
import org.forward4j.plugin.Settings;

/**
 * Validated training settings (keys without the {@code forward4j.} prefix). Every field has a default; see
 * {@link #from(Settings)} for the keys.
 *
 * @param allocator allocator name ({@code allocator}, default {@code uniform})
 * @param estimator estimator name ({@code estimator}, default {@code spsa})
 * @param backend backend name or {@code auto} ({@code backend}, default {@code cpu})
 * @param dataset dataset spec ({@code dataset}, default {@code mnist})
 * @param hidden hidden layer widths ({@code hidden}, comma-separated, default {@code 64})
 * @param activation hidden activation ({@code activation}: relu, tanh, identity; default relu)
 * @param epochs passes over the training set ({@code epochs}, default 30)
 * @param batchSize points per mini-batch B ({@code batch-size}, default 64)
 * @param queriesPerPoint budget N / B ({@code queries-per-point}, default 16)
 * @param seed the seed of all randomness ({@code seed}, default 1)
 * @param optimizer {@code optimizer}: adam, sgd, momentum (Nesterov); default adam
 * @param learningRate {@code learning-rate}, default 1e-3
 * @param momentum {@code momentum} for the momentum optimiser, default 0.9
 * @param schedule {@code schedule}: constant, step, exponential; default constant
 * @param scheduleDecay {@code schedule-decay}: factor per step of the schedule (step) or per epoch (exponential),
 *     default 0.5
 * @param scheduleEpochs {@code schedule-epochs}: epochs between decays of the step schedule, default 10
 * @param minDraws A_min ({@code min-draws}, default 1)
 * @param maxDraws A_max ({@code max-draws}, 0 = no bound beyond the budget; default 0)
 * @param proxy proxy source for allocators that use proxies ({@code proxy}: pilot, clean, previous; default pilot)
 * @param pilotInEstimate whether pilot draws enter the estimate ({@code pilot-in-estimate}, default true)
 * @param evalEvery evaluate every this many steps ({@code eval-every}, 0 = once per epoch; default 0)
 * @param nonFinite what a NaN or infinite loss does ({@code non-finite}: fail, skip; default fail)
 * @param trainLimit use only the first rows of the training set ({@code train-limit}, 0 = all)
 * @param testLimit use only the first rows of the test set ({@code test-limit}, 0 = all)
 * @param progress whether to draw a progress bar on stderr ({@code progress}, default true)
 * @param checkpointEvery steps between checkpoints ({@code checkpoint-every}, 0 = only at epoch ends; default 0)
 * @param scale feature scaling fitted on the training split ({@code scale}: none, minmax, standard; default none)
 * @param model the layer graph to train from scratch ({@code model}: a preset, {@code cnn} or {@code vit}, or an
 *     architecture JSON file {@code FILE.json}); empty (the default) for the MLP of {@code hidden}
 * @param init a model file to start from ({@code init}: its architecture and parameters, e.g. a pretrained model);
 *     empty (the default) to start from the seeded initialisation
 * @param trainable which tensors train ({@code trainable}: {@code all} (default), {@code last:K}, {@code head},
 *     {@code biases}, {@code names:REGEX}, or a comma-separated union); the others are frozen and never perturbed
 * @param shots train on a fixed, seeded subset of this many rows per class of the training split ({@code shots},
 *     0 = every row; default 0)
 * @param runner where the steps run ({@code runner}, default {@code local}: this JVM; {@code spark}: a Spark cluster,
 *     through the {@code runner-spark} assembly and {@code spark-submit}); the runner's own settings are
 *     {@code forward4j.runner.*} keys, read by the runner and ignored here
 * @param effective every training key with the value the run uses, defaults included (for provenance)
 */
public record TrainingConfig(String allocator, String estimator, String backend, String dataset, int[] hidden,
                             String activation, int epochs, int batchSize, int queriesPerPoint, long seed,
                             Optimizers.Kind optimizer, double learningRate, double momentum, Optimizers.Schedule schedule,
                             double scheduleDecay, int scheduleEpochs, int minDraws, int maxDraws, Proxy proxy,
                             boolean pilotInEstimate, int evalEvery, NonFinitePolicy nonFinite, int trainLimit,
                             int testLimit, boolean progress, int checkpointEvery, Scale scale, String model,
                             String init, String trainable, int shots, String runner,
                             java.util.Map<String, String> effective) {

    /** The allocator used when none is configured. */
    public static final String DEFAULT_ALLOCATOR = "uniform";
    /** The estimator used when none is configured. */
    public static final String DEFAULT_ESTIMATOR = "spsa";
    /** The backend used when none is configured. */
    public static final String DEFAULT_BACKEND = "cpu";
    /** The runner used when none is configured: training in this JVM. */
    public static final String LOCAL_RUNNER = "local";

    /**
     * How features are scaled before training: an explicit choice, fitted on the training split only and applied to
     * both splits, recorded with the results. The default never changes the data.
     */
    public enum Scale {
        /** Features as the dataset gives them (image loaders give pixel / 255). */
        NONE,
        /** Per feature to [0, 1] by the training split's minimum and maximum (constant features become 0). */
        MINMAX,
        /** Per feature to mean 0 and standard deviation 1 on the training split (constant features become 0). */
        STANDARD
    }

    /**
     * The plugin a kind selects in raw settings, before validation: what {@link #from} will return, so that plugin
     * problems can be reported together with training problems.
     *
     * @param all the resolved configuration
     * @param kind {@code allocator}, {@code estimator} or {@code backend}
     * @return the configured name or the default
     */
    public static String pluginName(Settings all, String kind) {
        String fallback = switch (kind) {
            case "allocator" -> DEFAULT_ALLOCATOR;
            case "estimator" -> DEFAULT_ESTIMATOR;
            default -> DEFAULT_BACKEND;
        };
        return all.raw("forward4j." + kind).orElse(fallback);
    }

    /** Where allocators get the per-point proxy lambda_i (docs/method.md §3.2). */
    public enum Proxy {
        /** A pilot round of one draw per point whose queries are part of the estimate (the default). */
        PILOT,
        /** A clean evaluation of every point, counted and taken out of the step's budget. */
        CLEAN,
        /** The point's mean loss from its previous visit (free, stale). */
        PREVIOUS
    }

    /** What a non-finite loss does. */
    public enum NonFinitePolicy {
        /** Throw {@link org.forward4j.plugin.NonFiniteLossException} naming the point and the query. */
        FAIL,
        /** Drop the step (parameters unchanged), count it in the results and go on. */
        SKIP
    }

    /** The keys this record reads (without the prefix), for validation of unknown keys. */
    static final String[] KEYS = {"allocator", "estimator", "backend", "dataset", "hidden", "activation", "epochs",
        "batch-size", "queries-per-point", "seed", "optimizer", "learning-rate", "momentum", "schedule",
        "schedule-decay", "schedule-epochs", "min-draws", "max-draws", "proxy", "pilot-in-estimate", "eval-every",
        "non-finite", "train-limit", "test-limit", "progress", "checkpoint-every", "scale", "model", "init",
        "trainable", "shots", "runner"};

    /** The layer-graph presets {@code model} names. */
    public static final java.util.List<String> MODEL_PRESETS = java.util.List.of("cnn", "vit");

    /**
     * Reads and validates the training settings; every problem is reported at once.
     *
     * @param all the resolved configuration with {@code forward4j.} prefixes; keys of plugins
     *     ({@code forward4j.allocator.*} etc.), of the runner ({@code forward4j.runner.*}) and of the application
     *     ({@code forward4j.app.*}) are ignored here
     * @return the config
     * @throws org.forward4j.plugin.InvalidConfigurationException listing every invalid or unknown key
     */
    public static TrainingConfig from(Settings all) {
        java.util.Map<String, String> own = new java.util.TreeMap<>();
        all.withPrefix("forward4j.").asMap().forEach((k, v) -> {
            boolean pluginKey = k.startsWith("allocator.") || k.startsWith("estimator.") || k.startsWith("backend.")
                    || k.startsWith("app.") || k.startsWith("runner.");
            if (!pluginKey) {
                own.put(k, v);
            }
        });
        Settings training = Settings.of(own);
        Settings.Reader r = training.reader("training (forward4j.*)");
        String allocator = r.stringValue("allocator", DEFAULT_ALLOCATOR);
        String estimator = r.stringValue("estimator", DEFAULT_ESTIMATOR);
        String backend = r.stringValue("backend", DEFAULT_BACKEND);
        String dataset = r.stringValue("dataset", "mnist");
        String hiddenText = r.stringValue("hidden", "64");
        int[] hidden = parseHidden(hiddenText, r);
        String activation = r.stringValue("activation", "relu");
        r.check(Arrays.asList("relu", "tanh", "identity").contains(activation),
                "activation=" + activation + " is not one of [relu, tanh, identity]");
        int epochs = r.intValue("epochs", 30, 1, 1_000_000);
        int batch = r.intValue("batch-size", 64, 1, 32767);
        int qpp = r.intValue("queries-per-point", 16, 1, 1_000_000);
        long seed = r.longValue("seed", 1, Long.MIN_VALUE, Long.MAX_VALUE);
        Optimizers.Kind opt = r.enumValue("optimizer", Optimizers.Kind.class, Optimizers.Kind.ADAM);
        double lr = r.doubleValue("learning-rate", 1e-3, 1e-12, 1e3);
        double momentum = r.doubleValue("momentum", 0.9, 0, 0.999999);
        Optimizers.Schedule schedule = r.enumValue("schedule", Optimizers.Schedule.class, Optimizers.Schedule.CONSTANT);
        double decay = r.doubleValue("schedule-decay", 0.5, 1e-9, 1);
        int scheduleEpochs = r.intValue("schedule-epochs", 10, 1, 1_000_000);
        int minDraws = r.intValue("min-draws", 1, 1, 65535);
        int maxDraws = r.intValue("max-draws", 0, 0, 65535);
        r.check(maxDraws == 0 || maxDraws >= minDraws, "max-draws=" + maxDraws + " is below min-draws=" + minDraws
                + "; raise max-draws or set it to 0 (no bound)");
        Proxy proxy = r.enumValue("proxy", Proxy.class, Proxy.PILOT);
        boolean pilotIn = r.booleanValue("pilot-in-estimate", true);
        int evalEvery = r.intValue("eval-every", 0, 0, Integer.MAX_VALUE);
        NonFinitePolicy nonFinite = r.enumValue("non-finite", NonFinitePolicy.class, NonFinitePolicy.FAIL);
        int trainLimit = r.intValue("train-limit", 0, 0, Integer.MAX_VALUE);
        int testLimit = r.intValue("test-limit", 0, 0, Integer.MAX_VALUE);
        boolean progress = r.booleanValue("progress", true);
        int checkpointEvery = r.intValue("checkpoint-every", 0, 0, Integer.MAX_VALUE);
        Scale scale = r.enumValue("scale", Scale.class, Scale.NONE);
        String model = r.stringValue("model", "").trim();
        String init = r.stringValue("init", "").trim();
        String trainable = r.stringValue("trainable", "all").trim();
        int shots = r.intValue("shots", 0, 0, 1_000_000);
        String runner = r.stringValue("runner", LOCAL_RUNNER);
        checkModel(model, init, trainable, training, r);
        r.finish();
        return new TrainingConfig(allocator, estimator, backend, dataset, hidden, activation, epochs, batch, qpp, seed,
                opt, lr, momentum, schedule, decay, scheduleEpochs, minDraws, maxDraws, proxy, pilotIn, evalEvery,
                nonFinite, trainLimit, testLimit, progress, checkpointEvery, scale, model, init, trainable, shots, runner,
                java.util.Collections.unmodifiableMap(training.effective()));
    }

    /**
     * Whether the run trains the MLP of {@code hidden} with its own engine: no layer graph, no model file, every
     * tensor trainable. Then the run's numbers are exactly those of forward4j before layer graphs.
     *
     * @return true for the plain MLP run
     */
    public boolean plainMlp() {
        return model.isEmpty() && init.isEmpty() && trainsAll();
    }

    /**
     * Whether every tensor trains ({@code trainable=all}, in any case).
     *
     * @return true when nothing is frozen
     */
    public boolean trainsAll() {
        return trainable.equalsIgnoreCase("all");
    }

    /**
     * The checks of model, init and trainable that need no data: a preset or an existing JSON file, an existing model
     * file, not both, no MLP settings beside a graph, and a selection of the documented forms. What needs the graph
     * or the data (K beyond the blocks, a selection matching nothing, a model that does not fit the data) is checked
     * when the run builds its model.
     */
    private static void checkModel(String model, String init, String trainable, Settings training, Settings.Reader r) {
        if (!model.isEmpty() && !MODEL_PRESETS.contains(model.toLowerCase(java.util.Locale.ROOT))) {
            if (!model.toLowerCase(java.util.Locale.ROOT).endsWith(".json")) {
                r.check(false, "model=" + model + " is neither a preset " + MODEL_PRESETS + " nor an architecture "
                        + "JSON file (FILE.json)" + org.forward4j.plugin.Suggestions.hint(model, MODEL_PRESETS));
            } else if (!java.nio.file.Files.isRegularFile(java.nio.file.Path.of(model))) {
                r.check(false, "model=" + model + ": the architecture file does not exist");
            } else {
                try {
                    org.forward4j.core.model.Graphs.read(java.nio.file.Path.of(model));
                } catch (org.forward4j.plugin.InvalidConfigurationException e) {
                    r.check(false, "model=" + model + ": " + e.getMessage());
                }
            }
        }
        if (!init.isEmpty()) {
            java.nio.file.Path p = java.nio.file.Path.of(init);
            r.check(java.nio.file.Files.exists(p), "init=" + init + ": the model file does not exist");
            r.check(!java.nio.file.Files.isDirectory(p) || java.nio.file.Files.isRegularFile(
                    p.resolve(org.forward4j.core.model.ModelFile.FILE_NAME)), "init=" + init + " is a directory "
                    + "without a " + org.forward4j.core.model.ModelFile.FILE_NAME);
            r.check(model.isEmpty(), "give model or init, not both: the model file " + init + " brings its own "
                    + "architecture");
        }
        if (!model.isEmpty() || !init.isEmpty()) {
            for (String mlpKey : new String[] {"hidden", "activation"}) {
                r.check(training.raw(mlpKey).isEmpty(), mlpKey + " shapes the MLP and does not apply to "
                        + (model.isEmpty() ? "init=" + init : "model=" + model) + "; remove it");
            }
        }
        if (trainable.isEmpty()) {
            r.check(false, "trainable is empty; use all, head, last:K, biases or names:REGEX");
        }
        for (String part : trainable.isEmpty() ? new String[0] : trainable.split(",")) {
            String low = part.trim().toLowerCase(java.util.Locale.ROOT);
            if (low.equals("all") || low.equals("head") || low.equals("biases")) {
                continue;
            }
            if (low.startsWith("last:")) {
                try {
                    r.check(Integer.parseInt(low.substring(5)) >= 1, "trainable=" + trainable + ": K of last:K must "
                            + "be at least 1");
                } catch (NumberFormatException e) {
                    r.check(false, "trainable=" + trainable + ": K of last:K must be a whole number");
                }
            } else if (low.startsWith("names:")) {
                try {
                    java.util.regex.Pattern.compile(part.trim().substring(6));
                } catch (java.util.regex.PatternSyntaxException e) {
                    r.check(false, "trainable=" + trainable + ": " + part.trim() + " is not a valid regular "
                            + "expression (" + e.getDescription() + ")");
                }
            } else {
                r.check(false, "trainable=" + trainable + ": '" + part.trim() + "' is not a selection"
                        + org.forward4j.plugin.Suggestions.hint(low, java.util.List.of("all", "head", "biases"))
                        + "; use all, head, last:K, biases or names:REGEX, or a comma-separated union");
            }
        }
    }

    private static int[] parseHidden(String text, Settings.Reader r) {
        if (text.isBlank() || text.equals("none")) {
            return new int[0];
        }
        String[] parts = text.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].trim());
                r.check(out[i] > 0, "hidden=" + text + " has a non-positive width; use e.g. 64 or 256,128");
            } catch (NumberFormatException e) {
                r.check(false, "hidden=" + text + " is not a comma-separated list of widths; use e.g. 64 or 256,128");
                return new int[] {64};
            }
        }
        return out;
    }

    @Override
    public int[] hidden() {
        return hidden.clone();
    }
}
