package org.forward4j.backend.cpu;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.ActivationResult;
import org.forward4j.estimator.DirectionWeigher;
import org.forward4j.estimator.EvaluationMetrics;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.RowWeigher;
import org.forward4j.estimator.StreamingQueryEvaluator;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.estimator.graph.Block;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.graph.Layer;
import org.forward4j.estimator.graph.LayerGraph;
import org.forward4j.estimator.graph.ParameterSpec;
import org.forward4j.estimator.graph.Shape;
import org.forward4j.noise.NoiseStream;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Evaluates plans of a {@link GraphObjective} batched over rows (docs/method.md §6, §8): every layer kind of a
 * {@link LayerGraph} runs on a chunk of rows at once. Linear layers (attention projections included) and patch
 * embeddings are products over all the chunk's tokens: narrow ones in {@link VectorKernels#affine} (weights kept
 * transposed as Java arrays, no copies), the others, and strided convolutions (as im2col patches times the kernel
 * matrix), OpenBLAS GEMMs ({@link Blas.Arrays}: operands copied into per-thread native buffers, no ND4J array per
 * product); the
 * gathers, pooling, layer norm, attention core and activations run as loops over the chunk's flat arrays
 * ({@link GraphKernels}, in Vector API lanes where {@link VectorKernels} has them), which measured faster than
 * ND4J's small per-dimension ops on these shapes. Activations are Java arrays between layers; OpenBLAS's weights
 * live in native memory per parameter set. After the last attention of a class-pooled graph only the class token is
 * computed ({@link GraphObjective#liveTokens}).
 *
 * <p><b>Weight plans</b> ({@code spsa}, {@code rge}): θ is the trainable tensors only; each run of queries on one
 * direction is one task that generates the direction once over θ's length, writes {@code theta + scale * z} into
 * its reused parameter arrays (frozen tensors keep their values and are never perturbed) and pushes the query's rows
 * through the graph in row chunks. {@link #evaluateAndCombine} adds {@code c_j z_j} on the calling thread in run
 * order while the direction is held, so it is generated once per step.
 *
 * <p><b>Activation plans</b> ({@code lr}): every noise site's output gets {@code sigma * sign * eps} from the plan's
 * stream {@code plan.stream(r, site)} (exactly as the reference evaluator's graph pass), and each site's input is kept
 * for the chunk. The assembly is per site one GEMM {@code C^T X} over the chunk's rows times tokens (linear and patch
 * embedding: X the input tokens or patches; convolution: X the im2col patches), and column sums for biases; a layer
 * norm's terms are {@code sum C * xhat} and {@code sum C}. Only trainable tensors are written, in θ's layout. A
 * chunk starts with one row per distinct data row and stays that way until the first noise is added: every layer
 * before it, and the first site's weight term (its input is the same for all of a point's queries), is computed
 * once per data row of the chunk instead of once per query. {@link #evaluateAndAssemble} assembles chunks of whole
 * groups right after their forward with one chunk per thread alive, so memory does not grow with the draws.
 *
 * <p><b>Frozen prefix.</b> The leading {@link GraphObjective#frozenPrefix()} blocks have no trainable tensor and no
 * noise site, and frozen parameters never change: their output for a data row is the same in every query and every
 * step. It is computed once per row, from that row alone (so its bits do not depend on which rows it was batched
 * with), kept in a {@link PrefixCache} within the backend's {@code prefix-cache-mb} budget for the evaluator's
 * lifetime (or, past the budget, recomputed once per plan), and every query of the row starts from it. Cost per
 * query: a query is still one evaluation of the perturbed model on one point and is counted as one by the caller;
 * the prefix is shared work done at most once per data row (per plan without the cache), so queries of a model
 * with a long frozen prefix are cheap, honestly so: the {@code bench} reports them against a plain forward of the
 * whole model.
 *
 * <p>Tasks have boundaries that do not depend on the thread count (runs of a direction, fixed row chunks, chunks of
 * whole groups) and results are combined in task order: bit-identical results for any number of threads.
 */
final class CpuGraphEvaluator implements StreamingQueryEvaluator {

    /**
     * Whether the graph kernels run in Vector API lanes ({@link VectorKernels}: GELU, layer norm, direct
     * convolutions, narrow linear maps); scalar loops and OpenBLAS where the module is absent.
     */
    private static final boolean VECTOR = FastNoise.vectorized();

    private final GraphObjective objective;
    private final LayerGraph graph;
    private final List<LayerGraph.Tensor> tensors;
    private final Map<String, Integer> tensorIndex = new HashMap<>();
    /** Weight tensors read from Java arrays, not native memory: those of stride-1 convolutions (computed directly). */
    private final java.util.Set<String> directWeights = new java.util.HashSet<>();
    /** The weights {@link VectorKernels#affine} multiplies, {@code [out, in]}: kept transposed as Java arrays. */
    private final Map<String, int[]> transposedShape = new HashMap<>();
    /** θ offset of each tensor, -1 for frozen ones. */
    private final int[] thetaOffset;
    private final int prefix;
    private final Shape start;
    private final int startSize;
    private final int inputSize;
    private final int chunkRows;
    private final Parallel parallel;
    private final PrefixCache cache;
    /** The full parameters the objective was built with: the frozen tensors' values. */
    private final float[] initialFull;
    private final AtomicLong prefixRowsComputed = new AtomicLong();
    /** Floats of noise and site inputs held by chunks of {@link #evaluateAndAssemble} now, and at most so far. */
    private final AtomicLong keptValues = new AtomicLong();
    private final AtomicLong peakKeptValues = new AtomicLong();
    private Params prefixParams;
    /** Parameter sets for weight queries, refilled per query instead of allocated: one per concurrent task. */
    private final ConcurrentLinkedQueue<Params> spareParams = new ConcurrentLinkedQueue<>();
    /** Arrays reused by the clean forwards of weight plans, one arena per task in flight ({@link Arena}). */
    private final ConcurrentLinkedQueue<Arena> arenas = new ConcurrentLinkedQueue<>();

    /**
     * Creates the evaluator.
     *
     * @param objective the graph objective
     * @param chunkRows the fixed row chunk (rows per forward)
     * @param parallel the worker threads
     * @param prefixCacheBytes the byte budget of the frozen prefix's cache; 0 recomputes it once per plan
     */
    CpuGraphEvaluator(GraphObjective objective, int chunkRows, Parallel parallel, long prefixCacheBytes) {
        this.objective = objective;
        this.graph = objective.graph();
        this.tensors = graph.tensors();
        this.thetaOffset = new int[tensors.size()];
        for (int t = 0; t < tensors.size(); t++) {
            tensorIndex.put(tensors.get(t).name(), t);
            thetaOffset[t] = objective.thetaOffset(tensors.get(t).name());
        }
        for (Block b : graph.blocks()) {
            collectDirectWeights(b.layers());
        }
        this.prefix = objective.frozenPrefix();
        this.start = graph.blockShapes().get(prefix);
        this.startSize = start.size();
        this.inputSize = graph.input().size();
        this.chunkRows = chunkRows;
        this.parallel = parallel;
        this.cache = prefix > 0 ? new PrefixCache(prefixCacheBytes, startSize) : null;
        this.initialFull = objective.expand(objective.initial());
    }

    private void collectDirectWeights(List<Layer> layers) {
        for (Layer l : layers) {
            if (l instanceof Layer.Residual r) {
                collectDirectWeights(r.body());
            } else if (l instanceof Layer.Conv2d c && c.stride() == 1) {
                directWeights.add(c.name() + ".weight");
            } else if (l instanceof Layer.Attention at) {
                for (Layer.Linear p : at.projections()) {
                    vectorWeight(p.name(), p.in(), p.out());
                }
            } else if (l instanceof Layer.Linear lin) {
                vectorWeight(lin.name(), lin.in(), lin.out());
            } else if (l instanceof Layer.PatchEmbed pe) {
                vectorWeight(pe.name(), pe.channels() * pe.patch() * pe.patch(), pe.dim());
            }
        }
    }

    /** Marks a linear map's weights for {@link VectorKernels#affine} (kept transposed) where it takes the widths. */
    private void vectorWeight(String layer, int in, int out) {
        if (VECTOR && VectorKernels.affineTakes(in, out)) {
            directWeights.add(layer + ".weight");
            transposedShape.put(layer + ".weight", new int[] {out, in});
        }
    }

    @Override
    public Objective objective() {
        return objective;
    }

    /**
     * Rows computed through the frozen prefix since the evaluator was created (a test hook: with the cache, each
     * data row once).
     *
     * @return the count
     */
    long prefixRowsComputed() {
        return prefixRowsComputed.get();
    }

    /**
     * The most floats of noise and site inputs that chunks of {@link #evaluateAndAssemble} held at once since the
     * last call (a test hook: with at most one chunk per thread alive, it does not grow with the draws).
     *
     * @return the peak, reset to 0 by this call
     */
    long takePeakKeptValues() {
        return peakKeptValues.getAndSet(0);
    }

    /**
     * The frozen prefix's cache.
     *
     * @return the cache, or null when the graph has no frozen prefix
     */
    PrefixCache prefixCache() {
        return cache;
    }

    // ---------------------------------------------------------------------------------------------------------
    // parameters

    /**
     * The parameter tensors of a range of blocks: weight matrices of GEMMs in native memory ({@code [rows, rest]}
     * row-major, read by any thread and never repositioned), every other tensor (direct convolutions' kernels
     * included) as a Java array. Each tensor lives in one of the two, so setting θ copies it once.
     */
    private final class Params {
        private final int fromBlock;
        private final int toBlock;
        private final FloatPointer[] matrices = new FloatPointer[tensors.size()];
        private final float[][] values = new float[tensors.size()][];
        /** Per tensor, {@code [out, in]} where its values are kept transposed, else null. */
        private final int[][] transposed = new int[tensors.size()][];

        Params(float[] full, int fromBlock, int toBlock) {
            this.fromBlock = fromBlock;
            this.toBlock = toBlock;
            for (int t = 0; t < tensors.size(); t++) {
                LayerGraph.Tensor tensor = tensors.get(t);
                transposed[t] = transposedShape.get(tensor.name());
                if (!inRange(t)) {
                    continue;
                }
                if (tensor.spec().role() == ParameterSpec.Role.WEIGHT && !directWeights.contains(tensor.name())) {
                    matrices[t] = new FloatPointer(tensor.size());
                    matrices[t].put(full, tensor.offset(), tensor.size());
                } else {
                    values[t] = new float[tensor.size()];
                    set(t, full, tensor.offset());
                }
            }
        }

        /**
         * Tensor {@code t}'s values from {@code src[offset ..]}, transposed where {@link VectorKernels#affine} reads
         * it.
         */
        private void set(int t, float[] src, int offset) {
            int[] shape = transposed[t];
            if (shape == null) {
                System.arraycopy(src, offset, values[t], 0, values[t].length);
                return;
            }
            int out = shape[0];
            int in = shape[1];
            float[] wt = values[t];
            for (int o = 0; o < out; o++) {
                for (int i = 0, from = offset + o * in; i < in; i++) {
                    wt[i * out + o] = src[from + i];
                }
            }
        }

        private boolean inRange(int t) {
            int b = tensors.get(t).block();
            return b >= fromBlock && b < toBlock;
        }

        /** Overwrites the trainable tensors with θ's values (frozen ones keep theirs). */
        Params setTrainable(float[] theta) {
            for (int t = 0; t < tensors.size(); t++) {
                if (thetaOffset[t] < 0 || !inRange(t)) {
                    continue;
                }
                if (matrices[t] != null) {
                    matrices[t].put(theta, thetaOffset[t], (int) matrices[t].capacity());
                } else {
                    set(t, theta, thetaOffset[t]);
                }
            }
            return this;
        }

        FloatPointer matrix(String tensor) {
            return matrices[tensorIndex.get(tensor)];
        }

        float[] values(String tensor) {
            return values[tensorIndex.get(tensor)];
        }

        void release() {
            for (FloatPointer m : matrices) {
                if (m != null) {
                    m.close();
                }
            }
        }
    }

    /** The parameters of the blocks after the frozen prefix for θ. */
    private Params suffixParams(float[] theta) {
        return new Params(initialFull, prefix, graph.blocks().size()).setTrainable(theta);
    }

    private synchronized Params prefixParams() {
        if (prefixParams == null) {
            prefixParams = new Params(initialFull, 0, prefix);
        }
        return prefixParams;
    }

    // ---------------------------------------------------------------------------------------------------------
    // the frozen prefix

    /** One data row through the frozen prefix, alone (its bits do not depend on other rows). */
    private float[] computePrefix(int row) {
        float[] x = java.util.Arrays.copyOfRange(objective.features(), row * inputSize, (row + 1) * inputSize);
        Run run = new Run(prefixParams(), 1);
        Act a = run.blocks(new Act(x, 1, true), 0, prefix);
        prefixRowsComputed.incrementAndGet();
        return a.x;
    }

    /** A row's prefix output from the cache, else computed (and cached when it fits). */
    private float[] prefixRow(int row) {
        float[] v = cache.get(row);
        if (v == null) {
            v = computePrefix(row);
            cache.put(row, v);
        }
        return v;
    }

    /**
     * The prefix outputs of a plan's distinct data rows, the missing ones computed in parallel; held for the plan
     * whether or not the cache keeps them. Null when the graph has no frozen prefix (queries start from the data).
     */
    private Map<Integer, float[]> prefixFor(int[] rows) {
        if (prefix == 0) {
            return null;
        }
        int[] distinct = java.util.Arrays.stream(rows).distinct().toArray();
        Map<Integer, float[]> out = new HashMap<>();
        List<Integer> missing = new ArrayList<>();
        for (int row : distinct) {
            float[] v = cache.get(row);
            if (v == null) {
                missing.add(row);
            } else {
                out.put(row, v);
            }
        }
        int per = 8;
        List<float[][]> computed = parallel.map((missing.size() + per - 1) / per, g -> {
            float[][] part = new float[Math.min(per, missing.size() - g * per)][];
            for (int k = 0; k < part.length; k++) {
                part[k] = computePrefix(missing.get(g * per + k));
            }
            return part;
        });
        for (int g = 0; g < computed.size(); g++) {
            for (int k = 0; k < computed.get(g).length; k++) {
                int row = missing.get(g * per + k);
                out.put(row, computed.get(g)[k]);
                cache.put(row, computed.get(g)[k]);
            }
        }
        return out;
    }

    /** The values entering the first block after the prefix for some data rows, row after row. */
    private float[] startRows(int[] rows, Map<Integer, float[]> prefixRows) {
        if (prefix == 0) {
            float[] out = new float[rows.length * startSize];
            for (int k = 0; k < rows.length; k++) {
                System.arraycopy(objective.features(), rows[k] * inputSize, out, k * startSize, startSize);
            }
            return out;
        }
        // a prefix that ends after the last attention of a class-pooled graph keeps only the class token: its rows
        // are shorter than the block shape says
        float[] out = null;
        for (int k = 0; k < rows.length; k++) {
            float[] v = prefixRows != null ? prefixRows.get(rows[k]) : prefixRow(rows[k]);
            if (out == null) {
                out = new float[rows.length * v.length];
            }
            System.arraycopy(v, 0, out, k * v.length, v.length);
        }
        return out == null ? new float[0] : out;
    }

    // ---------------------------------------------------------------------------------------------------------
    // clean evaluation and weight plans

    /**
     * The test-set evaluation: chunks of rows through the whole graph (the frozen prefix from the cache), softmax
     * cross-entropy and the argmax per row, chunk sums combined in chunk order.
     */
    @Override
    public EvaluationMetrics evaluateClean(float[] theta) {
        int n = objective.size();
        int classes = graph.classes();
        int[] labels = objective.labels();
        Params p = suffixParams(theta);
        double[] lossSum = {0};
        long[] correct = {0};
        int count = (n + chunkRows - 1) / chunkRows;
        parallel.ordered(count, c -> {
            int from = c * chunkRows;
            int to = Math.min(n, from + chunkRows);
            int[] rows = new int[to - from];
            for (int k = 0; k < rows.length; k++) {
                rows[k] = from + k;
            }
            float[] logits = new Run(p, rows.length).logits(startRows(rows, null));
            double loss = 0;
            long right = 0;
            for (int k = 0; k < rows.length; k++) {
                loss += Networks.softmaxCrossEntropy(logits, k * classes, classes, labels[rows[k]]);
                right += Networks.argmax(logits, k * classes, classes) == labels[rows[k]] ? 1 : 0;
            }
            return new double[] {loss, right};
        }, part -> {
            lossSum[0] += part[0];
            correct[0] += (long) part[1];
        });
        p.release();
        return new EvaluationMetrics(lossSum[0] / n, (double) correct[0] / n, n);
    }

    @Override
    public double[][] evaluate(float[] theta, WeightPlan plan) {
        return weightPlan(theta, plan, null, null);
    }

    /**
     * Each run of queries on one direction is one task that generates the direction once, evaluates the run, asks
     * the weigher for its coefficient and hands {@code (c_j, z_j)} to the calling thread, which adds the terms in
     * run order (bit-identical for any thread count).
     */
    @Override
    public double[][] evaluateAndCombine(float[] theta, WeightPlan plan, DirectionWeigher weigher,
            float[] gradient) {
        checkGradient(gradient);
        return weightPlan(theta, plan, weigher, gradient);
    }

    private void checkGradient(float[] gradient) {
        if (gradient.length != objective.dimension()) {
            throw new IllegalArgumentException("gradient has " + gradient.length + " entries for "
                    + objective.dimension() + " trainable parameters");
        }
    }

    /** One direction's term {@code c z} waiting to be added. */
    private record Term(float coefficient, float[] direction) {
    }

    private double[][] weightPlan(float[] theta, WeightPlan plan, DirectionWeigher weigher, float[] gradient) {
        int d = objective.dimension();
        List<WeightQuery> queries = plan.queries();
        double[][] out = new double[queries.size()][];
        int total = 0;
        for (WeightQuery q : queries) {
            total += q.rows().length;
        }
        int[] all = new int[total];
        int at = 0;
        for (WeightQuery q : queries) {
            System.arraycopy(q.rows(), 0, all, at, q.rows().length);
            at += q.rows().length;
        }
        Map<Integer, float[]> prefixRows = prefixFor(all);
        List<WeightPlan.Run> runs = plan.directionRuns();
        java.util.function.IntFunction<Term> task = g -> {
            WeightPlan.Run run = runs.get(g);
            float[] z = null;
            float[] perturbed = new float[d];
            Params params = spareParams.poll();
            if (params == null) {
                params = new Params(initialFull, prefix, graph.blocks().size());
            }
            try {
                for (int q = run.from(); q < run.to(); q++) {
                    WeightQuery wq = queries.get(q);
                    if (wq.scale() == 0f) {
                        System.arraycopy(theta, 0, perturbed, 0, d);
                    } else {
                        if (z == null) {
                            z = new float[d];
                            FastNoise.fill(plan.stream(wq.direction()), plan.distribution(), z, 0, d, 0);
                        }
                        float s = wq.scale();
                        for (int k = 0; k < d; k++) {
                            perturbed[k] = theta[k] + s * z[k];
                        }
                    }
                    params.setTrainable(perturbed);
                    out[q] = losses(params, wq.rows(), prefixRows);
                }
            } finally {
                spareParams.add(params);
            }
            double c = weigher == null || z == null ? 0.0 : weigher.weight(run.from(), run.to(), out);
            return c == 0.0 ? null : new Term((float) c, z);
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
                }
            });
        }
        return out;
    }

    /**
     * Clean losses of rows under one parameter set, in row chunks. Nothing of a chunk's forward outlives its losses,
     * so its layers' arrays come from an {@link Arena} and are reused by the next chunk.
     */
    private double[] losses(Params p, int[] rows, Map<Integer, float[]> prefixRows) {
        int classes = graph.classes();
        int[] labels = objective.labels();
        double[] losses = new double[rows.length];
        Arena arena = null;
        if (reuseArrays) {
            arena = arenas.poll();
            arena = arena == null ? new Arena() : arena;
        }
        try {
            for (int from = 0; from < rows.length; from += chunkRows) {
                int to = Math.min(rows.length, from + chunkRows);
                int[] chunk = java.util.Arrays.copyOfRange(rows, from, to);
                float[] logits = new Run(p, chunk.length, arena).logits(startRows(chunk, prefixRows));
                for (int k = 0; k < chunk.length; k++) {
                    losses[from + k] = Networks.softmaxCrossEntropy(logits, k * classes, classes,
                            labels[chunk[k]]);
                }
            }
        } finally {
            if (arena != null) {
                arenas.add(arena);
            }
        }
        return losses;
    }

    /** Whether clean forwards reuse their arrays through an {@link Arena} (on; tests compare both ways). */
    private static volatile boolean reuseArrays = true;

    /**
     * Switches the arenas on or off (tests compare both ways in one JVM).
     *
     * @param on the new mode
     * @return the previous mode
     */
    static boolean reuseArrays(boolean on) {
        boolean was = reuseArrays;
        reuseArrays = on;
        return was;
    }

    /**
     * The arrays of one clean chunk forward, handed out in the order its layers ask for them and handed out again,
     * in the same order, to the next chunk (an array whose length no longer fits is replaced). The layers write
     * every value of what they take, so no array is cleared. A fresh array per layer cost more than some layers'
     * arithmetic: the JVM zeroes it in memory that is no longer in any cache (a ViT chunk allocated about 65 KB per
     * row).
     */
    private static final class Arena {
        private final List<float[]> arrays = new ArrayList<>();
        private int next;

        /** Starts a chunk: the arrays are handed out again from the first. */
        void reset() {
            next = 0;
        }

        /** The next array, of {@code n} floats, with any values in it. */
        float[] take(int n) {
            if (next < arrays.size() && arrays.get(next).length == n) {
                return arrays.get(next++);
            }
            float[] a = new float[n];
            if (next < arrays.size()) {
                arrays.set(next, a);
            } else {
                arrays.add(a);
            }
            next++;
            return a;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // activation plans

    @Override
    public ActivationPass evaluate(float[] theta, ActivationPlan plan) {
        Params p = suffixParams(theta);
        Map<Integer, float[]> prefixRows = prefixFor(plan.rows());
        int n = plan.size();
        double[] losses = new double[n];
        int count = (n + chunkRows - 1) / chunkRows;
        try {
            List<Run> chunks = parallel.map(count, c -> {
                Run chunk = new Run(p, plan, c * chunkRows, Math.min(n, (c + 1) * chunkRows));
                chunk.forward(prefixRows, losses);
                return chunk;
            });
            return new GraphActivationPass(plan, losses, chunks);
        } finally {
            p.release();
        }
    }

    /**
     * Chunks of whole groups, each run as forward, weights, assembly, after which its activations are dropped; the
     * chunks' terms are added in chunk order on the calling thread with at most one chunk per thread alive, so
     * memory is that of the rows in flight, not of the plan. Groups are packed into chunks of at most
     * {@code chunk-rows} rows; a larger group is a chunk of its own.
     */
    @Override
    public ActivationResult evaluateAndAssemble(float[] theta, ActivationPlan plan, int[] groupEnds,
            RowWeigher weigher, float[] gradient, boolean noiseEnergy) {
        plan.checkGroups(groupEnds);
        checkGradient(gradient);
        Params p = suffixParams(theta);
        try {
            Map<Integer, float[]> prefixRows = prefixFor(plan.rows());
            int n = plan.size();
            double[] losses = new double[n];
            double[] weights = new double[n];
            double[] energies = noiseEnergy ? new double[n] : null;
            List<int[]> chunks = GroupChunks.of(groupEnds, chunkRows);
            parallel.ordered(chunks.size(), parallel.threads(), c -> {
                int[] span = chunks.get(c);
                Run chunk = new Run(p, plan, GroupChunks.start(groupEnds, span[0]), groupEnds[span[1] - 1]);
                chunk.forward(prefixRows, losses);
                long kept = chunk.keptValues();
                peakKeptValues.accumulateAndGet(keptValues.addAndGet(kept), Math::max);
                for (int g = span[0]; g < span[1]; g++) {
                    weigher.weigh(GroupChunks.start(groupEnds, g), groupEnds[g], losses, weights);
                }
                if (energies != null) {
                    System.arraycopy(chunk.energy, 0, energies, chunk.from, chunk.queries);
                }
                try {
                    return chunk.gradient(weights);
                } finally {
                    // the chunk is dropped here: only its terms go on to the calling thread
                    keptValues.addAndGet(-kept);
                }
            }, terms -> addTerms(gradient, terms));
            return new ActivationResult(losses, weights, energies);
        } finally {
            p.release();
        }
    }


    /** A chunk's terms of one tensor: values to add at an offset of θ's gradient. */
    private record TensorTerm(int offset, float[] values) {
    }

    private static void addTerms(float[] gradient, List<TensorTerm> terms) {
        if (terms == null) {
            return;
        }
        for (TensorTerm t : terms) {
            float[] v = t.values();
            int o = t.offset();
            for (int k = 0; k < v.length; k++) {
                gradient[o + k] += v[k];
            }
        }
    }

    /** Keeps each chunk's noise and site inputs until the gradient is assembled. */
    private final class GraphActivationPass implements ActivationPass {
        private final ActivationPlan plan;
        private final double[] losses;
        private List<Run> chunks;

        GraphActivationPass(ActivationPlan plan, double[] losses, List<Run> chunks) {
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
            checkGradient(gradient);
            List<Run> kept = open();
            parallel.ordered(kept.size(), parallel.threads(), c -> kept.get(c).gradient(rowWeights),
                    terms -> addTerms(gradient, terms));
        }

        @Override
        public double[] noiseEnergy() {
            double[] e = new double[plan.size()];
            for (Run chunk : open()) {
                System.arraycopy(chunk.energy, 0, e, chunk.from, chunk.queries);
            }
            return e;
        }

        private List<Run> open() {
            if (chunks == null) {
                throw new IllegalStateException("this activation pass is closed");
            }
            return chunks;
        }

        @Override
        public void close() {
            chunks = null;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // the batched forward

    /**
     * Activations of a chunk: {@code rows} rows of values, either one per query ({@code perQuery}) or one per
     * distinct data row of the chunk (before any noise, when a point's queries still agree). {@code owned}: nothing
     * else refers to the array (a residual's skip and a kept site input do), so the next layer may overwrite it.
     */
    private record Act(float[] x, int rows, boolean perQuery, boolean owned) {
        Act(float[] x, int rows, boolean perQuery) {
            this(x, rows, perQuery, true);
        }
    }

    /**
     * One forward of a chunk of rows under one parameter set: clean (weight plans, test evaluation, the prefix), or
     * rows {@code from..to-1} of an activation plan with noise at every site, keeping what the assembly needs.
     */
    private final class Run {
        private final Params p;
        private final ActivationPlan plan;
        private final int from;
        private final int queries;
        /** Query -> distinct data row of the chunk; null for a clean run (its rows are its queries). */
        private final int[] map;
        private final int[] distinct;
        private final float[][] noise;
        private final float[][] input;
        private final boolean[] inputPerQuery;
        private final double[] energy;
        /** Where a clean run's layers take their arrays; null: new ones (a kept site input must not be reused). */
        private final Arena arena;

        /** A clean run of {@code rows} rows whose arrays are new. */
        Run(Params p, int rows) {
            this(p, rows, null);
        }

        /**
         * A clean run of {@code rows} rows whose arrays come from {@code arena} (null: new ones), handed out again
         * from its first: the run is a new chunk.
         */
        Run(Params p, int rows, Arena arena) {
            if (arena != null) {
                arena.reset();
            }
            this.arena = arena;
            this.p = p;
            this.plan = null;
            this.from = 0;
            this.queries = rows;
            this.map = null;
            this.distinct = null;
            this.noise = null;
            this.input = null;
            this.inputPerQuery = null;
            this.energy = null;
        }

        /** Queries {@code from..to-1} of an activation plan. */
        Run(Params p, ActivationPlan plan, int from, int to) {
            this.arena = null;
            this.p = p;
            this.plan = plan;
            this.from = from;
            this.queries = to - from;
            this.map = new int[queries];
            Map<Integer, Integer> index = new HashMap<>();
            for (int r = 0; r < queries; r++) {
                map[r] = index.computeIfAbsent(plan.rows()[from + r], k -> index.size());
            }
            this.distinct = new int[index.size()];
            index.forEach((row, u) -> distinct[u] = row);
            int sites = objective.sites().size();
            this.noise = new float[sites][];
            this.input = new float[sites][];
            this.inputPerQuery = new boolean[sites];
            this.energy = new double[queries];
        }

        /** Floats of noise and site inputs this chunk keeps for its assembly. */
        long keptValues() {
            long n = 0;
            for (int s = 0; s < noise.length; s++) {
                n += (noise[s] == null ? 0 : noise[s].length) + (input[s] == null ? 0 : input[s].length);
            }
            return n;
        }

        /** An array for a layer's values, all of which the layer writes. */
        private float[] alloc(int n) {
            return arena == null ? new float[n] : arena.take(n);
        }

        /** The logits of a clean run from the values entering the first block after the prefix. */
        float[] logits(float[] startValues) {
            return blocks(new Act(startValues, queries, true), prefix, graph.blocks().size()).x;
        }

        /** The noisy forward of an activation plan's chunk; writes the queries' losses. */
        void forward(Map<Integer, float[]> prefixRows, double[] losses) {
            Act a = blocks(new Act(startRows(distinct, prefixRows), distinct.length, false), prefix,
                    graph.blocks().size());
            float[] logits = a.perQuery ? a.x : expand(a.x, graph.classes());
            int classes = graph.classes();
            for (int r = 0; r < queries; r++) {
                losses[from + r] = Networks.softmaxCrossEntropy(logits, r * classes, classes,
                        objective.labels()[plan.rows()[from + r]]);
            }
        }

        Act blocks(Act a, int fromBlock, int toBlock) {
            Shape s = graph.blockShapes().get(fromBlock);
            for (int b = fromBlock; b < toBlock; b++) {
                for (Layer l : graph.blocks().get(b).layers()) {
                    a = layer(l, a, s);
                    s = l.output(s);
                }
            }
            return a;
        }

        /** One row per query: row r is the row of its data row. */
        private float[] expand(float[] x, int size) {
            float[] out = new float[queries * size];
            for (int r = 0; r < queries; r++) {
                System.arraycopy(x, map[r] * size, out, r * size, size);
            }
            return out;
        }

        private Act expand(Act a) {
            return a.perQuery ? a : new Act(expand(a.x, a.x.length / a.rows), queries, true);
        }

        private Act layer(Layer l, Act a, Shape s) {
            if (l instanceof Layer.Linear lin) {
                return linear(lin, a);
            } else if (l instanceof Layer.Conv2d c) {
                return conv(c, a, s);
            } else if (l instanceof Layer.Pool2d pool) {
                Shape os = pool.output(s);
                return new Act(GraphKernels.pool(a.x, a.rows, s.dim(0), s.dim(1), s.dim(2), pool.kernel(),
                        pool.stride(), pool.kind() == Layer.Pool2d.Kind.MAX, alloc(a.rows * os.size())), a.rows,
                        a.perQuery);
            } else if (l instanceof Layer.Flatten) {
                return a;
            } else if (l instanceof Layer.LayerNorm ln) {
                return layerNorm(ln, a);
            } else if (l instanceof Layer.Act act) {
                return new Act(activate(act.fn(), a.x, a.owned), a.rows, a.perQuery);
            } else if (l instanceof Layer.PatchEmbed pe) {
                return patchEmbed(pe, a, s);
            } else if (l instanceof Layer.ClassToken ct) {
                float[] token = p.values(ct.name() + ".token");
                return new Act(GraphKernels.prependToken(a.x, a.rows, s.dim(0), token,
                        alloc(a.rows * (s.dim(0) + 1) * token.length)), a.rows, a.perQuery);
            } else if (l instanceof Layer.PositionEmbed pe) {
                float[] e = p.values(pe.name() + ".embedding");
                float[] y = a.owned ? a.x : alloc(a.x.length);
                for (int n = 0, o = 0; n < a.rows; n++, o += e.length) {
                    for (int i = 0; i < e.length; i++) {
                        y[o + i] = a.x[o + i] + e[i];
                    }
                }
                return new Act(y, a.rows, a.perQuery);
            } else if (l instanceof Layer.Attention at) {
                return attention(at, a, s);
            } else if (l instanceof Layer.TokenPool tp) {
                return new Act(GraphKernels.tokenPool(a.x, a.rows, a.x.length / (a.rows * s.dim(1)), s.dim(1),
                        tp.kind() == Layer.TokenPool.Kind.CLASS), a.rows, a.perQuery);
            } else {
                return residual((Layer.Residual) l, a, s);
            }
        }

        /** The noise site this run perturbs at a layer, or -1 (not a site, or a clean run). */
        private int site(String layer) {
            return plan == null ? -1 : objective.siteIndex(layer);
        }

        /**
         * A site's output: when this run has noise and the layer is a site, its input is kept for the assembly
         * ({@code recorded}), the output is expanded to one row per query and the noise added; otherwise the
         * output as it is.
         */
        private Act site(String layer, Act a, float[] recorded, float[] y) {
            int s = site(layer);
            if (s < 0) {
                return new Act(y, a.rows, a.perQuery);
            }
            input[s] = recorded;
            inputPerQuery[s] = a.perQuery;
            int size = y.length / a.rows;
            float[] out = a.perQuery ? y : expand(y, size);
            float[] e = new float[queries * size];
            float sigma = plan.sigma();
            // the leading values that can reach the loss; the others get no noise (GraphObjective.Site#noisy)
            int noisy = Math.min(objective.sites().get(s).noisy(), size);
            for (int r = 0; r < queries; r++) {
                // sigma * sign * eps, exactly the reference's noise (docs/method.md §5)
                FastNoise.fill(plan.stream(from + r, s), NoiseStream.Distribution.GAUSSIAN, e, r * size, noisy, 0);
                float scale = plan.negate()[from + r] ? -sigma : sigma;
                double sq = 0;
                for (int i = r * size, end = i + noisy; i < end; i++) {
                    float z = e[i];
                    sq += (double) z * z;
                    e[i] = scale * z;
                    out[i] += e[i];
                }
                energy[r] += sq - noisy;
            }
            noise[s] = e;
            return new Act(out, queries, true);
        }

        private Act linear(Layer.Linear lin, Act a) {
            // every token present (after the last attention of a class-pooled graph, only the live ones)
            float[] y = map(lin.name(), a.x, lin.in());
            return site(lin.name(), a, a.x, y);
        }

        private Act patchEmbed(Layer.PatchEmbed pe, Act a, Shape s) {
            int in = pe.channels() * pe.patch() * pe.patch();
            int tokens = (s.dim(1) / pe.patch()) * (s.dim(2) / pe.patch());
            float[] patches = GraphKernels.patches(a.x, a.rows, s.dim(0), s.dim(1), s.dim(2), pe.patch(),
                    alloc(a.rows * tokens * in));
            float[] y = map(pe.name(), patches, in);
            return site(pe.name(), a, patches, y);
        }

        /** A linear map's {@code x W^T + b} on every row of width {@code in} in {@code x}: in lanes or by OpenBLAS. */
        private float[] map(String layer, float[] x, int in) {
            String weight = layer + ".weight";
            float[] bias = p.values(layer + ".bias");
            if (transposedShape.containsKey(weight)) {
                int m = x.length / in;
                return VectorKernels.affine(x, m, in, p.values(weight), bias.length, bias, alloc(m * bias.length));
            }
            return affine(x, x.length / in, in, p.matrix(weight), bias);
        }

        private Act conv(Layer.Conv2d c, Act a, Shape s) {
            Shape os = c.output(s);
            int pixels = os.dim(1) * os.dim(2);
            int columns = a.rows * pixels;
            if (c.stride() == 1) {
                // direct: no patch matrix, no copies into native memory, the output already row by row; the patches
                // are built only when an lr site needs them for its weight term
                float[] w = p.values(c.name() + ".weight");
                float[] bias = p.values(c.name() + ".bias");
                float[] y = VECTOR
                        ? VectorKernels.conv2d(a.x, a.rows, c.in(), s.dim(1), s.dim(2), w, bias, c.out(), c.kernel(),
                                c.padding(), alloc(a.rows * os.size()))
                        : GraphKernels.conv2d(a.x, a.rows, c.in(), s.dim(1), s.dim(2), w, bias, c.out(), c.kernel(),
                                c.padding());
                float[] patches = site(c.name()) >= 0 ? GraphKernels.im2col(a.x, a.rows, c.in(), s.dim(1), s.dim(2),
                        c.kernel(), 1, c.padding(), os.dim(1), os.dim(2)) : null;
                return site(c.name(), a, patches, y);
            }
            float[] patches = GraphKernels.im2col(a.x, a.rows, c.in(), s.dim(1), s.dim(2), c.kernel(), c.stride(),
                    c.padding(), os.dim(1), os.dim(2));
            int ckk = c.in() * c.kernel() * c.kernel();
            // [out, ckk] x [ckk, rows * pixels]: every row's output channel by channel, bias per channel
            float[] byChannel = Blas.Arrays.kernelTimes(p.matrix(c.name() + ".weight"), patches, c.out(), columns,
                    ckk);
            float[] bias = p.values(c.name() + ".bias");
            for (int o = 0; o < c.out(); o++) {
                float b = bias[o];
                for (int i = o * columns, end = i + columns; i < end; i++) {
                    byChannel[i] += b;
                }
            }
            return site(c.name(), a, patches, GraphKernels.swapOuter(byChannel, c.out(), a.rows, pixels));
        }

        private Act layerNorm(Layer.LayerNorm ln, Act a) {
            float[] xhat = alloc(a.x.length);
            float[] y = alloc(a.x.length);
            if (GraphKernels.floatMath()) {
                FloatMath.layerNorm(a.x, ln.dim(), p.values(ln.name() + ".weight"),
                        p.values(ln.name() + ".bias"), Layer.LayerNorm.EPS, xhat, y);
            } else if (VECTOR) {
                VectorKernels.layerNorm(a.x, ln.dim(), p.values(ln.name() + ".weight"),
                        p.values(ln.name() + ".bias"), Layer.LayerNorm.EPS, xhat, y);
            } else {
                GraphKernels.layerNorm(a.x, ln.dim(), p.values(ln.name() + ".weight"),
                        p.values(ln.name() + ".bias"), Layer.LayerNorm.EPS, xhat, y);
            }
            return site(ln.name(), a, xhat, y);
        }

        private Act attention(Layer.Attention at, Act a, Shape s) {
            List<Layer.Linear> proj = at.projections();
            int t = s.dim(0);
            // after the last attention of a class-pooled graph only the class token reaches the loss: queries, the
            // mixture and everything after it are computed for the live tokens alone (GraphObjective#liveTokens)
            int live = objective.liveTokens(proj.get(3).name(), t);
            Act q = linear(proj.get(0), live == t ? a : leadingTokens(a, t, live, at.dim()));
            Act k = linear(proj.get(1), a);
            Act v = linear(proj.get(2), a);
            if (q.perQuery || k.perQuery || v.perQuery) {
                q = expand(q);
                k = expand(k);
                v = expand(v);
            }
            float[] mix = GraphKernels.attention(q.x, k.x, v.x, q.rows, live, t, at.dim(), at.heads(),
                    alloc(q.rows * live * at.dim()));
            return linear(proj.get(3), new Act(mix, q.rows, q.perQuery));
        }

        /** The first {@code live} of every row's {@code t} tokens of width {@code d}. */
        private Act leadingTokens(Act a, int t, int live, int d) {
            float[] y = alloc(a.rows * live * d);
            for (int n = 0; n < a.rows; n++) {
                System.arraycopy(a.x, n * t * d, y, n * live * d, live * d);
            }
            return new Act(y, a.rows, a.perQuery);
        }

        private Act residual(Layer.Residual r, Act a, Shape s) {
            // the branch must not overwrite its input: it is the skip
            Act b = new Act(a.x, a.rows, a.perQuery, false);
            Shape t = s;
            for (Layer inner : r.body()) {
                b = layer(inner, b, t);
                t = inner.output(t);
            }
            Act skip = b.perQuery ? expand(a) : a;
            float[] y = b.owned ? b.x : alloc(b.x.length);
            // a body ending in the last attention keeps only the live leading tokens; the skip adds to those
            int size = b.x.length / b.rows;
            int skipSize = skip.x.length / skip.rows;
            for (int n = 0; n < b.rows; n++) {
                for (int i = n * size, j = n * skipSize, end = i + size; i < end; i++, j++) {
                    y[i] = skip.x[j] + b.x[i];
                }
            }
            return new Act(y, b.rows, b.perQuery);
        }

        // -----------------------------------------------------------------------------------------------------
        // assembly

        /**
         * This chunk's terms {@code sum_r w_r sign_r eps_{r,s} x_{r,s}^T / sigma} per trainable tensor, in site
         * order; null when every weight is 0. Where a site's input was kept once per data row, each data row's
         * coefficients are summed over its queries first (a point's queries share that input).
         */
        List<TensorTerm> gradient(double[] rowWeights) {
            float sigma = plan.sigma();
            float[] coef = new float[queries];
            boolean any = false;
            for (int r = 0; r < queries; r++) {
                // the noise is kept as sigma * sign * eps, so the coefficient is w / sigma^2
                coef[r] = (float) (rowWeights[from + r] / ((double) sigma * sigma));
                any |= coef[r] != 0f;
            }
            if (!any) {
                return null;
            }
            List<TensorTerm> terms = new ArrayList<>();
            for (GraphObjective.Site site : objective.sites()) {
                siteTerms(site, coef, terms);
            }
            return terms;
        }

        private void siteTerms(GraphObjective.Site site, float[] coef, List<TensorTerm> terms) {
            int s = site.index();
            float[] e = noise[s];
            // values per query as computed: fewer than the output's when only the live tokens were
            int size = e.length / queries;
            boolean perQuery = inputPerQuery[s];
            int rows = perQuery ? queries : distinct.length;
            float[] c = new float[rows * size];
            for (int r = 0; r < queries; r++) {
                float cr = coef[r];
                if (cr == 0f) {
                    continue;
                }
                int dst = (perQuery ? r : map[r]) * size;
                int src = r * size;
                for (int i = 0; i < size; i++) {
                    c[dst + i] += cr * e[src + i];
                }
            }
            String name = site.name();
            int w = objective.thetaOffset(name + ".weight");
            int b = objective.thetaOffset(name + ".bias");
            Layer l = site.layer();
            if (l instanceof Layer.LayerNorm ln) {
                int d = ln.dim();
                double[] scale = new double[d];
                double[] shift = new double[d];
                float[] xhat = input[s];
                for (int i = 0; i < c.length; i++) {
                    scale[i % d] += (double) c[i] * xhat[i];
                    shift[i % d] += c[i];
                }
                if (w >= 0) {
                    terms.add(new TensorTerm(w, toFloats(scale)));
                }
                if (b >= 0) {
                    terms.add(new TensorTerm(b, toFloats(shift)));
                }
                return;
            }
            if (l instanceof Layer.Conv2d conv) {
                // [rows, out, pixels] -> [out, rows * pixels], the columns of the kept patches [ckk, rows * pixels]
                int out = conv.out();
                int columns = rows * (size / out);
                float[] byChannel = GraphKernels.swapOuter(c, rows, out, size / out);
                if (w >= 0) {
                    float[] x = input[s];
                    terms.add(new TensorTerm(w, Blas.Arrays.gemmNT(byChannel, x, out, x.length / columns, columns)));
                }
                if (b >= 0) {
                    float[] sum = new float[out];
                    for (int o = 0; o < out; o++) {
                        double acc = 0;
                        for (int i = o * columns, end = i + columns; i < end; i++) {
                            acc += byChannel[i];
                        }
                        sum[o] = (float) acc;
                    }
                    terms.add(new TensorTerm(b, sum));
                }
                return;
            }
            int out = site.out().last();
            int m = c.length / out;
            if (w >= 0) {
                float[] x = input[s];
                int in = x.length / m;
                terms.add(new TensorTerm(w, Blas.Arrays.gemmTN(c, x, out, in, m)));
            }
            if (b >= 0) {
                double[] sum = new double[out];
                for (int i = 0; i < c.length; i++) {
                    sum[i % out] += c[i];
                }
                terms.add(new TensorTerm(b, toFloats(sum)));
            }
        }
    }

    private static float[] toFloats(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) v[i];
        }
        return out;
    }

    /** {@code x W^T + b} for {@code m} rows of width {@code in}, W an ND4J matrix {@code [out, in]}, b a row. */
    private static float[] affine(float[] x, int m, int in, FloatPointer w, float[] bias) {
        int out = bias.length;
        float[] y = Blas.Arrays.forward(x, m, in, w, out);
        if (VECTOR) {
            VectorKernels.addBias(y, m, out, bias);
        } else {
            for (int r = 0, i = 0; r < m; r++) {
                for (int o = 0; o < out; o++, i++) {
                    y[i] += bias[o];
                }
            }
        }
        return y;
    }

    /** An element-wise nonlinearity as {@link Layer.Act.Fn} defines it, in place when the array may be overwritten. */
    private static float[] activate(Layer.Act.Fn fn, float[] x, boolean inPlace) {
        float[] y = inPlace ? x : new float[x.length];
        switch (fn) {
            case RELU -> {
                if (VECTOR) {
                    VectorKernels.relu(x, y);
                } else {
                    for (int i = 0; i < x.length; i++) {
                        y[i] = x[i] > 0 ? x[i] : 0f;
                    }
                }
            }
            case TANH -> {
                for (int i = 0; i < x.length; i++) {
                    y[i] = (float) tanh(x[i]);
                }
            }
            case GELU -> {
                if (GraphKernels.floatMath()) {
                    FloatMath.gelu(x, y, Layer.Act.GELU_C);
                } else if (VECTOR) {
                    VectorKernels.gelu(x, y, Layer.Act.GELU_C);
                } else {
                    for (int i = 0; i < x.length; i++) {
                        double v = x[i];
                        y[i] = (float) (0.5 * v * (1 + tanh(Layer.Act.GELU_C * (v + 0.044715 * v * v * v))));
                    }
                }
            }
        }
        return y;
    }

    /**
     * tanh through the exponential ({@code Math.exp} is a JIT intrinsic, {@code Math.tanh} is not: 21 against 6 ns
     * per value measured): {@code sign(u) (1 - 2 / (exp(2|u|) + 1))} in double, within 2e-12 relative of
     * {@code Math.tanh}, far below the float the result is stored in.
     */
    static double tanh(double u) {
        double a = Math.abs(u);
        if (a > 20) {
            return Math.copySign(1.0, u);
        }
        if (a < 1e-4) {
            // 1 - 2 / (e + 1) cancels here; the series is exact to double
            return u - u * u * u / 3;
        }
        double t = 1 - 2 / (Math.exp(2 * a) + 1);
        return Math.copySign(t, u);
    }
}
