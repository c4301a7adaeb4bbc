package org.forward4j.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.forward4j.backend.Backend;
import org.forward4j.core.Forward4j;
import org.forward4j.core.model.Mlp;
import org.forward4j.core.train.Trainer;
import org.forward4j.datasets.Dataset;
import org.forward4j.datasets.Datasets;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.InvalidConfigurationException;

/**
 * The work the {@code bench} command and the JMH benchmarks time (docs/method.md §6): full estimator steps on one
 * mini-batch of an MLP, and the plain forward pass that is their physical limit, both through the same {@code cpu}
 * backend evaluator.
 *
 * <p><b>Estimator step.</b> {@code begin}, then {@code finish(draws, true)} with the same number of draws for every
 * point (the uniform allocation, no pilot round; the call the trainer ends each step with, so estimators may
 * assemble while evaluating): planning, batched evaluation and gradient assembly, the
 * whole cost of a step except the optimiser and the allocator. Each step uses the next step number, so its noise is
 * fresh; the parameters and the batch stay fixed.
 *
 * <p><b>Plain forward.</b> The same rows as a step's queries (the batch repeated), unperturbed, evaluated as clean
 * {@link WeightQuery}s of {@value #CHUNK_ROWS} rows each. Splitting them like this gives the backend one task per
 * row chunk, exactly the chunked, parallel GEMMs an activation-noise plan gets; one clean query with all rows would
 * run on a single thread, because the {@code cpu} evaluator parallelises weight plans over directions.
 *
 * <p>Data: the bundled MNIST training rows ({@code Datasets.load("mnist")}); the batch is the first B rows of the
 * trainer's epoch-0 permutation for the seed. Plugins are created from explicit settings only (environment
 * variables and system properties are ignored), so a measurement means what its row says.
 */
public final class QueryThroughput implements AutoCloseable {

    /**
     * The default row chunk ({@code backend.chunk-rows}, the {@code cpu} backend's own default); also the rows of
     * each plain-forward query.
     */
    public static final int CHUNK_ROWS = 256;

    private final DenseNetwork network;
    private final NetworkObjective data;
    private final int batchSize;
    private final int threads;
    private final long seed;
    private final int[] batch;
    private final float[] theta;
    private final String backendName;
    private final int chunkRows;
    private final Backend backend;
    private final QueryEvaluator evaluator;

    /**
     * Sets up an MLP of the given shape on the bundled MNIST training rows.
     *
     * @param shape layer widths such as {@code 784-256-10} (input and class counts must match MNIST)
     * @param batchSize B
     * @param threads the {@code cpu} backend's worker threads
     * @param seed seeds the parameters, the batch and the noise
     * @throws InvalidConfigurationException if the shape or the sizes are invalid
     */
    public QueryThroughput(String shape, int batchSize, int threads, long seed) {
        this(mnistObjective(shape), batchSize, threads, seed, "cpu");
    }

    /**
     * Sets up an MLP of the given shape on the bundled MNIST training rows, on a named backend.
     *
     * @param shape layer widths such as {@code 784-256-10}
     * @param batchSize B
     * @param threads the {@code cpu} backend's worker threads (ignored by other backends)
     * @param seed seeds the parameters, the batch and the noise
     * @param backendName {@code cpu}, {@code opencl} or {@code auto}
     * @throws InvalidConfigurationException if the shape or the sizes are invalid
     */
    public QueryThroughput(String shape, int batchSize, int threads, long seed, String backendName) {
        this(mnistObjective(shape), batchSize, threads, seed, backendName);
    }

    /**
     * Sets up a measurement on any network objective.
     *
     * @param data the objective (its network is the model)
     * @param batchSize B, at most the objective's rows
     * @param threads the {@code cpu} backend's worker threads, at least 1
     * @param seed seeds the parameters, the batch and the noise
     * @throws InvalidConfigurationException if the sizes are invalid
     */
    public QueryThroughput(NetworkObjective data, int batchSize, int threads, long seed) {
        this(data, batchSize, threads, seed, "cpu");
    }

    /**
     * Sets up a measurement on any network objective and a named backend.
     *
     * @param data the objective (its network is the model)
     * @param batchSize B, at most the objective's rows
     * @param threads the {@code cpu} backend's worker threads, at least 1
     * @param seed seeds the parameters, the batch and the noise
     * @param backendName {@code cpu}, {@code opencl} or {@code auto}
     * @throws InvalidConfigurationException if the sizes are invalid
     */
    public QueryThroughput(NetworkObjective data, int batchSize, int threads, long seed, String backendName) {
        this(data, batchSize, threads, seed, backendName, CHUNK_ROWS);
    }

