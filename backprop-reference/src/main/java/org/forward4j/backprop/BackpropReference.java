package org.forward4j.backprop;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.forward4j.backend.Backend;
import org.forward4j.backend.cpu.CpuBackendProvider;
import org.forward4j.backend.cpu.Nd4jSetup;
import org.forward4j.core.train.EvalRecord;
import org.forward4j.core.train.Optimizers;
import org.forward4j.core.train.Trainer;
import org.forward4j.core.train.TrainingConfig;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.EvaluationMetrics;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.graph.LayerGraph;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.Settings;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

/**
 * The backpropagation reference: the same MLP or layer graph, trained on the same data in the same batch order with
 * exact gradients from ND4J's automatic differentiation (SameDiff), so that comparisons show how far forward learning
 * is from backprop in accuracy, wall time and peak memory; and the exact gradient of a layer graph's θ
 * ({@link #gradient}), against which the tests check forward-only estimates.
 *
 * <p>This is a yardstick, not part of forward learning (docs/method.md: "no backpropagation anywhere"): nothing in the
 * forward-learning code calls it, and its results are to be labelled {@link #LABEL}. Like-for-like with
 * {@link Trainer}:
 * <ul>
 *   <li>model: {@code MlpGraph} builds {@code v = W x + b} per layer, the hidden activation between layers, and
 *       the batch-mean softmax cross-entropy, with variables set from the same flat initial parameters
 *       ({@code W_l} kept in its {@code [out, in]} shape); {@code LayerGraphSd} builds a layer graph with its
 *       trainable tensors as variables and its frozen ones as constants (an MLP written as a graph trains bit for
 *       bit as the MLP does);</li>
 *   <li>data order: epoch {@code e} visits the rows in {@link Trainer#permutation(int, long, int)} order, in
 *       batches of {@code batchSize}, dropping the last partial batch;</li>
 *   <li>optimiser: an ND4J updater, the same classes forward4j's optimisers use ({@link #updater(TrainingConfig)}
 *       maps a training config the same way), applied to the exact gradient of each batch's mean loss
 *       ({@code GraphTrainer}: the same update SameDiff's {@code fit} makes, bit for bit, with the loss kept);</li>
 *   <li>metrics: after every epoch the parameters are copied back into the flat layout and scored by the
 *       {@code cpu} backend's clean evaluation, the one evaluation path every run uses (for layer graphs it runs
 *       the plain-Java reference forward until the backend has a graph evaluator of its own).</li>
 * </ul>
 *
 * <p>Counting: a backprop step costs a forward and a backward pass per row, which is not comparable to a
 * forward4j query (one perturbed forward pass of one row). {@link EvalRecord#queries()} here holds the training
 * rows processed (steps x batch size), not queries; compare backprop with forward runs by accuracy, wall time and
 * memory, never on the queries axis.
 *
 * <p>Wall time ({@link EvalRecord#wallSeconds()}) covers the training steps (batch assembly, forward, backward,
 * update; the first step includes SameDiff building its execution plan) and excludes graph construction and the
 * evaluations, as the forward trainer's excludes its set-up and evaluations. Memory is measured by
 * {@link PeakMemory} from before the graph is built to the end of training, evaluations included (forward runs
 * evaluate the same way).
 *
 * <p>Threads: forward4j keeps ND4J single-threaded and parallelises itself (see {@code Nd4jSetup}); the reference
 * lets ND4J use {@code threads} threads for its own kernels while it trains and restores the previous setting
 * after. With one thread (the default) a seed gives bit-identical results; with more, BLAS and ND4J split their
 * reductions differently and the results differ in the last bits (measured on bundled MNIST, 784-64-10, 20
 * epochs: 93.40% test accuracy with one thread, 93.45% with two), and at this model size SameDiff's per-op
 * overhead, not arithmetic, bounds the step time, so two threads were no faster.
 */
public final class BackpropReference {

    /** The label results of this reference carry in tables, CSV files and plots. */
    public static final String LABEL = "backprop (reference)";

    private BackpropReference() {
    }

