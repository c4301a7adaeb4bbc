package org.forward4j.cli.finetune;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.forward4j.cli.Forward4jCli;
import org.forward4j.cli.RunDirectory;
import org.forward4j.plugin.InvalidConfigurationException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code forward4j finetune}: the FLOPS paper's main experiment, small, in one command. It exists so that the claim
 * "forward-only fine-tuning with a learned query allocation saves queries" can be checked end to end by anyone with
 * this repository and a few minutes, without writing scripts around {@code pretrain}, {@code train} and
 * {@code compare}: pretrain (cached), fine-tune few-shot under every method at equal queries, bracket the forward
 * methods between a backprop ceiling and a linear-probe floor, and report savings with intervals. See
 * docs/finetune.md.
 */
@Command(name = "finetune", mixinStandardHelpOptions = true, sortOptions = false,
        description = "The paper's experiment in one command: pretrain cnn/vit by backprop on Fashion-MNIST (cached), "
                + "fine-tune 16-shot on MNIST forward-only (lr under uniform/neyman/optimal, spsa) at equal queries, "
                + "with backprop ceiling and linear-probe floor; writes summary.md, summary.json, runs.csv and "
                + "accuracy-<model>.png.")
public final class FinetuneCommand implements Callable<Integer> {

    /** The presets the experiment knows how to pretrain and fine-tune. */
    static final List<String> MODELS = List.of("cnn", "vit");

    @ParentCommand
    Forward4jCli root;

    @Option(names = "--models", split = ",", paramLabel = "MODEL", description = "models to run, of cnn,vit "
            + "(default cnn,vit)")
    List<String> models = new ArrayList<>(MODELS);

    @Option(names = "--seeds", paramLabel = "N", description = "seeds per method, starting at --seed (default 5)")
    int seeds = 5;

    @Option(names = "--seed", description = "first seed; it also draws the shots and seeds pretraining (default 1)")
    long seed = 1;

    @Option(names = "--shots", paramLabel = "K", description = "fine-tuning rows per class of MNIST (default 16: 160 "
            + "rows)")
    int shots = 16;

    @Option(names = "--dataset", description = "fine-tuning dataset (default mnist, bundled)")
    String dataset = "mnist";

    @Option(names = "--test-limit", paramLabel = "ROWS", description = "test rows every evaluation scores "
            + "(default 2000)")
    int testLimit = 2000;

    @Option(names = {"-b", "--batch-size"}, description = "fine-tuning rows per step (default 32)")
    int batchSize = 32;

    @Option(names = {"-q", "--queries-per-point"}, split = ",", paramLabel = "[MODEL=]Q", description = "forward "
            + "queries per point and step, every forward method of a model alike: Q for every model, or per model "
            + "(default cnn=64,vit=512)")
    List<String> queriesPerPoint = new ArrayList<>();

    @Option(names = {"-e", "--epochs"}, split = ",", paramLabel = "MODEL=E", description = "fine-tuning epochs up to "
            + "the budget N, per model (default cnn=30,vit=30); backprop runs as many")
    Map<String, Integer> epochs = new LinkedHashMap<>();

    @Option(names = {"--lr", "--learning-rate"}, split = ",", paramLabel = "MODEL=LR", description = "fine-tuning "
            + "learning rate (adam) per model, forward methods and the backprop ceiling (default cnn=1e-2,vit=1e-2)")
    Map<String, Double> learningRates = new LinkedHashMap<>();

    @Option(names = "--trainable", paramLabel = "MODEL=SPEC", description = "tensors fine-tuned per model, repeat "
            + "the option per model (default cnn=last:2; vit: its last block's class-token path, the final norm and "
            + "the head, " + Defaults.VIT_CLASS_PATH + ")")
    Map<String, String> trainable = new LinkedHashMap<>();

    @Option(names = "--sigma", split = ",", paramLabel = "MODEL=S", description = "lr's activation-noise scale per "
            + "model (default: the estimator's, 1e-2)")
    Map<String, Double> sigma = new LinkedHashMap<>();

    @Option(names = "--head-lr", description = "learning rate of the linear-probe floor (default 1e-2)")
    double headLearningRate = 1e-2;

    @Option(names = "--uniform-factor", description = "uniform trains up to this multiple of the budget, for the "
            + "saving to the allocator's own accuracy (default 3)")
    int uniformFactor = 3;