    /**
     * Sets up a measurement on the bundled MNIST training rows with a chosen row chunk: the {@code cpu} backend's
     * {@code chunk-rows} and the rows of each plain-forward query. With B * K = 1,024 rows per step, 512 gives
     * one chunk per core on a 2-core machine, and larger GEMMs (OpenBLAS runs them 5-10% more efficiently).
     *
     * @param shape layer widths such as {@code 784-256-10}
     * @param batchSize B
     * @param threads the {@code cpu} backend's worker threads (ignored by other backends)
     * @param seed seeds the parameters, the batch and the noise
     * @param backendName {@code cpu}, {@code opencl} or {@code auto}
     * @param chunkRows the row chunk, at least 1
     * @throws InvalidConfigurationException if the shape or the sizes are invalid
     */
    public QueryThroughput(String shape, int batchSize, int threads, long seed, String backendName, int chunkRows) {
        this(mnistObjective(shape), batchSize, threads, seed, backendName, chunkRows);
    }

    /**
     * Sets up a measurement on any network objective, a named backend and a row chunk.
     *
     * @param data the objective (its network is the model)
     * @param batchSize B, at most the objective's rows
     * @param threads the {@code cpu} backend's worker threads, at least 1
     * @param seed seeds the parameters, the batch and the noise
     * @param backendName {@code cpu}, {@code opencl} or {@code auto}
     * @param chunkRows the {@code cpu} backend's row chunk and the rows of each plain-forward query, at least 1
     * @throws InvalidConfigurationException if the sizes are invalid
     */
    public QueryThroughput(NetworkObjective data, int batchSize, int threads, long seed, String backendName,
            int chunkRows) {
        this.backendName = backendName;
        if (chunkRows < 1) {
            throw new InvalidConfigurationException("chunk rows must be at least 1, got " + chunkRows);
        }
        this.chunkRows = chunkRows;
        if (batchSize < 1 || batchSize > data.size()) {
            throw new InvalidConfigurationException("batch size " + batchSize + " must be in [1, " + data.size()
                    + "] (the rows of " + data + ")");
        }
        if (threads < 1) {
            throw new InvalidConfigurationException("threads must be at least 1, got " + threads);
        }
        this.data = data;
        this.network = data.network();
        this.batchSize = batchSize;
        this.threads = threads;
        this.seed = seed;
        this.batch = Arrays.copyOf(Trainer.permutation(data.size(), seed, 0), batchSize);
        this.theta = Mlp.initialParameters(network, seed);
        this.backend = engine(Map.of()).newBackend();
        this.evaluator = backend.evaluator(data);
    }