    /**
     * Trains with Adam at a fixed learning rate on one ND4J thread (bit-reproducible for a seed).
     *
     * @param network the architecture
     * @param initialParameters starting parameters in the network's flat layout (not modified), e.g.
     *     {@link Mlp#initialParameters(DenseNetwork, long)} with the forward run's seed
     * @param trainX row-major training features, {@code network.in(0)} per row
     * @param trainY training labels
     * @param testX row-major test features, or null (test metrics are then NaN)
     * @param testY test labels, or null with {@code testX}
     * @param epochs passes over the training set
     * @param batchSize rows per step
     * @param learningRate Adam's learning rate
     * @param seed keys the batch order, as the forward trainer's seed does
     * @param listener receives each record as it is made (may be null)
     * @return the records, final parameters and memory
     * @throws InvalidConfigurationException if the parameters, batch size, epochs or threads do not fit
     * @throws org.forward4j.plugin.InvalidDataException if the data do not fit the network
     */
    public static Result train(DenseNetwork network, float[] initialParameters, float[] trainX, int[] trainY,
                               float[] testX, int[] testY, int epochs, int batchSize, double learningRate, long seed,
                               Consumer<EvalRecord> listener) {
        return train(network, initialParameters, trainX, trainY, testX, testY, epochs, batchSize,
                new Adam(learningRate), seed, 1, listener);
    }

    /**
     * Trains with a given ND4J updater and thread count.
     *
     * @param network the architecture
     * @param initialParameters starting parameters in the network's flat layout (not modified)
     * @param trainX row-major training features, {@code network.in(0)} per row
     * @param trainY training labels
     * @param testX row-major test features, or null (test metrics are then NaN)
     * @param testY test labels, or null with {@code testX}
     * @param epochs passes over the training set
     * @param batchSize rows per step
     * @param updater the optimiser, e.g. {@link #updater(TrainingConfig)} (copied; its state starts fresh)
     * @param seed keys the batch order, as the forward trainer's seed does
     * @param threads threads ND4J may use while training (1 for bit-reproducible results)
     * @param listener receives each record as it is made (may be null)
     * @return the records, final parameters and memory
     * @throws InvalidConfigurationException if the parameters, batch size, epochs or threads do not fit
     * @throws org.forward4j.plugin.InvalidDataException if the data do not fit the network
     */
    public static Result train(DenseNetwork network, float[] initialParameters, float[] trainX, int[] trainY,
                               float[] testX, int[] testY, int epochs, int batchSize, IUpdater updater, long seed,
                               int threads, Consumer<EvalRecord> listener) {
        Nd4jSetup.init();
        NetworkObjective train = Networks.objective(network, trainX, trainY);
        if ((testX == null) != (testY == null)) {
            throw new InvalidConfigurationException("Give both test features and test labels, or neither (got "
                    + (testX == null ? "labels only" : "features only") + ")");
        }
        NetworkObjective test = testX == null ? null : Networks.objective(network, testX, testY);
        check(network, initialParameters, train.size(), epochs, batchSize, threads);

        PeakMemory memory = PeakMemory.start();
        SameDiff sd = MlpGraph.build(network, initialParameters, DataType.FLOAT);
        GraphTrainer trainer = new GraphTrainer(sd, network, updater);
        List<EvalRecord> records = new ArrayList<>();
        long step = 0;
        double wall = 0;
        EvaluationMetrics start = evaluate(test, initialParameters);
        emit(records, listener, new EvalRecord(0, 0, 0, Double.NaN, start.loss(), start.accuracy(), 0));
        int blasThreads = Nd4j.factory().blas().getMaxThreads();
        int envThreads = Nd4j.getEnvironment().maxThreads();
        float[] theta = initialParameters.clone();
        try {
            Nd4j.factory().blas().setMaxThreads(threads);
            Nd4j.getEnvironment().setMaxThreads(threads);
            for (int epoch = 0; epoch < epochs; epoch++) {
                EpochBatches data = new EpochBatches(trainX, trainY, network.in(0), network.classes(), batchSize,
                        seed, epoch);
                double lossSum = 0;
                long t0 = System.nanoTime();
                for (int s = 0; s < data.batches(); s++) {
                    Map<String, INDArray> batch = data.batch(s);
                    lossSum += trainer.step(batch, epoch);
                    batch.values().forEach(INDArray::close);
                }
                wall += (System.nanoTime() - t0) / 1e9;
                memory.sample();
                step += data.batches();
                theta = MlpGraph.parameters(sd, network);
                EvaluationMetrics m = evaluate(test, theta);
                // batches are equal in size, so the mean of batch means is the mean over the epoch's rows
                emit(records, listener, new EvalRecord(epoch + 1, step, step * batchSize,
                        lossSum / data.batches(), m.loss(), m.accuracy(), wall));
            }
        } finally {
            Nd4j.factory().blas().setMaxThreads(blasThreads);
            Nd4j.getEnvironment().setMaxThreads(envThreads);
        }
        return new Result(List.copyOf(records), theta, step, step * batchSize, memory.stop(), threads);
    }