    @Option(names = "--no-grid", description = "skip the learning rate x queries-per-point grid of savings (run by "
            + "default)")
    boolean noGrid;

    @Option(names = "--grid-models", split = ",", paramLabel = "MODEL", description = "models of the grid (default "
            + "cnn)")
    List<String> gridModels = new ArrayList<>(List.of("cnn"));

    @Option(names = "--grid-seeds", paramLabel = "N", description = "seeds per grid cell (default 3)")
    int gridSeeds = 3;

    @Option(names = "--grid-lrs", split = ",", paramLabel = "LR", description = "grid learning rates (default "
            + "1e-3,3e-3,1e-2)")
    List<Double> gridLearningRates = new ArrayList<>(List.of(1e-3, 3e-3, 1e-2));

    @Option(names = "--grid-queries", split = ",", paramLabel = "Q", description = "grid queries per point (default "
            + "4,16,64)")
    List<Integer> gridQueries = new ArrayList<>(List.of(4, 16, 64));

    @Option(names = "--grid-epochs", paramLabel = "E", description = "epochs of the grid's runs (default: the "
            + "model's --epochs, so the grid cell of the main setting reuses its runs)")
    Integer gridEpochs;

    @Option(names = "--pretrain-dataset", description = "pretraining dataset (default fashion-mnist, from the Debian "
            + "package dataset-fashion-mnist)")
    String pretrainDataset = "fashion-mnist";

    @Option(names = "--pretrain-epochs", split = ",", paramLabel = "MODEL=E", description = "pretraining epochs per "
            + "model (default cnn=1,vit=6)")
    Map<String, Integer> pretrainEpochs = new LinkedHashMap<>();

    @Option(names = "--pretrain-limit", paramLabel = "ROWS", description = "pretraining rows (default 0: all, "
            + "60,000 for Fashion-MNIST)")
    int pretrainLimit;

    @Option(names = "--pretrain-lr", description = "pretraining learning rate, adam (default 1e-3)")
    double pretrainLearningRate = 1e-3;

    @Option(names = "--pretrain-batch-size", description = "pretraining rows per step (default 64)")
    int pretrainBatch = 64;

    @Option(names = "--pretrain-threads", description = "ND4J threads for pretraining (default 2; the weights' "
            + "last bits depend on it, so it is part of the cache key)")
    int pretrainThreads = 2;

    @Option(names = "--cache", paramLabel = "DIR", description = "where pretrained models are kept and reused "
            + "(default runs/pretrained)")
    Path cache = Path.of("runs", "pretrained");

    @Option(names = {"-D", "--set"}, paramLabel = "KEY=VALUE", description = "any setting of the fine-tuning runs, "
            + "e.g. -D backend.prefix-cache-mb=1024")
    Map<String, String> extra = new LinkedHashMap<>();

    @Option(names = "--no-progress", description = "no progress bar (there is none anyway off a terminal)")
    boolean noProgress;

    @Option(names = {"-o", "--output"}, description = "output directory (default runs/finetune); it must not hold "
            + "another finetune run unless --overwrite is given")
    Path output = Path.of("runs", "finetune");

    @Option(names = "--overwrite", description = "replace the run the output directory holds")
    boolean overwrite;

    /**
     * Runs the experiment. Kept as the only public entry so that the experiment's steps can change without a
     * compatibility promise; everything it calls is package-private.
     *
     * @return the exit status (0; failures are thrown and reported by {@link Forward4jCli})
     */
    @Override
    public Integer call() {
        Plan plan = validate();
        boundNativeMemory();
        long t0 = System.nanoTime();
        try (RunDirectory dir = RunDirectory.open(output, overwrite, Summary.FILES)) {
            Finetune f = new Finetune(root::engine, plan, System.out);
            Finetune.Results results = f.run();
            Summary.write(dir.path(), plan, results, (System.nanoTime() - t0) / 1e9);
            System.out.printf(Locale.ROOT, "total wall time %s; results in %s (%s)%n",
                    Experiment.clock((System.nanoTime() - t0) / 1e9), dir.path(), String.join(", ",
                            Summary.outputs(plan)));
        }
        return 0;
    }

    /** The resident-memory level above which JavaCPP collects garbage before allocating more native memory. */
    static final String NATIVE_LIMIT = "6g";

