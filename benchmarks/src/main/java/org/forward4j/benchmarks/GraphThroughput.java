package org.forward4j.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.forward4j.backend.Backend;
import org.forward4j.core.Forward4j;
import org.forward4j.core.model.Graphs;
import org.forward4j.core.train.Trainer;
import org.forward4j.datasets.Dataset;
import org.forward4j.datasets.Datasets;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.graph.LayerGraph;
import org.forward4j.estimator.graph.Trainable;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.InvalidConfigurationException;

/**
 * {@link QueryThroughput}'s measurement for a layer graph (docs/method.md §6, §8): whole estimator steps on one
 * mini-batch of a preset graph ({@code cnn}, {@code vit}, {@link Graphs#preset}) with a trainable selection, and the
 * plain forward of the same rows that is their limit, through the same backend.
 *
 * <p><b>The plain forward is of the whole model</b>: every row through every block, unperturbed (clean queries of
 * {@value QueryThroughput#CHUNK_ROWS} rows on an objective of the same parameters with everything trainable, so no
 * frozen prefix is reused). A step on a selection with a frozen prefix reuses the prefix's output per data row, so its
 * queries can cost less than a plain forward; its fraction of plain is then above what the same selection trained
 * whole would reach, and says how much the prefix saves: a query still means one evaluation of the perturbed model
 * on one point.
 *
 * <p>Data: the bundled MNIST training rows as 28 x 28 images; the batch is the first B rows of the trainer's epoch-0
 * permutation for the seed; parameters are {@link Graphs#initialParameters}.
 */
public final class GraphThroughput implements AutoCloseable {

    private final String model;
    private final String trainable;
    private final GraphObjective data;
    private final GraphObjective whole;
    private final int batchSize;
    private final int threads;
    private final long seed;
    private final int[] batch;
    private final float[] theta;
    private final float[] wholeTheta;
    private final Backend backend;
    private final QueryEvaluator evaluator;
    private final QueryEvaluator plainEvaluator;

    /**
     * Sets up a preset graph on the bundled MNIST training rows on the {@code cpu} backend.
     *
     * @param model {@code cnn} or {@code vit}
     * @param trainable the trainable selection ({@link Trainable}), e.g. {@code all} or {@code last:2}
     * @param batchSize B
     * @param threads the backend's worker threads
     * @param seed seeds the parameters, the batch and the noise
     * @throws InvalidConfigurationException if the model, the selection or the sizes are invalid
     */
    public GraphThroughput(String model, String trainable, int batchSize, int threads, long seed) {
        Dataset train = Datasets.load("mnist").train();
        LayerGraph graph = Graphs.preset(model, train.classes());
        if (graph.input().size() != train.cols()) {
            throw new InvalidConfigurationException("model " + model + " takes " + graph.input() + " inputs, the "
                    + "data has " + train.cols());
        }
        if (batchSize < 1 || batchSize > train.rows()) {
            throw new InvalidConfigurationException("batch size " + batchSize + " must be in [1, " + train.rows()
                    + "]");
        }
        if (threads < 1) {
            throw new InvalidConfigurationException("threads must be at least 1, got " + threads);
        }
        float[] parameters = Graphs.initialParameters(graph, seed);
        this.model = model;
        this.trainable = trainable;
        this.data = GraphObjective.of(graph, parameters, Trainable.select(trainable, graph), train.features(),
                train.labels());
        this.whole = GraphObjective.of(graph, parameters, Trainable.select("all", graph), train.features(),
                train.labels());
        this.batchSize = batchSize;
        this.threads = threads;
        this.seed = seed;
        this.batch = Arrays.copyOf(Trainer.permutation(data.size(), seed, 0), batchSize);
        this.theta = data.initial();
        this.wholeTheta = whole.initial();
        this.backend = engine(Map.of()).newBackend();
        this.evaluator = backend.evaluator(data);
        this.plainEvaluator = backend.evaluator(whole);
    }

    private Forward4j engine(Map<String, String> keys) {
        return Forward4j.builder().environment(Map.of()).systemProperties(new Properties()).setAll(keys)
                .set("backend", "cpu").set("backend.threads", Integer.toString(threads))
                .set("backend.chunk-rows", Integer.toString(QueryThroughput.CHUNK_ROWS)).build();
    }