    /**
     * Trains a layer graph's trainable tensors by backpropagation: pretraining (every tensor trainable, from
     * {@code Graphs.initialParameters}), fine-tuning a selection, or a linear probe (only the head trainable). The
     * same like-for-like rules as for MLPs hold (see the class comment): epoch {@code e} visits the rows in
     * {@link Trainer#permutation(int, long, int)} order in full batches, the updater is applied per variable as
     * SameDiff's {@code fit} would, and after every epoch θ is scored by the {@code cpu} backend's clean evaluation
     * of the test objective, the code that scores forward-only runs. Frozen tensors are constants of the SameDiff
     * graph ({@code LayerGraphSd}): they never change and get no optimiser state.
     *
     * @param train the training objective: graph, frozen values, trainable selection and training rows
     * @param test the same graph and selection on the test rows, or null (test metrics are then NaN)
     * @param theta the starting trainable values in θ's layout ({@code train.dimension()} values, not modified),
     *     e.g. {@code train.initial()}
     * @param epochs passes over the training set
     * @param batchSize rows per step
     * @param updater the optimiser, e.g. {@link #updater(TrainingConfig)} (copied; its state starts fresh)
     * @param seed keys the batch order, as the forward trainer's seed does
     * @param threads threads ND4J may use while training (1 for bit-reproducible results)
     * @param listener receives each record as it is made (may be null)
     * @return the records, the final <em>full</em> parameter vector ({@link LayerGraph}'s layout, frozen tensors
     *     included: what a model file stores), steps and memory
     * @throws InvalidConfigurationException if θ, the batch size, epochs or threads do not fit, or the test
     *     objective has another graph or selection
     */
    public static Result train(GraphObjective train, GraphObjective test, float[] theta, int epochs, int batchSize,
                               IUpdater updater, long seed, int threads, Consumer<EvalRecord> listener) {
        Nd4jSetup.init();
        List<String> problems = new ArrayList<>();
        if (theta == null || theta.length != train.dimension()) {
            problems.add("initial parameters have length " + (theta == null ? "null" : theta.length) + " but "
                    + train.graph() + " has " + train.dimension() + " trainable parameters");
        }
        if (test != null && (test.graph() != train.graph() || test.dimension() != train.dimension())) {
            problems.add("the test objective must have the training objective's graph and trainable selection");
        }
        checkRun(problems, train.size(), epochs, batchSize, threads);
        LayerGraph graph = train.graph();
        PeakMemory memory = PeakMemory.start();
        LayerGraphSd sd = LayerGraphSd.build(train, theta, DataType.FLOAT);
        GraphTrainer trainer = new GraphTrainer(sd.sameDiff(), sd.variables(), updater);
        List<EvalRecord> records = new ArrayList<>();
        long step = 0;
        double wall = 0;
        EvaluationMetrics start = evaluate(test, theta);
        emit(records, listener, new EvalRecord(0, 0, 0, Double.NaN, start.loss(), start.accuracy(), 0));
        int blasThreads = Nd4j.factory().blas().getMaxThreads();
        int envThreads = Nd4j.getEnvironment().maxThreads();
        float[] current = theta.clone();
        try {
            Nd4j.factory().blas().setMaxThreads(threads);
            Nd4j.getEnvironment().setMaxThreads(threads);
            for (int epoch = 0; epoch < epochs; epoch++) {
                EpochBatches data = new EpochBatches(train.features(), train.labels(), graph.input().size(),
                        graph.classes(), batchSize, seed, epoch);
                double lossSum = 0;
                long t0 = System.nanoTime();
                for (int s = 0; s < data.batches(); s++) {
                    Map<String, INDArray> batch = data.batch(s);
                    lossSum += trainer.step(batch, epoch);
                    batch.values().forEach(INDArray::close);
                }
                wall += (System.nanoTime() - t0) / 1e9;
                memory.sample();
                step += data.batches();
                current = sd.theta();
                EvaluationMetrics m = evaluate(test, current);
                emit(records, listener, new EvalRecord(epoch + 1, step, step * batchSize,
                        lossSum / data.batches(), m.loss(), m.accuracy(), wall));
            }
        } finally {
            Nd4j.factory().blas().setMaxThreads(blasThreads);
            Nd4j.getEnvironment().setMaxThreads(envThreads);
        }
        return new Result(List.copyOf(records), train.expand(current), step, step * batchSize, memory.stop(),
                threads);
    }