    /**
     * Keeps the resident memory of backprop pretraining bounded. JavaCPP's default ceiling is twice the heap limit
     * (16 GB under the launcher's -Xmx8g), and ND4J's native buffers are freed only when their Java objects are
     * collected; with a heap that rarely fills, a one-epoch cnn pretraining on Fashion-MNIST grew to 16 GB resident
     * and was killed on a shared 24 GB machine. With the ceiling at {@value #NATIVE_LIMIT} the same run peaks at
     * 3.5 GB in the same time. A value given with -Dorg.bytedeco.javacpp.maxPhysicalBytes (e.g. in
     * FORWARD4J_JAVA_OPTS) wins.
     */
    private static void boundNativeMemory() {
        if (System.getProperty("org.bytedeco.javacpp.maxPhysicalBytes") == null
                && System.getProperty("org.bytedeco.javacpp.maxphysicalbytes") == null) {
            System.setProperty("org.bytedeco.javacpp.maxPhysicalBytes", NATIVE_LIMIT);
        }
    }

    /** Checks every option and resolves the per-model defaults, one {@code error:} line per bad value. */
    private Plan validate() {
        List<String> ms = lower(models, "--models");
        if (ms.isEmpty()) {
            throw new InvalidConfigurationException("--models is empty; give cnn, vit or cnn,vit");
        }
        List<String> gm = !noGrid ? lower(gridModels, "--grid-models") : List.of();
        positive("--seeds", seeds);
        positive("--shots", shots);
        positive("--test-limit", testLimit);
        positive("--batch-size", batchSize);
        positive("--uniform-factor", uniformFactor);
        positive("--pretrain-batch-size", pretrainBatch);
        positive("--pretrain-threads", pretrainThreads);
        if (gridEpochs != null) {
            positive("--grid-epochs", gridEpochs);
        }
        if (!noGrid) {
            positive("--grid-seeds", gridSeeds);
        }
        if (pretrainLimit < 0) {
            throw new InvalidConfigurationException("--pretrain-limit=" + pretrainLimit + " is negative; give a "
                    + "number of rows, or 0 for all");
        }
        rate("--head-lr", headLearningRate);
        rate("--pretrain-lr", pretrainLearningRate);
        for (double lr : gridLearningRates) {
            rate("--grid-lrs", lr);
        }
        for (int q : gridQueries) {
            positive("--grid-queries", q);
        }
        keys("--epochs", epochs);
        Map<String, Integer> queries = queriesPerModel();
        keys("--lr", learningRates);
        keys("--trainable", trainable);
        keys("--sigma", sigma);
        keys("--pretrain-epochs", pretrainEpochs);
        Map<String, Plan.ModelPlan> per = new LinkedHashMap<>();
        for (String m : MODELS) {
            if (!ms.contains(m) && !gm.contains(m)) {
                continue;
            }
            int e = epochs.getOrDefault(m, Defaults.EPOCHS.get(m));
            positive("--epochs " + m, e);
            double lr = learningRates.getOrDefault(m, Defaults.LEARNING_RATE.get(m));
            rate("--lr " + m, lr);
            int pe = pretrainEpochs.getOrDefault(m, Defaults.PRETRAIN_EPOCHS.get(m));
            positive("--pretrain-epochs " + m, pe);
            Double s = sigma.containsKey(m) ? sigma.get(m) : Defaults.SIGMA.get(m);
            if (s != null && !(s > 0)) {
                throw new InvalidConfigurationException("--sigma " + m + "=" + s + " must be positive, e.g. 1e-2");
            }
            int q = queries.getOrDefault(m, Defaults.QUERIES_PER_POINT.get(m));
            positive("--queries-per-point " + m, q);
            String spec = trainable.getOrDefault(m, Defaults.TRAINABLE.get(m));
            Pretraining.Settings pre = new Pretraining.Settings(m, pretrainDataset.strip(), pe, pretrainLimit,
                    testLimit, pretrainBatch, pretrainLearningRate, seed, pretrainThreads);
            per.put(m, new Plan.ModelPlan(m, spec, lr, e, q, s, pre));
        }
        Map<String, String> common = new LinkedHashMap<>();
        common.put("dataset", dataset);
        common.put("shots", Integer.toString(shots));
        common.put("test-limit", Integer.toString(testLimit));
        common.put("batch-size", Integer.toString(batchSize));
        common.put("seed", Long.toString(seed));
        common.put("optimizer", "adam");
        if (noProgress) {
            common.put("progress", "false");
        }
        extra.forEach((k, v) -> common.put(k.startsWith("forward4j.") ? k.substring("forward4j.".length()) : k, v));
        return new Plan(ms, gm, per, seeds, seed, shots, testLimit, batchSize, uniformFactor,
                headLearningRate, gridSeeds, List.copyOf(gridLearningRates), List.copyOf(gridQueries), gridEpochs,
                cache, common);
    }

