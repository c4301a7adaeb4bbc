package org.forward4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Options shared by the training commands. Each option is a configuration key; only options given on the command
 * line override the other sources (config file, FORWARD4J_* environment variables, forward4j.* system properties).
 */
public final class ConfigOptions {

    @Option(names = "--config", paramLabel = "FILE", description = "properties file with forward4j.* keys")
    Path config;

    /**
     * The config file given with {@code --config}.
     *
     * @return the file, or null
     */
    public Path configFile() {
        return config;
    }

    @Option(names = "--dataset", description = "mnist (bundled), fashion-mnist, idx:<dir>, csv:<train>,<test>")
    String dataset;

    @Option(names = "--hidden", description = "hidden widths, comma-separated (default 64)")
    String hidden;

    @Option(names = "--model", paramLabel = "cnn|vit|FILE.json", description = "train a layer graph from scratch "
            + "instead of the MLP of --hidden: the cnn or vit preset (28 x 28 images) or an architecture JSON file")
    String model;

    @Option(names = "--init", paramLabel = "MODEL", description = "start from a model file (e.g. one written by "
            + "pretrain or train): its architecture and parameters")
    String init;

    @Option(names = "--trainable", paramLabel = "SPEC", description = "which tensors train, the rest frozen: all "
            + "(default), head, last:K, biases, names:REGEX, or a comma-separated union")
    String trainable;

    @Option(names = "--shots", paramLabel = "K", description = "train on K rows per class of the training split, "
            + "a fixed subset drawn with the seed (default: every row)")
    Integer shots;

    @Option(names = "--activation", description = "relu, tanh or identity (default relu)")
    String activation;

    @Option(names = "--estimator", description = "estimator name: spsa, rge, lr, ... (default spsa)")
    String estimator;

    @Option(names = "--allocator", description = "allocator name: uniform, neyman, optimal, ... (default uniform)")
    String allocator;

    @Option(names = "--backend", description = "cpu, opencl or auto (default cpu)")
    String backend;

    @Option(names = {"-q", "--queries-per-point"}, description = "query budget per point and step (default 16)")
    Integer queriesPerPoint;

    @Option(names = {"-b", "--batch-size"}, description = "points per mini-batch (default 64)")
    Integer batchSize;

    @Option(names = {"-e", "--epochs"}, description = "epochs (default 30)")
    Integer epochs;

    @Option(names = "--seed", description = "seed of all randomness (default 1)")
    Long seed;

    @Option(names = "--optimizer", description = "adam, sgd or momentum (default adam)")
    String optimizer;

    @Option(names = {"--lr", "--learning-rate"}, description = "learning rate (default 1e-3)")
    Double learningRate;

    @Option(names = "--train-limit", description = "use only the first N training rows")
    Integer trainLimit;

    @Option(names = "--test-limit", description = "use only the first N test rows")
    Integer testLimit;

    @Option(names = "--eval-every", description = "evaluate every N steps (default: once per epoch)")
    Integer evalEvery;

    @Option(names = "--no-progress", description = "no progress bar (there is none anyway when stderr is not a "
            + "terminal)")
    boolean noProgress;

    @Option(names = "--scale", description = "feature scaling, fitted on the training split: none (default: the data "
            + "as loaded), minmax or standard")
    String scale;

    @Option(names = {"-D", "--set"}, paramLabel = "KEY=VALUE",
            description = "any setting, e.g. -D estimator.scale=1e-3 -D allocator.beta=0.2 -D proxy=clean")
    Map<String, String> extra = new LinkedHashMap<>();

    /**
     * The options given, as configuration overrides (keys without the {@code forward4j.} prefix).
     *
     * @return the overrides
     */
    public Map<String, String> overrides() {
        Map<String, String> m = new LinkedHashMap<>();
        put(m, "dataset", dataset);
        put(m, "hidden", hidden);
        put(m, "model", model);
        put(m, "init", init);
        put(m, "trainable", trainable);
        put(m, "shots", shots);
        put(m, "activation", activation);
        put(m, "estimator", estimator);
        put(m, "allocator", allocator);
        put(m, "backend", backend);
        put(m, "queries-per-point", queriesPerPoint);
        put(m, "batch-size", batchSize);
        put(m, "epochs", epochs);
        put(m, "seed", seed);
        put(m, "optimizer", optimizer);
        put(m, "learning-rate", learningRate);
        put(m, "train-limit", trainLimit);
        put(m, "test-limit", testLimit);
        put(m, "eval-every", evalEvery);
        put(m, "scale", scale);
        if (noProgress) {
            m.put("progress", "false");
        }
        extra.forEach((k, v) -> m.put(k.startsWith("forward4j.") ? k.substring("forward4j.".length()) : k, v));
        return m;
    }

    private static void put(Map<String, String> m, String key, Object value) {
        if (value != null) {
            m.put(key, value.toString());
        }
    }
}