    /**
     * The exact gradient (SameDiff autodiff, in double precision) of the mean loss of some rows of a layer-graph
     * objective with respect to θ, its trainable tensors: the yardstick the tests hold forward-only estimates of the
     * same θ against.
     *
     * @param objective the model, its trainable selection and data
     * @param theta the trainable values in θ's layout
     * @param rows the rows whose mean loss is differentiated
     * @return {@code d mean loss / d theta}, {@code objective.dimension()} values in θ's layout
     */
    public static double[] gradient(GraphObjective objective, float[] theta, int[] rows) {
        Nd4jSetup.init();
        return LayerGraphSd.build(objective, theta, DataType.DOUBLE).gradient(rows);
    }

    /**
     * The ND4J updater equal to the optimiser a forward run with this config uses ({@link Optimizers}, which
     * implements ND4J's update formulas on {@code float[]}; tested equal): optimiser, learning rate, momentum and
     * schedule.
     *
     * @param config the training config
     * @return a new updater
     */
    public static IUpdater updater(TrainingConfig config) {
        ISchedule schedule = switch (config.schedule()) {
            case CONSTANT -> null;
            case STEP -> new StepSchedule(ScheduleType.EPOCH, config.learningRate(), config.scheduleDecay(),
                    config.scheduleEpochs());
            case EXPONENTIAL -> new ExponentialSchedule(ScheduleType.EPOCH, config.learningRate(),
                    config.scheduleDecay());
        };
        return switch (config.optimizer()) {
            case SGD -> schedule == null ? new Sgd(config.learningRate()) : new Sgd(schedule);
            case MOMENTUM -> schedule == null ? new Nesterovs(config.learningRate(), config.momentum())
                    : new Nesterovs(schedule, config.momentum());
            // ND4J's Adam defaults are Optimizers.ADAM_BETA1, ADAM_BETA2 and ADAM_EPSILON
            case ADAM -> schedule == null ? new Adam(config.learningRate()) : new Adam(schedule);
        };
    }

    private static void check(DenseNetwork network, float[] theta, int rows, int epochs, int batchSize,
                              int threads) {
        List<String> problems = new ArrayList<>();
        if (theta == null || theta.length != network.dimension()) {
            problems.add("initial parameters have length " + (theta == null ? "null" : theta.length) + " but "
                    + network + " has " + network.dimension() + " parameters");
        }
        checkRun(problems, rows, epochs, batchSize, threads);
    }

    /** Adds the problems of the run's sizes to those found so far and throws them all, if there are any. */
    private static void checkRun(List<String> problems, int rows, int epochs, int batchSize, int threads) {
        if (epochs < 1) {
            problems.add("epochs=" + epochs + " must be at least 1");
        }
        if (batchSize < 1 || batchSize > rows) {
            problems.add("batch-size=" + batchSize + " must be between 1 and the " + rows + " training rows");
        }
        if (threads < 1) {
            problems.add("threads=" + threads + " must be at least 1");
        }
        if (!problems.isEmpty()) {
            throw new InvalidConfigurationException("Backprop reference: " + String.join("; ", problems));
        }
    }

    /** The test set through the cpu backend's clean evaluation, the code that evaluates forward-only runs. */
    private static EvaluationMetrics evaluate(Objective test, float[] theta) {
        if (test == null) {
            return new EvaluationMetrics(Double.NaN, Double.NaN, 0);
        }
        try (Backend cpu = new CpuBackendProvider().create(Settings.of(java.util.Map.of("threads", "1")))) {
            return cpu.evaluator(test).evaluateClean(theta);
        }
    }

    private static void emit(List<EvalRecord> records, Consumer<EvalRecord> listener, EvalRecord r) {
        records.add(r);
        if (listener != null) {
            listener.accept(r);
        }
    }

    /**
     * A finished backprop run.
     *
     * @param records one record before training (epoch 0) and one per epoch; {@code queries} holds training rows
     *     processed (see the class comment)
     * @param parameters the final parameters in the network's flat layout
     * @param steps optimisation steps done
     * @param rowsProcessed training rows passed forward and backward ({@code steps x batchSize})
     * @param memory peak heap and resident memory from graph construction to the end of training
     * @param threads ND4J threads used
     */
    public record Result(List<EvalRecord> records, float[] parameters, long steps, long rowsProcessed,
                         PeakMemory.Usage memory, int threads) {

        /**
         * The last record.
         *
         * @return the record after the final epoch
         */
        public EvalRecord last() {
            return records.get(records.size() - 1);
        }
    }
}