    /**
     * The model as written in tables (no commas: it is a CSV field).
     *
     * @return for example {@code cnn trainable=last:2}
     */
    public String shape() {
        return model + " trainable=" + trainable;
    }

    /**
     * The model with its sizes, for logs.
     *
     * @return for example {@code cnn, trainable last:2 (50,890 of 52,138 parameters, frozen prefix 2 blocks)}
     */
    public String label() {
        return String.format(java.util.Locale.ROOT, "%s, trainable %s (%,d of %,d parameters, frozen prefix %d "
                + "blocks)", model, trainable, data.dimension(), data.graph().parameterCount(), data.frozenPrefix());
    }

    /**
     * The objective measured.
     *
     * @return the graph objective with the selection
     */
    public GraphObjective objective() {
        return data;
    }

    /**
     * The backend's description.
     *
     * @return for example {@code cpu (ND4J, 2 threads)}
     */
    public String device() {
        return backend.device();
    }

    /**
     * Draws per point that spend exactly {@code queriesPerPoint} queries per point with an estimator.
     *
     * @param variant the estimator
     * @param queriesPerPoint the budget per point
     * @return the draws
     * @throws InvalidConfigurationException if the budget does not divide into whole draws
     */
    public int drawsFor(EstimatorVariant variant, int queriesPerPoint) {
        EstimatorCost cost = engine(variant.configuration()).newEstimator().cost();
        int forDraws = queriesPerPoint - cost.queriesPerPoint();
        if (forDraws < cost.queriesPerDraw() || forDraws % cost.queriesPerDraw() != 0) {
            throw new InvalidConfigurationException(queriesPerPoint + " queries per point do not fit estimator '"
                    + variant + "'");
        }
        return forDraws / cost.queriesPerDraw();
    }

    /**
     * Prepares estimator steps with a fresh estimator.
     *
     * @param variant the estimator and its settings
     * @param drawsPerPoint draws every point gets in each step
     * @return the prepared steps
     */
    public Steps estimator(EstimatorVariant variant, int drawsPerPoint) {
        if (drawsPerPoint < 1) {
            throw new InvalidConfigurationException("draws per point must be at least 1, got " + drawsPerPoint);
        }
        return new Steps(engine(variant.configuration()).newEstimator(), drawsPerPoint);
    }

    /**
     * Prepares plain forward passes of the whole model over {@code rows} rows: the batch repeated, clean queries of
     * {@value QueryThroughput#CHUNK_ROWS} rows (one parallel task each).
     *
     * @param rows the number of rows (a step's queries)
     * @return a pass to run
     */
    public Runnable plainForward(long rows) {
        List<WeightQuery> queries = new ArrayList<>();
        int n = (int) rows;
        for (int from = 0, q = 0; from < n; from += QueryThroughput.CHUNK_ROWS, q++) {
            int[] chunk = new int[Math.min(QueryThroughput.CHUNK_ROWS, n - from)];
            for (int k = 0; k < chunk.length; k++) {
                chunk[k] = batch[(from + k) % batchSize];
            }
            queries.add(new WeightQuery(q, 0f, chunk));
        }
        WeightPlan plan = new WeightPlan(seed, 0, NoiseStream.Distribution.GAUSSIAN, queries);
        return () -> plainEvaluator.evaluate(wholeTheta, plan);
    }

    @Override
    public void close() {
        backend.close();
    }

    /** Repeated steps of one estimator on the fixed batch; used from one thread. */
    public final class Steps {
        private final GradientEstimator estimator;
        private final int[] draws;
        private final long queriesPerStep;
        private int step;

        private Steps(GradientEstimator estimator, int drawsPerPoint) {
            this.estimator = estimator;
            this.draws = new int[batchSize];
            Arrays.fill(draws, drawsPerPoint);
            this.queriesPerStep = estimator.cost().queries(batchSize, (long) batchSize * drawsPerPoint);
        }

        /**
         * Queries one step spends.
         *
         * @return the count
         */
        public long queriesPerStep() {
            return queriesPerStep;
        }

        /**
         * Runs one whole step: begin, the draws, assembly.
         *
         * @return the estimate
         */
        public GradientEstimate step() {
            EstimationStep es = estimator.begin(new StepContext(evaluator, theta, batch, seed, step++));
            return es.runLastRoundAndFinish(draws);
        }
    }
}