    /** {@code -q}: a bare Q sets every model, {@code MODEL=Q} one model (later entries win). */
    private Map<String, Integer> queriesPerModel() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String entry : queriesPerPoint) {
            String v = entry.strip();
            int eq = v.indexOf('=');
            String value = eq < 0 ? v : v.substring(eq + 1).strip();
            int q;
            try {
                q = Integer.parseInt(value);
            } catch (NumberFormatException ex) {
                throw new InvalidConfigurationException("--queries-per-point " + entry + ": '" + value + "' is not a "
                        + "whole number; write -q 16 (every model) or -q cnn=16,vit=128");
            }
            if (eq < 0) {
                MODELS.forEach(m -> out.put(m, q));
            } else {
                String m = v.substring(0, eq).strip().toLowerCase(Locale.ROOT);
                if (!MODELS.contains(m)) {
                    throw new InvalidConfigurationException("--queries-per-point " + entry + ": '" + m + "' is not "
                            + "a model; write -q 16 (every model) or -q cnn=16,vit=128");
                }
                out.put(m, q);
            }
        }
        return out;
    }

    private static List<String> lower(List<String> names, String option) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            String m = n.strip().toLowerCase(Locale.ROOT);
            if (!MODELS.contains(m)) {
                throw new InvalidConfigurationException(option + " names '" + n + "', which is not a model of this "
                        + "experiment; use " + String.join(", ", MODELS) + " (comma-separated)");
            }
            if (!out.contains(m)) {
                out.add(m);
            }
        }
        return out;
    }

    private static void keys(String option, Map<String, ?> map) {
        for (String k : map.keySet()) {
            if (!MODELS.contains(k.strip().toLowerCase(Locale.ROOT))) {
                throw new InvalidConfigurationException(option + " " + k + "=" + map.get(k) + ": '" + k + "' is not "
                        + "a model; write " + option + " cnn=VALUE or vit=VALUE");
            }
        }
    }

    private static void positive(String option, int value) {
        if (value < 1) {
            throw new InvalidConfigurationException(option + "=" + value + " must be at least 1");
        }
    }

    private static void rate(String option, double value) {
        if (!(value > 0) || value > 10) {
            throw new InvalidConfigurationException(option + "=" + value + " is not a usable learning rate; give a "
                    + "positive value such as 3e-3");
        }
    }

    /** The default sizes, chosen to fit the time budget of docs/finetune.md. */
    static final class Defaults {
        static final Map<String, Integer> EPOCHS = Map.of("cnn", 30, "vit", 30);
        static final Map<String, Double> LEARNING_RATE = Map.of("cnn", 1e-2, "vit", 1e-2);
        /**
         * The vit's: the tensors that act on the class token alone in its last block (query and output
         * projections, second layer norm, MLP), the final norm and the head. Keys, values and the block's first
         * norm stay frozen: lr would perturb them at all 17 tokens, 1,632 of the 1,866 noisy values per query of
         * {@code last:3} (docs/finetune.md).
         */
        static final String VIT_CLASS_PATH = "names:blocks\\.1\\.(attn\\.(q|o)|ln2|mlp1|mlp2)\\..*|norm\\..*|head\\..*";
        static final Map<String, String> TRAINABLE = Map.of("cnn", "last:2", "vit", VIT_CLASS_PATH);
        static final Map<String, Integer> QUERIES_PER_POINT = Map.of("cnn", 64, "vit", 512);
        static final Map<String, Integer> PRETRAIN_EPOCHS = Map.of("cnn", 1, "vit", 6);
        static final Map<String, Double> SIGMA = new java.util.HashMap<>();

        private Defaults() {
        }
    }
}
