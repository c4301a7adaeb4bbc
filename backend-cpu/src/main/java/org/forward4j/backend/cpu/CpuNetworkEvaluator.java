package org.forward4j.backend.cpu;

import java.util.List;
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
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Evaluates plans of a {@link NetworkObjective} in batched ND4J matrix products (docs/method.md §6).
 *
 * <p>Weight plans: each run of consecutive queries on one direction is one task that generates the direction once,
 * materialises {@code theta + scale * z} per query into reused parameter buffers and pushes the query's
 * rows through one GEMM per layer. With {@link #evaluateAndCombine} the task also hands {@code c_j z_j} to the
 * calling thread, which adds the terms in direction order, so a step generates each direction once in all.
 *
 * <p>Activation plans: all rows share the weights, so each layer is one GEMM (transpose by BLAS flag) over a chunk
 * of rows; the noise is generated in bulk per layer and kept as {@code sigma * sign * eps} with the hidden layers'
 * inputs until the chunk is assembled. The first layer's weight term is summed per distinct data row before one
 * GEMM with those rows (a point's queries share its input). {@link #evaluateAndAssemble} assembles each chunk of whole
 * groups right after its forward and frees it, with at most one chunk per thread alive, so the memory of a step is
 * that of the rows in flight whatever the number of draws; {@link #evaluate(float[], ActivationPlan)} keeps the
 * chunks until the pass is assembled or closed (used for pilot rounds).
 *
 * <p>ND4J arrays are released explicitly as soon as they are dead (ND4J otherwise frees native memory only when the
 * collector reclaims the Java wrappers), and Java and parameter buffers come from pools owned by the evaluator, so a
 * step leaves little garbage.
 * Tasks have boundaries that do not depend on the thread count and results are combined in task order: bit-identical
 * results for any number of threads.
 */
final class CpuNetworkEvaluator implements StreamingQueryEvaluator {

    private final NetworkObjective objective;
    private final DenseNetwork network;
    private final INDArray features;
    private final int[] labels;
    private final int chunkRows;
    private final Parallel parallel;
    /**
     * Reused Java buffers (noise of a chunk's layer, a query's parameters, a direction, a chunk's terms being
     * committed): taken by a task and given back when it is done, so a step makes no garbage of their size. Owned
     * by this evaluator, so they go with it.
     */
    private final FloatPool buffers = new FloatPool();
    /** Parameter buffers for weight queries, refilled per query instead of allocated: one per concurrent task. */
    private final java.util.concurrent.ConcurrentLinkedQueue<Layers> spareLayers =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    CpuNetworkEvaluator(NetworkObjective objective, int chunkRows, Parallel parallel) {
        this.parallel = parallel;
        this.objective = objective;
        this.network = objective.network();
        this.labels = objective.labels();
        this.features = Nd4jArrays.fromFloats(objective.features(), labels.length, network.in(0));
        this.chunkRows = chunkRows;
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

    /** The first row of group {@code g}. */
    private static int groupStart(int[] groupEnds, int g) {
        return g == 0 ? 0 : groupEnds[g - 1];
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
        java.util.function.IntFunction<Term> task = g -> {
            WeightPlan.Run run = runs.get(g);
            // a query's perturbed parameters live only until its rows are evaluated
            float[] z = null;
            float[] perturbed = buffers.take(d);
            try {
                for (int q = run.from(); q < run.to(); q++) {
                    WeightQuery wq = queries.get(q);
                    if (wq.scale() == 0f) {
                        System.arraycopy(theta, 0, perturbed, 0, d);
                    } else {
                        if (z == null) {
                            z = buffers.take(d);
                            plan.stream(wq.direction()).fill(plan.distribution(), z, 0, d, 0);
                        }
                        float s = wq.scale();
                        for (int k = 0; k < d; k++) {
                            perturbed[k] = theta[k] + s * z[k];
                        }
                    }
                    out[q] = forward(perturbed, wq.rows());
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

    /** Losses of {@code rows} under parameters {@code params}, in row chunks, in reused layer buffers. */
    private double[] forward(float[] params, int[] rows) {
        Layers layers = spareLayers.poll();
        layers = layers == null ? new Layers(params) : layers.fill(params);
        try {
            return forward(layers, rows);
        } finally {
            spareLayers.add(layers);
        }
    }

    private double[] forward(Layers layers, int[] rows) {
        double[] losses = new double[rows.length];
        for (int from = 0; from < rows.length; from += chunkRows) {
            int to = Math.min(rows.length, from + chunkRows);
            int[] chunk = java.util.Arrays.copyOfRange(rows, from, to);
            INDArray x = gather(chunk);
            for (int l = 0; l < network.layers(); l++) {
                INDArray v = layers.affine(l, x);
                Nd4jArrays.release(x);
                x = l < network.layers() - 1 ? activate(v) : v;
            }
            losses(x, chunk, losses, from);
            Nd4jArrays.release(x);
        }
        return losses;
    }

    @Override
    public ActivationPass evaluate(float[] theta, ActivationPlan plan) {
        Layers layers = new Layers(theta);
        int n = plan.size();
        double[] losses = new double[n];
        int count = (n + chunkRows - 1) / chunkRows;
        List<Chunk> chunks = parallel.map(count, c -> {
            Chunk chunk = new Chunk(plan, c * chunkRows, Math.min(n, (c + 1) * chunkRows));
            chunk.forward(layers, losses, true);
            return chunk;
        });
        layers.release();
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
        Layers layers = new Layers(theta);
        int n = plan.size();
        double[] losses = new double[n];
        double[] weights = new double[n];
        double[] energies = noiseEnergy ? new double[n] : null;
        // {first group, end group} of each chunk
        List<int[]> chunks = new java.util.ArrayList<>();
        int first = 0;
        for (int g = 0; g < groupEnds.length; g++) {
            if (g > first && groupEnds[g] - groupStart(groupEnds, first) > chunkRows) {
                chunks.add(new int[] {first, g});
                first = g;
            }
        }
        chunks.add(new int[] {first, groupEnds.length});
        // one chunk per thread alive at a time: a chunk's terms (a full gradient's size) dominate its memory, so
        // this keeps the step's memory the same whether the plan has 2 chunks or 200
        parallel.ordered(chunks.size(), parallel.threads(), c -> {
            int[] span = chunks.get(c);
            Chunk chunk = new Chunk(plan, groupStart(groupEnds, span[0]), groupEnds[span[1] - 1]);
            chunk.forward(layers, losses, noiseEnergy);
            for (int g = span[0]; g < span[1]; g++) {
                weigher.weigh(groupStart(groupEnds, g), groupEnds[g], losses, weights);
            }
            if (energies != null) {
                System.arraycopy(chunk.energy(), 0, energies, chunk.from, chunk.size());
            }
            try {
                return chunk.gradient(weights);
            } finally {
                chunk.release();
            }
        }, part -> addParts(gradient, part));
        layers.release();
        return new ActivationResult(losses, weights, energies);
    }

    /** Adds one chunk's per-layer terms (null: nothing to add) to a flat gradient and frees them. */
    private void addParts(float[] gradient, INDArray[] part) {
        if (part == null) {
            return;
        }
        float[] scratch = buffers.take(0);
        for (int l = 0; l < network.layers(); l++) {
            scratch = Nd4jArrays.addTo(part[2 * l], gradient, network.weightOffset(l), scratch);
            scratch = Nd4jArrays.addTo(part[2 * l + 1], gradient, network.biasOffset(l), scratch);
        }
        buffers.give(scratch);
        Nd4jArrays.release(part);
    }

    /** A pool of float buffers: {@code take} one at least as long as asked, {@code give} it back when done. */
    private static final class FloatPool {
        private final java.util.concurrent.ConcurrentLinkedQueue<float[]> spare =
                new java.util.concurrent.ConcurrentLinkedQueue<>();

        /** A buffer of at least {@code size} floats (contents undefined): a spare one that fits, else a new one. */
        float[] take(int size) {
            for (float[] b : spare) {
                if (b.length >= size && spare.remove(b)) {
                    return b;
                }
            }
            return new float[size];
        }

        /** Returns a buffer for reuse (null is ignored). */
        void give(float[] b) {
            if (b != null && spare.size() < 16) {
                spare.add(b);
            }
        }
    }

    private INDArray gather(int[] rows) {
        return Nd4j.pullRows(features, 1, rows);
    }

    private INDArray activate(INDArray v) {
        return switch (network.activation()) {
            case RELU -> Transforms.relu(v, false);
            case TANH -> Transforms.tanh(v, false);
            case IDENTITY -> v;
        };
    }

    private void losses(INDArray logits, int[] rows, double[] out, int offset) {
        int classes = network.classes();
        float[] lf = Nd4jArrays.toFloats(logits);
        for (int r = 0; r < rows.length; r++) {
            out[offset + r] = Networks.softmaxCrossEntropy(lf, r * classes, classes, labels[rows[r]]);
        }
    }

    /** The layers of one parameter vector as separate, contiguous ND4J arrays (no views: BLAS gets them as is). */
    private final class Layers {
        private final INDArray[] w;
        private final INDArray[] b;

        Layers(float[] params) {
            int layers = network.layers();
            w = new INDArray[layers];
            b = new INDArray[layers];
            for (int l = 0; l < layers; l++) {
                w[l] = Nd4jArrays.fromRange(params, network.weightOffset(l), network.out(l) * network.in(l),
                        network.out(l), network.in(l));
                b[l] = Nd4jArrays.fromRange(params, network.biasOffset(l), network.out(l), 1, network.out(l));
            }
        }

        /** Overwrites the layers with another parameter vector (reusing the native buffers). */
        Layers fill(float[] params) {
            for (int l = 0; l < w.length; l++) {
                Nd4jArrays.copyInto(params, network.weightOffset(l), w[l]);
                Nd4jArrays.copyInto(params, network.biasOffset(l), b[l]);
            }
            return this;
        }

        /** Frees the parameters' native buffers; the layers are unusable afterwards. */
        void release() {
            Nd4jArrays.release(w);
            Nd4jArrays.release(b);
        }

        /** {@code x W^T + b}, the transpose done by GEMM's flag rather than a transposed view. */
        INDArray affine(int l, INDArray x) {
            return Nd4j.gemm(x, w[l], false, true).addiRowVector(b[l]);
        }
    }

    /**
     * The rows {@code from..to-1} of an activation plan: their forward pass, and what assembling their
     * likelihood-ratio terms needs (docs/method.md §2): each layer's scaled noise {@code sigma * sign_r * eps_{r,l}}
     * and the inputs of the layers after the first. The first layer's input is the data row itself, shared by
     * every query of a point, so it is not kept: its weight term {@code sum_r c_r eps_r x_{row(r)}^T} is assembled
     * as {@code sum_u (sum_{r: row(r) = u} c_r eps_r) x_u^T}, one product over the chunk's distinct data rows
     * instead of one over all of its queries.
     */
    private final class Chunk {
        private final ActivationPlan plan;
        private final int from;
        private final int to;
        /** Per layer: {@code sigma * sign * eps} as [rows, out]. */
        private final INDArray[] noise;
        /** Per layer after the first: its input as [rows, in]. */
        private final INDArray[] inputs;
        /** Per row: {@code sum_l (|eps_{r,l}|^2 - out_l)}, when computed. */
        private double[] energy;

        Chunk(ActivationPlan plan, int from, int to) {
            this.plan = plan;
            this.from = from;
            this.to = to;
            this.noise = new INDArray[network.layers()];
            this.inputs = new INDArray[network.layers()];
        }

        int size() {
            return to - from;
        }

        void forward(Layers layers, double[] losses, boolean withEnergy) {
            int rows = size();
            int[] dataRows = java.util.Arrays.copyOfRange(plan.rows(), from, to);
            float sigma = plan.sigma();
            double[] e = withEnergy ? new double[rows] : null;
            INDArray x = gather(dataRows);
            for (int l = 0; l < network.layers(); l++) {
                INDArray v = layers.affine(l, x);
                if (l > 0) {
                    inputs[l] = x;
                } else {
                    Nd4jArrays.release(x);
                }
                int out = network.out(l);
                float[] buf = buffers.take(rows * out);
                for (int r = 0; r < rows; r++) {
                    // the buffer holds sigma * sign * eps, generated in one pass
                    plan.stream(from + r, l).fill(NoiseStream.Distribution.GAUSSIAN, buf, r * out, out, 0);
                    float scale = plan.negate()[from + r] ? -sigma : sigma;
                    double sq = 0;
                    for (int o = r * out, end = o + out; o < end; o++) {
                        float z = buf[o];
                        sq += (double) z * z;
                        buf[o] = scale * z;
                    }
                    if (e != null) {
                        e[r] += sq - out;
                    }
                }
                noise[l] = Nd4jArrays.fromRange(buf, 0, rows * out, rows, out);
                buffers.give(buf);
                v.addi(noise[l]);
                x = l < network.layers() - 1 ? activate(v) : v;
            }
            energy = e;
            losses(x, dataRows, losses, from);
            Nd4jArrays.release(x);
        }

        /** Frees the kept noise and inputs. */
        void release() {
            Nd4jArrays.release(noise);
            Nd4jArrays.release(inputs);
            java.util.Arrays.fill(noise, null);
            java.util.Arrays.fill(inputs, null);
        }

        /**
         * This chunk's terms {@code sum_r w_r sign_r eps_{r,l} x_{r,l}^T / sigma} and the bias sums, per layer as
         * {weights, biases}; null when every weight is 0.
         */
        INDArray[] gradient(double[] rowWeights) {
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
            INDArray coefRow = Nd4jArrays.fromFloats(coef, 1, rows);
            INDArray coefColumn = Nd4jArrays.fromFloats(coef, rows, 1);
            INDArray[] g = new INDArray[2 * network.layers()];
            // first layer: coefficients summed per distinct data row, then one product with those rows
            int[] distinct = java.util.Arrays.stream(plan.rows(), from, to).distinct().toArray();
            java.util.Map<Integer, Integer> index = new java.util.HashMap<>();
            for (int u = 0; u < distinct.length; u++) {
                index.put(distinct[u], u);
            }
            float[] indicator = new float[distinct.length * rows];
            for (int r = 0; r < rows; r++) {
                indicator[index.get(plan.rows()[from + r]) * rows + r] = coef[r];
            }
            INDArray sums = Nd4jArrays.fromFloats(indicator, distinct.length, rows);
            INDArray perPoint = sums.mmul(noise[0]);
            INDArray points = gather(distinct);
            g[0] = Nd4j.gemm(perPoint, points, true, false);
            g[1] = coefRow.mmul(noise[0]);
            Nd4jArrays.release(sums, perPoint, points);
            for (int l = 1; l < network.layers(); l++) {
                INDArray scaled = noise[l].mulColumnVector(coefColumn);
                g[2 * l] = Nd4j.gemm(scaled, inputs[l], true, false);
                g[2 * l + 1] = coefRow.mmul(noise[l]);
                Nd4jArrays.release(scaled);
            }
            Nd4jArrays.release(coefRow, coefColumn);
            return g;
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
                    part -> addParts(gradient, part));
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
