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
                             int testLimit, boolean progress, int checkpointEvery, Scale scale, String runner,
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
        "non-finite", "train-limit", "test-limit", "progress", "checkpoint-every", "scale", "runner"};

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
        String runner = r.stringValue("runner", LOCAL_RUNNER);
        r.finish();
        return new TrainingConfig(allocator, estimator, backend, dataset, hidden, activation, epochs, batch, qpp, seed,
                opt, lr, momentum, schedule, decay, scheduleEpochs, minDraws, maxDraws, proxy, pilotIn, evalEvery,
                nonFinite, trainLimit, testLimit, progress, checkpointEvery, scale, runner,
                java.util.Collections.unmodifiableMap(training.effective()));
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
