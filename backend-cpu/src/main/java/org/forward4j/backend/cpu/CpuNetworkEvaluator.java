package org.forward4j.backend.cpu;

import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.ActivationResult;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.DirectionWeigher;
import org.forward4j.estimator.EvaluationMetrics;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.RowWeigher;
import org.forward4j.estimator.StreamingQueryEvaluator;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.noise.NoiseStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Evaluates plans of a {@link NetworkObjective} in batched matrix products (docs/method.md §6): one OpenBLAS GEMM
 * per layer and row chunk ({@link Blas}, straight on native buffers), with everything between two GEMMs (bias,
 * noise, activation, loss) done in one pass over the product in Java, and the noise from {@link FastNoise}.
 *
 * <p>Weight plans: each run of consecutive queries on one direction is one task that generates the direction once,
 * writes {@code theta + scale * z} per query into the task's native weight buffers and pushes the query's rows
 * through one GEMM per layer and chunk. A clean query reuses the weights already loaded for the same call, and a
 * chunk whose rows are the ones last gathered reuses them. With {@link #evaluateAndCombine} the task also hands
 * {@code c_j z_j} to the calling thread, which adds the terms in direction order, so a step generates each
 * direction once in all.
 *
 * <p>Activation plans: all rows share the weights. A point's queries share its data row and the noise is added after
 * the first layer's product, so that product is computed once per distinct data row of a chunk (1/16 of the work
 * at 16 queries per point) and each query adds its own noise to it; the deeper layers are one GEMM over the chunk's
 * rows. The noise is generated once per antithetic pair (both rows use the same stream) and kept as
 * {@code sigma * sign * eps} with the hidden layers' inputs until the chunk is assembled: the first layer's weight
 * term as {@code sum_u (sum_{r: row(r) = u} c_r eps_r) x_u^T}, one product over the distinct rows, each deeper layer
 * as one product {@code (c eps_l)^T x_l}. {@link #evaluateAndAssemble} assembles each chunk of whole groups right
 * after its forward and frees it, with at most one chunk per thread alive, so the memory of a step is that of the
 * rows in flight whatever the number of draws; {@link #evaluate(float[], ActivationPlan)} keeps the chunks until the
 * pass is assembled or closed (used for pilot rounds).
 *
 * <p>Native and Java buffers come from pools owned by the evaluator, so a step leaves little garbage. Tasks have
 * boundaries that do not depend on the thread count, BLAS is single-threaded per call and results are combined in
 * task order: bit-identical results for any number of threads.
 */
final class CpuNetworkEvaluator implements StreamingQueryEvaluator {

    private final NetworkObjective objective;
    private final DenseNetwork network;
    private final INDArray features;
    /** The features in native memory, [rows, in]: the source rows are copied from. */
    private final FloatPointer featureData;
    private final int[] labels;
    private final int chunkRows;
    private final Parallel parallel;
    /** The widest layer input or output. */
    private final int maxWidth;
    /**
     * Reused Java buffers (noise of a chunk's layer, a query's parameters, a direction, a chunk's terms being
     * committed): taken by a task and given back when it is done, so a step makes no garbage of their size. Owned
     * by this evaluator, so they go with it.
     */
    private final FloatPool buffers = new FloatPool();
    /** Reused native buffers (a chunk's kept inputs, products). */
    private final NativePool nativeBuffers = new NativePool();
    /** Per-task state of weight plans (weights, gathered rows, products): one per concurrent task. */
    private final java.util.concurrent.ConcurrentLinkedQueue<Workspace> workspaces =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** The shared weights of activation plans, kept between calls so a step does not allocate d native floats. */
    private final java.util.concurrent.atomic.AtomicReference<NativeLayers> spareLayers =
            new java.util.concurrent.atomic.AtomicReference<>();

    CpuNetworkEvaluator(NetworkObjective objective, int chunkRows, Parallel parallel) {
        this.parallel = parallel;
        this.objective = objective;
        this.network = objective.network();
        this.labels = objective.labels();
        this.features = Nd4jArrays.fromFloats(objective.features(), labels.length, network.in(0));
        this.featureData = (FloatPointer) features.data().addressPointer();
        this.chunkRows = chunkRows;
        int widest = 0;
        for (int s : network.sizes()) {
            widest = Math.max(widest, s);
        }
        this.maxWidth = widest;
    }

    @Override
    public Objective objective() {
        return objective;
    }

    /**
     * The test-set evaluation in batched ND4J products: chunks of 2,048 rows, {@code x W^T + b} and the activation
     * per layer, then softmax cross-entropy and the argmax on the host.
     */
    @Override
    public EvaluationMetrics evaluateClean(float[] theta) {
        int n = labels.length;
        int in = network.in(0);
        int classes = network.classes();
        INDArray p = Nd4jArrays.fromFloats(theta, theta.length);
        int chunk = 2048;
        double lossSum = 0;
        long correct = 0;
        float[] x0 = objective.features();
        for (int from = 0; from < n; from += chunk) {
            int to = Math.min(n, from + chunk);
            INDArray x = Nd4jArrays.fromRange(x0, from * in, (to - from) * in, to - from, in);
            for (int l = 0; l < network.layers(); l++) {
                int wo = network.weightOffset(l);
                int bo = network.biasOffset(l);
                INDArray w = p.get(NDArrayIndex.interval(wo, bo)).reshape('c', network.out(l), network.in(l));
                INDArray b = p.get(NDArrayIndex.interval(bo, bo + network.out(l))).reshape(1, network.out(l));
                x = x.mmul(w.transpose()).addiRowVector(b);
                if (l < network.layers() - 1) {
                    x = switch (network.activation()) {
                        case RELU -> Transforms.relu(x, false);
                        case TANH -> Transforms.tanh(x, false);
                        case IDENTITY -> x;
                    };
                }
            }
            float[] logits = Nd4jArrays.toFloats(x);
            for (int r = 0; r < to - from; r++) {
                int label = labels[from + r];
                lossSum += Networks.softmaxCrossEntropy(logits, r * classes, classes, label);
                correct += Networks.argmax(logits, r * classes, classes) == label ? 1 : 0;
            }
        }
        return new EvaluationMetrics(lossSum / n, (double) correct / n, n);
    }

    @Override
    public double[][] evaluate(float[] theta, WeightPlan plan) {
        return weightPlan(theta, plan, null, null);
    }

    /**
     * Each run of queries on one direction is one task that generates the direction once, evaluates the run, asks
     * the weigher for its coefficient and hands {@code (c_j, z_j)} to the calling thread, which adds the terms in
     * run order (bit-identical for any thread count); no direction is generated a second time for the assembly.
     */
    @Override
    public double[][] evaluateAndCombine(float[] theta, WeightPlan plan, DirectionWeigher weigher,
            float[] gradient) {
        checkGradient(gradient);
        return weightPlan(theta, plan, weigher, gradient);
    }

    private void checkGradient(float[] gradient) {
        if (gradient.length != network.dimension()) {
            throw new IllegalArgumentException("gradient has " + gradient.length + " entries for "
                    + network.dimension() + " parameters");
        }
    }


    /** One direction's term {@code c z} waiting to be added. */
    private record Term(float coefficient, float[] direction) {
    }

    private double[][] weightPlan(float[] theta, WeightPlan plan, DirectionWeigher weigher, float[] gradient) {
        int d = network.dimension();
        List<WeightQuery> queries = plan.queries();
        double[][] out = new double[queries.size()][];
        // one task per run of consecutive queries on one direction: the direction is generated once per task
        List<WeightPlan.Run> runs = plan.directionRuns();
        // identifies this call's clean weights: a workspace that loaded them for this call need not load them again
        Object call = new Object();
        java.util.function.IntFunction<Term> task = g -> {
            WeightPlan.Run run = runs.get(g);
            float[] z = null;
            float[] perturbed = null;
            Workspace ws = workspace();
            try {
                for (int q = run.from(); q < run.to(); q++) {
                    WeightQuery wq = queries.get(q);
                    if (wq.scale() == 0f) {
                        ws.load(theta, call);
                    } else {
                        if (z == null) {
                            z = buffers.take(d);
                            FastNoise.fill(plan.stream(wq.direction()), plan.distribution(), z, 0, d, 0);
                            perturbed = buffers.take(d);
                        }
                        float s = wq.scale();
                        for (int k = 0; k < d; k++) {
                            perturbed[k] = theta[k] + s * z[k];
                        }
                        ws.load(perturbed, null);
                    }
                    out[q] = ws.losses(wq.rows());
                }
                double c = weigher == null || z == null ? 0.0 : weigher.weight(run.from(), run.to(), out);
                if (c == 0.0) {
                    return null;
                }
                // the direction goes to the committing thread, which gives it back
                Term term = new Term((float) c, z);
                z = null;
                return term;
            } finally {
                workspaces.add(ws);
                buffers.give(perturbed);
                buffers.give(z);
            }
        };
        if (weigher == null) {
            parallel.map(runs.size(), task);
        } else {
            parallel.ordered(runs.size(), task, term -> {
                if (term != null) {
                    float c = term.coefficient();
                    float[] z = term.direction();
                    for (int k = 0; k < d; k++) {
                        gradient[k] += c * z[k];
                    }
                    buffers.give(z);
                }
            });
        }
        return out;
    }

    private Workspace workspace() {
        Workspace ws = workspaces.poll();
        return ws == null ? new Workspace() : ws;
    }

    /** The weights of {@code theta} for an activation plan: the spare ones refilled, or new ones. */
    private NativeLayers sharedLayers(float[] theta) {
        NativeLayers layers = spareLayers.getAndSet(null);
        if (layers == null) {
            return new NativeLayers(theta);
        }
        layers.fill(theta);
        return layers;
    }

    /** Keeps layers for the next activation plan, or frees them when another set is kept already. */
    private void giveBack(NativeLayers layers) {
        if (!spareLayers.compareAndSet(null, layers)) {
            layers.release();
        }
    }

    @Override
    public ActivationPass evaluate(float[] theta, ActivationPlan plan) {
        NativeLayers layers = sharedLayers(theta);
        int n = plan.size();
        double[] losses = new double[n];
        int count = (n + chunkRows - 1) / chunkRows;
        List<Chunk> chunks;
        try {
            chunks = parallel.map(count, c -> {
                Chunk chunk = new Chunk(plan, c * chunkRows, Math.min(n, (c + 1) * chunkRows));
                chunk.forward(layers, losses, true);
                return chunk;
            });
        } finally {
            giveBack(layers);
        }
        return new CpuActivationPass(plan, losses, chunks);
    }

    /**
     * Chunks of whole groups, each run as forward, weights, assembly, after which its activations are dropped; the
     * chunks' gradient terms are added in chunk order on the calling thread (bit-identical for any thread count)
     * with at most one chunk per thread alive. Memory is therefore that of the rows in flight, not
     * of the plan. Groups are packed into chunks of at most {@code chunkRows} rows; a group larger than that is a
     * chunk of its own.
     */
    @Override
    public ActivationResult evaluateAndAssemble(float[] theta, ActivationPlan plan, int[] groupEnds,
            RowWeigher weigher, float[] gradient, boolean noiseEnergy) {
        plan.checkGroups(groupEnds);
        checkGradient(gradient);
        NativeLayers layers = sharedLayers(theta);
        int n = plan.size();
        double[] losses = new double[n];
        double[] weights = new double[n];
        double[] energies = noiseEnergy ? new double[n] : null;
        List<int[]> chunks = GroupChunks.of(groupEnds, chunkRows);
        // one chunk per thread alive at a time: a chunk's terms (a full gradient's size) dominate its memory, so
        // this keeps the step's memory the same whether the plan has 2 chunks or 200
        try {
            parallel.ordered(chunks.size(), parallel.threads(), c -> {
                int[] span = chunks.get(c);
                Chunk chunk = new Chunk(plan, GroupChunks.start(groupEnds, span[0]), groupEnds[span[1] - 1]);
                try {
                    chunk.forward(layers, losses, noiseEnergy);
                    for (int g = span[0]; g < span[1]; g++) {
                        weigher.weigh(GroupChunks.start(groupEnds, g), groupEnds[g], losses, weights);
                    }
                    if (energies != null) {
                        System.arraycopy(chunk.energy(), 0, energies, chunk.from, chunk.size());
                    }
                    return chunk.gradient(weights);
                } finally {
                    chunk.release();
                }
            }, part -> addPart(gradient, part));
        } finally {
            giveBack(layers);
        }
        return new ActivationResult(losses, weights, energies);
    }

    /** Adds one chunk's terms (the flat gradient layout; null: nothing to add) to a gradient and recycles them. */
    private void addPart(float[] gradient, float[] part) {
        if (part == null) {
            return;
        }
        for (int k = 0, d = network.dimension(); k < d; k++) {
            gradient[k] += part[k];
        }
        buffers.give(part);
    }

    /** A pool of float buffers: {@code take} one at least as long as asked, {@code give} it back when done. */
    private static final class FloatPool {
        private final java.util.concurrent.ConcurrentLinkedQueue<float[]> spare =
                new java.util.concurrent.ConcurrentLinkedQueue<>();

        /**
         * A buffer of at least {@code size} floats (contents undefined): the smallest spare one that fits, else a new
         * one. Best fit, so a small request does not take the gradient-sized buffer the next large one needs (a new
         * array of d floats is zeroed by the JVM: that churn showed up as memset in profiles).
         */
        float[] take(int size) {
            while (true) {
                float[] best = null;
                for (float[] b : spare) {
                    if (b.length >= size && (best == null || b.length < best.length)) {
                        best = b;
                    }
                }
                if (best == null) {
                    return new float[size];
                }
                if (spare.remove(best)) {
                    return best;
                }
            }
        }

        /** Returns a buffer for reuse (null is ignored). */
        void give(float[] b) {
            if (b != null && spare.size() < 32) {
                spare.add(b);
            }
        }
    }

    /** A pool of native float buffers, as {@link FloatPool} for Java ones. */
    private static final class NativePool {
        private final java.util.concurrent.ConcurrentLinkedQueue<FloatPointer> spare =
                new java.util.concurrent.ConcurrentLinkedQueue<>();

        /** A native buffer of at least {@code size} floats at position 0 (contents undefined): best fit, as above. */
        FloatPointer take(long size) {
            while (true) {
                FloatPointer best = null;
                for (FloatPointer b : spare) {
                    if (b.capacity() >= size && (best == null || b.capacity() < best.capacity())) {
                        best = b;
                    }
                }
                if (best == null) {
                    return new FloatPointer(Math.max(1, size));
                }
                if (spare.remove(best)) {
                    return best;
                }
            }
        }

        /** Returns a buffer for reuse (null is ignored); beyond 32 spare ones it is freed. */
        void give(FloatPointer b) {
            if (b == null) {
                return;
            }
            if (spare.size() < 32) {
                spare.add(b.position(0));
            } else {
                b.close();
            }
        }
    }

    /** Copies data rows {@code rows[from .. from + count)} into {@code dst} as [count, in], through cursor views. */
    private void gather(int[] rows, int from, int count, FloatPointer dstCursor, FloatPointer srcCursor) {
        int in = network.in(0);
        for (int r = 0; r < count; r++) {
            Blas.copy(dstCursor, (long) r * in, srcCursor, (long) rows[from + r] * in, in);
        }
    }

    /** One parameter vector's layers: weights in native memory ([out, in] each), biases in Java. */
    private final class NativeLayers {
        final FloatPointer[] w;
        final float[][] b;

        NativeLayers(float[] params) {
            int layers = network.layers();
            w = new FloatPointer[layers];
            b = new float[layers][];
            for (int l = 0; l < layers; l++) {
                w[l] = new FloatPointer((long) network.out(l) * network.in(l));
                b[l] = new float[network.out(l)];
            }
            fill(params);
        }

        /** Overwrites the layers with another parameter vector (reusing the native buffers). */
        void fill(float[] params) {
            for (int l = 0; l < w.length; l++) {
                w[l].position(0).put(params, network.weightOffset(l), network.out(l) * network.in(l));
                System.arraycopy(params, network.biasOffset(l), b[l], 0, b[l].length);
            }
        }

        /** Frees the native weights; the layers are unusable afterwards. */
        void release() {
            for (FloatPointer p : w) {
                p.close();
            }
        }
    }

    /**
     * What one task of a weight plan needs: its own weights, the last rows it gathered and two product buffers, so a
     * query costs one weight upload and one GEMM per layer and chunk.
     */
    private final class Workspace {
        private final NativeLayers layers;
        /** The call whose clean parameters the layers hold, or null. */
        private Object cleanCall;
        private final FloatPointer input;
        private final FloatPointer inputCursor;
        private final FloatPointer sourceCursor;
        private final FloatPointer hidden;
        private final FloatPointer product;
        private final float[] values;
        /** Whether hidden layers' bias and ReLU run on the native buffers ({@link VectorKernels#biasRelu}). */
        private final boolean nativeRelu;
        /** Byte views of {@link #product} and {@link #hidden} for that, or null. */
        private final java.nio.ByteBuffer productBytes;
        private final java.nio.ByteBuffer hiddenBytes;
        /** The data rows {@link #input} holds (a copy), or null. */
        private int[] gathered;

        Workspace() {
            int d = network.dimension();
            this.layers = new NativeLayers(new float[d]);
            this.input = new FloatPointer((long) chunkRows * network.in(0));
            this.inputCursor = Blas.cursor(input);
            this.sourceCursor = Blas.cursor(featureData);
            this.hidden = new FloatPointer((long) chunkRows * maxWidth);
            this.product = new FloatPointer((long) chunkRows * maxWidth);
            this.values = new float[chunkRows * maxWidth];
            this.nativeRelu = FastNoise.vectorized() && network.activation() == org.forward4j.estimator.Activation.RELU;
            this.productBytes = nativeRelu ? product.asByteBuffer() : null;
            this.hiddenBytes = nativeRelu ? hidden.asByteBuffer() : null;
        }

        /** Loads a parameter vector; {@code call} non-null marks clean parameters that stay the same for the call. */
        void load(float[] params, Object call) {
            if (call != null && call == cleanCall) {
                return;
            }
            layers.fill(params);
            cleanCall = call;
        }

        /** The losses of data rows {@code rows} under the loaded parameters, in chunks of at most chunkRows. */
        double[] losses(int[] rows) {
            double[] losses = new double[rows.length];
            int classes = network.classes();
            for (int from = 0; from < rows.length; from += chunkRows) {
                int m = Math.min(rows.length, from + chunkRows) - from;
                if (gathered == null || !java.util.Arrays.equals(gathered, 0, gathered.length, rows, from, from + m)) {
                    gather(rows, from, m, inputCursor, sourceCursor);
                    gathered = java.util.Arrays.copyOfRange(rows, from, from + m);
                }
                FloatPointer x = input;
                for (int l = 0; l < network.layers(); l++) {
                    int out = network.out(l);
                    Blas.gemmNT(m, out, network.in(l), x, layers.w[l], product);
                    boolean hiddenLayer = l < network.layers() - 1;
                    if (hiddenLayer && nativeRelu) {
                        // bias and ReLU from the product straight into the next layer's input, no Java copy
                        VectorKernels.biasRelu(productBytes, hiddenBytes, m, out, layers.b[l]);
                        x = hidden;
                        continue;
                    }
                    product.get(values, 0, m * out);
                    Epilogue.biasAndActivate(values, m, out, layers.b[l], network.activation(), hiddenLayer);
                    if (hiddenLayer) {
                        hidden.put(values, 0, m * out);
                        x = hidden;
                    }
                }
                for (int r = 0; r < m; r++) {
                    losses[from + r] = Networks.softmaxCrossEntropy(values, r * classes, classes,
                            labels[rows[from + r]]);
                }
            }
            return losses;
        }
    }

    /**
     * The rows {@code from..to-1} of an activation plan: their forward pass, and what assembling their
     * likelihood-ratio terms needs (docs/method.md §2): each layer's scaled noise {@code sigma * sign_r * eps_{r,l}},
     * the chunk's distinct data rows and the inputs of the layers after the first. The first layer's input is the
     * data row itself, shared by every query of a point: its product with the weights is computed once per distinct
     * row, and its weight term {@code sum_r c_r eps_r x_{row(r)}^T} is assembled as
     * {@code sum_u (sum_{r: row(r) = u} c_r eps_r) x_u^T}, one product over the distinct rows.
     */
    private final class Chunk {
        private final ActivationPlan plan;
        private final int from;
        private final int to;
        /** The distinct data rows, in order of first use, and each query row's index among them. */
        private int[] distinct;
        private int[] unit;
        /** The distinct rows' features, [distinct, in]. */
        private FloatPointer points;
        /** Per layer: {@code sigma * sign * eps} as [rows, out]. */
        private final float[][] noise;
        /** Per layer after the first: its input as [rows, in]. */
        private final float[][] inputs;
        /** Per row: {@code sum_l (|eps_{r,l}|^2 - out_l)}, when computed. */
        private double[] energy;

        Chunk(ActivationPlan plan, int from, int to) {
            this.plan = plan;
            this.from = from;
            this.to = to;
            this.noise = new float[network.layers()][];
            this.inputs = new float[network.layers()][];
        }

        int size() {
            return to - from;
        }

        void forward(NativeLayers layers, double[] losses, boolean withEnergy) {
            int rows = size();
            int[] planRows = plan.rows();
            int[] streams = plan.streams();
            boolean[] negate = plan.negate();
            float sigma = plan.sigma();
            double[] e = withEnergy ? new double[rows] : null;
            // distinct data rows: the first layer's product is computed once for each
            java.util.Map<Integer, Integer> index = new java.util.HashMap<>();
            unit = new int[rows];
            int[] firstUse = new int[rows];
            for (int r = 0; r < rows; r++) {
                Integer u = index.putIfAbsent(planRows[from + r], index.size());
                if (u == null) {
                    u = index.size() - 1;
                    firstUse[u] = planRows[from + r];
                }
                unit[r] = u;
            }
            distinct = java.util.Arrays.copyOf(firstUse, index.size());
            int units = distinct.length;
            int in0 = network.in(0);
            points = nativeBuffers.take((long) units * in0);
            gather(distinct, 0, units, Blas.cursor(points), Blas.cursor(featureData));
            FloatPointer product = nativeBuffers.take((long) Math.max(units, rows) * maxWidth);
            float[] first = buffers.take(units * network.out(0));
            float[] values = buffers.take(rows * maxWidth);
            float[] eps = buffers.take(maxWidth);
            try {
                int out0 = network.out(0);
                Blas.gemmNT(units, out0, in0, points, layers.w[0], product);
                product.get(first, 0, units * out0);
                for (int u = 0, i = 0; u < units; u++) {
                    for (int o = 0; o < out0; o++, i++) {
                        first[i] += layers.b[0][o];
                    }
                }
                for (int l = 0; l < network.layers(); l++) {
                    int out = network.out(l);
                    boolean hiddenLayer = l < network.layers() - 1;
                    float[] bias = layers.b[l];
                    if (l > 0) {
                        FloatPointer x = nativeBuffers.take((long) rows * network.in(l));
                        try {
                            x.put(inputs[l], 0, rows * network.in(l));
                            Blas.gemmNT(rows, out, network.in(l), x, layers.w[l], product);
                        } finally {
                            nativeBuffers.give(x);
                        }
                        product.get(values, 0, rows * out);
                    }
                    float[] nz = buffers.take(rows * out);
                    noise[l] = nz;
                    double sq = 0;
                    for (int r = 0; r < rows; r++) {
                        // both rows of an antithetic pair use the same stream: generate it once
                        if (r == 0 || streams[from + r] != streams[from + r - 1]) {
                            FastNoise.fill(plan.stream(from + r, l), NoiseStream.Distribution.GAUSSIAN, eps, 0, out,
                                    0);
                            sq = 0;
                            for (int o = 0; o < out; o++) {
                                sq += (double) eps[o] * eps[o];
                            }
                        }
                        if (e != null) {
                            e[r] += sq - out;
                        }
                        float scale = negate[from + r] ? -sigma : sigma;
                        int base = r * out;
                        // the first layer's product already holds its bias
                        if (l == 0) {
                            Epilogue.noisyRow(first, unit[r] * out, null, eps, scale, nz, base, values, base, out,
                                    network.activation(), hiddenLayer);
                        } else {
                            Epilogue.noisyRow(values, base, bias, eps, scale, nz, base, values, base, out,
                                    network.activation(), hiddenLayer);
                        }
                    }
                    if (hiddenLayer) {
                        // the activations are the next layer's input: kept for the assembly
                        inputs[l + 1] = values;
                        values = buffers.take(rows * maxWidth);
                    }
                }
                int classes = network.classes();
                for (int r = 0; r < rows; r++) {
                    losses[from + r] = Networks.softmaxCrossEntropy(values, r * classes, classes,
                            labels[planRows[from + r]]);
                }
            } finally {
                nativeBuffers.give(product);
                buffers.give(first);
                buffers.give(values);
                buffers.give(eps);
            }
            energy = e;
        }

        /** Frees the kept noise, inputs and rows. */
        void release() {
            for (int l = 0; l < noise.length; l++) {
                buffers.give(noise[l]);
                buffers.give(inputs[l]);
                noise[l] = null;
                inputs[l] = null;
            }
            nativeBuffers.give(points);
            points = null;
        }

        /**
         * This chunk's terms {@code sum_r w_r sign_r eps_{r,l} x_{r,l}^T / sigma} and the bias sums, in the flat
         * gradient layout (a pooled buffer); null when every weight is 0.
         */
        float[] gradient(double[] rowWeights) {
            int rows = size();
            float sigma = plan.sigma();
            // the noise is kept as sigma * sign * eps, so the coefficient is w / sigma^2
            float[] coef = new float[rows];
            boolean any = false;
            for (int r = 0; r < rows; r++) {
                coef[r] = (float) (rowWeights[from + r] / ((double) sigma * sigma));
                any |= coef[r] != 0f;
            }
            if (!any) {
                return null;
            }
            float[] part = buffers.take(network.dimension());
            float[] scaled = buffers.take(Math.max(rows, distinct.length) * maxWidth);
            FloatPointer terms = nativeBuffers.take((long) Math.max(rows, distinct.length) * maxWidth);
            FloatPointer product = nativeBuffers.take((long) maxWidth * maxWidth);
            float[] weighted = buffers.take(rows * maxWidth);
            FloatPointer weightedNative = nativeBuffers.take((long) rows * maxWidth);
            try {
                for (int l = 0; l < network.layers(); l++) {
                    int out = network.out(l);
                    int in = network.in(l);
                    float[] nz = noise[l];
                    int bo = network.biasOffset(l);
                    java.util.Arrays.fill(part, bo, bo + out, 0f);
                    int termRows;
                    if (l == 0) {
                        // coefficient-weighted noise summed per distinct data row
                        termRows = distinct.length;
                        java.util.Arrays.fill(scaled, 0, termRows * out, 0f);
                        for (int r = 0; r < rows; r++) {
                            int t = unit[r] * out;
                            for (int o = 0; o < out; o++) {
                                float c = coef[r] * nz[r * out + o];
                                scaled[t + o] += c;
                                part[bo + o] += c;
                            }
                        }
                    } else {
                        // rows that share a stream (an antithetic pair) share eps up to the sign, so their terms
                        // c_r nz_r x_r^T are one outer product nz_lead (sum_r c_r sign_r sign_lead x_r)^T: the
                        // product runs over streams, half the rows of antithetic plans
                        int[] streams = plan.streams();
                        boolean[] negate = plan.negate();
                        float[] x = inputs[l];
                        termRows = 0;
                        int lead = 0;
                        for (int r = 0; r < rows; r++) {
                            float c = coef[r];
                            for (int o = 0, i = r * out; o < out; o++, i++) {
                                part[bo + o] += c * nz[i];
                            }
                            if (r == 0 || streams[from + r] != streams[from + r - 1]) {
                                lead = r;
                                System.arraycopy(nz, r * out, scaled, termRows * out, out);
                                java.util.Arrays.fill(weighted, termRows * in, (termRows + 1) * in, 0f);
                                termRows++;
                            }
                            float w = negate[from + r] == negate[from + lead] ? c : -c;
                            int t = (termRows - 1) * in;
                            for (int k = 0, i = r * in; k < in; k++, i++) {
                                weighted[t + k] += w * x[i];
                            }
                        }
                    }
                    FloatPointer right = l == 0 ? points : weightedNative;
                    if (l > 0) {
                        weightedNative.put(weighted, 0, termRows * in);
                    }
                    terms.put(scaled, 0, termRows * out);
                    Blas.gemmTN(out, in, termRows, terms, right, product);
                    product.get(part, network.weightOffset(l), out * in);
                }
                float[] done = part;
                part = null;
                return done;
            } finally {
                buffers.give(part);
                buffers.give(scaled);
                buffers.give(weighted);
                nativeBuffers.give(terms);
                nativeBuffers.give(product);
                nativeBuffers.give(weightedNative);
            }
        }

        /** Noise energies, computed by a forward asked for them. */
        double[] energy() {
            if (energy == null) {
                throw new IllegalStateException("noise energies were not computed for this chunk");
            }
            return energy;
        }
    }

    /** Keeps each chunk's noise and inputs until the gradient is assembled. */
    private final class CpuActivationPass implements ActivationPass {
        private final double[] losses;
        private final ActivationPlan plan;
        private List<Chunk> chunks;

        CpuActivationPass(ActivationPlan plan, double[] losses, List<Chunk> chunks) {
            this.plan = plan;
            this.losses = losses;
            this.chunks = chunks;
        }

        @Override
        public double[] losses() {
            return losses.clone();
        }

        @Override
        public void accumulateGradient(double[] rowWeights, float[] gradient) {
            if (rowWeights.length != plan.size()) {
                throw new IllegalArgumentException(rowWeights.length + " row weights for a plan of " + plan.size()
                        + " queries");
            }
            List<Chunk> kept = open();
            parallel.ordered(kept.size(), parallel.threads(), c -> kept.get(c).gradient(rowWeights),
                    part -> addPart(gradient, part));
        }

        @Override
        public double[] noiseEnergy() {
            double[] e = new double[plan.size()];
            for (Chunk chunk : open()) {
                System.arraycopy(chunk.energy(), 0, e, chunk.from, chunk.size());
            }
            return e;
        }

        private List<Chunk> open() {
            if (chunks == null) {
                throw new IllegalStateException("this activation pass is closed");
            }
            return chunks;
        }

        @Override
        public void close() {
            if (chunks != null) {
                chunks.forEach(Chunk::release);
            }
            chunks = null;
        }
    }
}