    /**
     * Parses a shape such as {@code 784-1024-1024-10} into an MLP with ReLU hidden layers.
     *
     * @param shape widths joined by {@code -}, input first and classes last
     * @param inputs the data's input width
     * @param classes the data's class count
     * @return the network
     * @throws InvalidConfigurationException if the text is malformed or does not fit the data
     */
    public static DenseNetwork parseShape(String shape, int inputs, int classes) {
        String[] parts = shape == null ? new String[0] : shape.strip().split("-");
        int[] sizes = new int[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                sizes[i] = Integer.parseInt(parts[i].strip());
            }
        } catch (NumberFormatException e) {
            throw new InvalidConfigurationException("Shape '" + shape + "' is not a list of layer widths joined by "
                    + "'-', e.g. 784-256-10", e);
        }
        if (sizes.length < 2 || sizes[0] != inputs || sizes[sizes.length - 1] != classes) {
            throw new InvalidConfigurationException("Shape '" + shape + "' must start with the data's " + inputs
                    + " inputs and end with its " + classes + " classes, e.g. " + inputs + "-256-" + classes);
        }
        return new DenseNetwork(sizes, Activation.RELU);
    }

    private static NetworkObjective mnistObjective(String shape) {
        Dataset train = Datasets.load("mnist").train();
        DenseNetwork net = parseShape(shape, train.cols(), train.classes());
        return Networks.objective(net, train.features(), train.labels());
    }

    private Forward4j engine(Map<String, String> keys) {
        Forward4j.Builder b = Forward4j.builder().environment(Map.of()).systemProperties(new Properties())
                .setAll(keys).set("backend", backendName);
        if (backendName.equals("cpu")) {
            b.set("backend.threads", Integer.toString(threads)).set("backend.chunk-rows", Integer.toString(chunkRows));
        }
        return b.build();
    }

    /**
     * The model.
     *
     * @return the network
     */
    public DenseNetwork network() {
        return network;
    }

    /**
     * The model's shape as written in tables.
     *
     * @return widths joined by {@code -}
     */
    public String shape() {
        StringBuilder b = new StringBuilder();
        for (int s : network.sizes()) {
            b.append(b.length() == 0 ? "" : "-").append(s);
        }
        return b.toString();
    }

    /**
     * The backend's description.
     *
     * @return for example {@code cpu (OpenBLAS, 2 threads, 256-row chunks)}
     */
    public String device() {
        return backend.device();
    }

    /**
     * B.
     *
     * @return the batch size
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Draws per point that spend exactly {@code queriesPerPoint} queries per point with an estimator.
     *
     * @param variant the estimator
     * @param queriesPerPoint the budget per point
     * @return {@code (queriesPerPoint - queriesPerPoint of the cost) / queriesPerDraw}
     * @throws InvalidConfigurationException if the budget does not divide into whole draws, at least one
     */
    public int drawsFor(EstimatorVariant variant, int queriesPerPoint) {
        EstimatorCost cost = engine(variant.configuration()).newEstimator().cost();
        int forDraws = queriesPerPoint - cost.queriesPerPoint();
        if (forDraws < cost.queriesPerDraw() || forDraws % cost.queriesPerDraw() != 0) {
            throw new InvalidConfigurationException(queriesPerPoint + " queries per point do not fit estimator '"
                    + variant + "': each point costs " + cost.queriesPerPoint() + " fixed queries and each draw "
                    + cost.queriesPerDraw() + "; choose a budget that leaves a positive multiple of "
                    + cost.queriesPerDraw());
        }
        return forDraws / cost.queriesPerDraw();
    }

    /**
     * Prepares estimator steps with a fresh estimator.
     *
     * @param variant the estimator and its settings
     * @param drawsPerPoint draws every point gets in each step
     * @return the prepared steps
     * @throws InvalidConfigurationException if the estimator or a setting is unknown or invalid
     */
    public EstimatorRun estimator(EstimatorVariant variant, int drawsPerPoint) {
        if (drawsPerPoint < 1) {
            throw new InvalidConfigurationException("draws per point must be at least 1, got " + drawsPerPoint);
        }
        return new EstimatorRun(variant, engine(variant.configuration()).newEstimator(), drawsPerPoint);
    }

    /**
     * Prepares plain forward passes over {@code rows} rows: the batch repeated, split into clean queries of the row
     * chunk's size ({@value #CHUNK_ROWS} unless set).
     *
     * @param rows the number of rows (a step's queries)
     * @return the prepared pass
     */
    public PlainForward plainForward(long rows) {
        if (rows < 1 || rows > Integer.MAX_VALUE) {
            throw new InvalidConfigurationException("a plain forward needs 1 to " + Integer.MAX_VALUE + " rows, got "
                    + rows);
        }
        List<WeightQuery> queries = new ArrayList<>();
        int n = (int) rows;
        for (int from = 0, q = 0; from < n; from += chunkRows, q++) {
            int[] chunk = new int[Math.min(chunkRows, n - from)];
            for (int k = 0; k < chunk.length; k++) {
                chunk[k] = batch[(from + k) % batchSize];
            }
            // distinct direction numbers make each chunk its own task; scale 0 means no noise is generated
            queries.add(new WeightQuery(q, 0f, chunk));
        }
        return new PlainForward(n, new WeightPlan(seed, 0, NoiseStream.Distribution.GAUSSIAN, queries));
    }

    @Override
    public void close() {
        backend.close();
    }

    /** Repeated steps of one estimator on the fixed batch; used from one thread. */
    public final class EstimatorRun {
        private final EstimatorVariant variant;
        private final GradientEstimator estimator;
        private final int[] draws;
        private final long queriesPerStep;
        private int step;

        private EstimatorRun(EstimatorVariant variant, GradientEstimator estimator, int drawsPerPoint) {
            this.variant = variant;
            this.estimator = estimator;
            this.draws = new int[batchSize];
            Arrays.fill(draws, drawsPerPoint);
            this.queriesPerStep = estimator.cost().queries(batchSize, (long) batchSize * drawsPerPoint);
        }

        /**
         * The estimator.
         *
         * @return the variant
         */
        public EstimatorVariant variant() {
            return variant;
        }

        /**
         * Draws per point and step.
         *
         * @return A_i, the same for every point
         */
        public int drawsPerPoint() {
            return draws[0];
        }

        /**
         * Queries one step spends.
         *
         * @return {@code B * queriesPerPoint + B * A * queriesPerDraw}
         */
        public long queriesPerStep() {
            return queriesPerStep;
        }

        /**
         * Runs one whole step: begin, run, finish.
         *
         * @return the estimate
         */
        public GradientEstimate step() {
            EstimationStep es = estimator.begin(new StepContext(evaluator, theta, batch, seed, step++));
            return es.runLastRoundAndFinish(draws);
        }
    }

    /** A prepared plain forward pass. */
    public final class PlainForward {
        private final int rows;
        private final WeightPlan plan;

        private PlainForward(int rows, WeightPlan plan) {
            this.rows = rows;
            this.plan = plan;
        }

        /**
         * Rows per pass.
         *
         * @return the rows (queries) one pass evaluates
         */
        public int rows() {
            return rows;
        }

        /**
         * Evaluates the rows.
         *
         * @return the losses, one array per chunk
         */
        public double[][] run() {
            return evaluator.evaluate(theta, plan);
        }
    }
}
