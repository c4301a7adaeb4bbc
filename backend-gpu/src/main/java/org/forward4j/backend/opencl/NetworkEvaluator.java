package org.forward4j.backend.opencl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.BackendUnavailableException;
import org.forward4j.plugin.InvalidDataException;

/**
 * Runs the plans of a {@link NetworkObjective} on one OpenCL device (docs/method.md §2, §5, §6).
 *
 * <p>Rows are processed in chunks of at most {@code chunkRows} (padded to the 64-row tile). A chunk's launches:
 * the weights ({@link NetworkKernel#PASS_COPY} of theta, or {@link NetworkKernel#PASS_PERTURB} building
 * {@code theta + scale z} for every weight-plan query of the chunk, so one weight read serves all rows of a
 * query), one {@link NetworkKernel#PASS_FORWARD} per layer, then {@link NetworkKernel#PASS_LOSS}. Activation noise is
 * generated inside the forward and never stored. Layer inputs stay on the device after an activation plan, so
 * {@link ActivationPass#accumulateGradient} regenerates the noise and assembles the gradient without re-running the
 * forward, as long as the plan fitted one chunk and no other plan ran since; otherwise the forward is recomputed
 * (bit-identical: everything is a pure function of theta, the plan and the key).
 *
 * <p>Not thread-safe for concurrent plans: methods synchronise on the evaluator.
 */
final class NetworkEvaluator implements QueryEvaluator {

    private static final int MAX_ATTEMPTS = 3;
    private static final int STAMP_RANGE = 1 << 23;

    private final NetworkObjective objective;
    private final DenseNetwork network;
    private final KernelSession session;
    private final NetworkKernel k;
    private final int layers;
    private final int dim;
    private final int size;
    private final int[] in;
    private final int[] out;
    private final int[] wOff;
    private final int[] bOff;
    private final int[] outPrefix;
    private final int[] energyPrefix;
    private final int energyBlocks;
    private final int maxOut;
    private final int activation;
    private final int chunkRows;
    private final int maxSlots;
    private final int computeUnits;
    private int stampCounter;
    /** The pass whose layer inputs are on the device (after the forward that stamped them residentStamp). */
    private DevicePass resident;
    private float residentStamp;
    /** The pass whose parameters are in {@code k.theta}; they are copied out only when another upload replaces them. */
    private DevicePass thetaOwner;

    /**
     * Creates the evaluator and uploads the dataset.
     *
     * @param objective the network objective
     * @param session the device session (owned by this evaluator from now on)
     * @param chunkRows the most rows per launch chunk (a multiple of 64)
     * @param weightBufferFloats the most floats of perturbed weights held on the device at once
     */
    NetworkEvaluator(NetworkObjective objective, KernelSession session, int chunkRows, long weightBufferFloats) {
        this.objective = objective;
        this.network = objective.network();
        this.session = session;
        this.k = session.kernel;
        this.layers = network.layers();
        this.dim = network.dimension();
        this.size = objective.size();
        this.in = new int[layers];
        this.out = new int[layers];
        this.wOff = new int[layers];
        this.bOff = new int[layers];
        this.outPrefix = new int[layers + 1];
        this.energyPrefix = new int[layers + 1];
        int mo = 0;
        for (int l = 0; l < layers; l++) {
            in[l] = network.in(l);
            out[l] = network.out(l);
            wOff[l] = network.weightOffset(l);
            bOff[l] = network.biasOffset(l);
            outPrefix[l + 1] = outPrefix[l] + out[l];
            energyPrefix[l + 1] = energyPrefix[l] + blocks(out[l]);
            mo = Math.max(mo, out[l]);
        }
        this.maxOut = mo;
        this.energyBlocks = energyPrefix[layers];
        this.activation = activationCode(network.activation());
        // Keep every index of the largest buffers inside int range.
        long perRow = Math.max(Math.max(outPrefix[layers], maxOut), energyBlocks);
        long fit = (Integer.MAX_VALUE - 64L) / perRow / NetworkKernel.TILE * NetworkKernel.TILE;
        this.chunkRows = (int) Math.max(NetworkKernel.TILE, Math.min(chunkRows, fit));
        long slots = Math.min(weightBufferFloats, Integer.MAX_VALUE - 64L) / dim;
        this.maxSlots = (int) Math.max(1, Math.min(slots, 1 << 20));
        k.features = objective.features();
        k.labels = objective.labels();
        k.theta = new float[dim];
        k.grad = new float[dim + 1];
        k.gLast = dim;
        this.computeUnits = Math.max(1, session.device().getMaxComputeUnits());

        k.dim = dim;
        k.activation = activation;
    }

    @Override
    public Objective objective() {
        return objective;
    }


    /**
     * A one-line description of the device this evaluator runs on.
     *
     * @return the device
     */
    String device() {
        return session.description();
    }

    // ------------------------------------------------------------------ plans

    @Override
    public synchronized double[][] evaluate(float[] theta, WeightPlan plan) {
        checkTheta(theta);
        List<WeightQuery> queries = plan.queries();
        double[][] losses = new double[queries.size()][];
        List<Segment> segments = new ArrayList<>();
        for (int q = 0; q < queries.size(); q++) {
            int[] rows = queries.get(q).rows();
            checkRows(rows, "query " + q + " of the weight plan");
            losses[q] = new double[rows.length];
            for (int from = 0; from < rows.length; from += chunkRows) {
                segments.add(new Segment(q, from, Math.min(rows.length, from + chunkRows)));
            }
        }
        if (segments.isEmpty()) {
            return losses;
        }
        uploadTheta(theta, null);
        int gaussian = plan.distribution() == NoiseStream.Distribution.GAUSSIAN ? 1 : 0;
        int s = 0;
        while (s < segments.size()) {
            List<Segment> chunk = new ArrayList<>();
            int padded = 0;
            while (s < segments.size() && chunk.size() < maxSlots) {
                Segment seg = segments.get(s);
                int need = KernelSession.roundUp(seg.to - seg.from, NetworkKernel.TILE);
                if (!chunk.isEmpty() && padded + need > chunkRows) {
                    break;
                }
                chunk.add(seg);
                padded += need;
                s++;
            }
            Chunk c = new Chunk(padded, chunk.size());
            int row = 0;
            for (int slot = 0; slot < chunk.size(); slot++) {
                Segment seg = chunk.get(slot);
                WeightQuery wq = queries.get(seg.query);
                c.slotDir[slot] = wq.direction();
                c.slotScale[slot] = wq.scale();
                int n = seg.to - seg.from;
                int span = KernelSession.roundUp(n, NetworkKernel.TILE);
                for (int b = row / NetworkKernel.TILE; b < (row + span) / NetworkKernel.TILE; b++) {
                    c.blockBase[b] = slot * dim;
                }
                for (int i = 0; i < n; i++) {
                    c.rowData[row + i] = wq.rows()[seg.from + i];
                }
                row += span;
            }
            float[] chunkLosses = forward(c, plan.seed(), (int) plan.step(), gaussian);
            row = 0;
            for (Segment seg : chunk) {
                int n = seg.to - seg.from;
                for (int i = 0; i < n; i++) {
                    losses[seg.query][seg.from + i] = chunkLosses[row + i];
                }
                row += KernelSession.roundUp(n, NetworkKernel.TILE);
            }
        }
        return losses;
    }

    @Override
    public synchronized ActivationPass evaluate(float[] theta, ActivationPlan plan) {
        checkTheta(theta);
        checkRows(plan.rows(), "the activation plan");
        int n = plan.size();
        boolean single = n <= chunkRows;
        // One chunk: the parameters stay in the kernel's theta array and are copied out only if a later upload
        // replaces them before this pass is done. Several chunks always recompute, so they keep their own copy.
        DevicePass pass = new DevicePass(this, plan, single ? null : theta.clone());
        if (n == 0) {
            pass.losses = new double[0];
            pass.energy = new double[0];
            return pass;
        }
        uploadTheta(theta, single ? pass : null);
        double[] losses = new double[n];
        double[] energies = single ? null : new double[n];
        for (int from = 0; from < n; from += chunkRows) {
            int to = Math.min(n, from + chunkRows);
            Chunk c = activationChunk(plan, from, to, plan.sigma());
            for (int attempt = 1; ; attempt++) {
                float[] chunkLosses = forward(c, plan.seed(), (int) plan.step(), 1);
                for (int i = from; i < to; i++) {
                    losses[i] = chunkLosses[i - from];
                }
                // Several chunks share the device buffers, so their noise energies are read now.
                if (single || readEnergy(c, from, to, energies, residentStamp)) {
                    break;
                }
                if (attempt >= MAX_ATTEMPTS) {
                    throw staleBuffers();
                }
            }
        }
        pass.losses = losses;
        pass.energy = energies;
        if (single) {
            resident = pass;
        }
        return pass;
    }

    /**
     * Plain, unperturbed forward losses of the rows on the device: the same tiled kernels with the noise
     * generation switched off (not a plan with a tiny sigma). This is the physical limit docs/method.md §6 compares
     * every throughput with.
     *
     * @param theta the parameters
     * @param rows data rows
     * @return the loss of each row
     */
    synchronized double[] plainLosses(float[] theta, int[] rows) {
        checkTheta(theta);
        checkRows(rows, "the plain forward");
        double[] losses = new double[rows.length];
        if (rows.length == 0) {
            return losses;
        }
        uploadTheta(theta, null);
        ActivationPlan plan = new ActivationPlan(0L, 0, 1f, rows, new int[rows.length], new boolean[rows.length]);
        for (int from = 0; from < rows.length; from += chunkRows) {
            int to = Math.min(rows.length, from + chunkRows);
            Chunk c = activationChunk(plan, from, to, 0f);
            float[] chunkLosses = forward(c, 0L, 0, 1);
            for (int i = from; i < to; i++) {
                losses[i] = chunkLosses[i - from];
            }
        }
        return losses;
    }

    // ------------------------------------------------------------------ gradient assembly

    synchronized void accumulate(DevicePass pass, double[] rowWeights, float[] gradient) {
        pass.checkOpen();
        ActivationPlan plan = pass.plan;
        int n = plan.size();
        if (rowWeights.length != n) {
            throw new IllegalArgumentException("rowWeights has " + rowWeights.length + " entries for a plan of " + n
                    + " queries");
        }
        if (gradient.length != dim) {
            throw new IllegalArgumentException("gradient has length " + gradient.length + " but " + network
                    + " has " + dim + " parameters");
        }
        boolean any = false;
        for (double w : rowWeights) {
            any |= w != 0.0;
        }
        if (!any) {
            return;
        }
        boolean restored = false;
        for (int from = 0; from < n; from += chunkRows) {
            int to = Math.min(n, from + chunkRows);
            Chunk c = activationChunk(plan, from, to, plan.sigma());
            // A chunk adds to the gradient only when all its stamps held, so retrying it never double-counts.
            for (int attempt = 1; ; attempt++) {
                float fwd;
                if (resident == pass && attempt == 1) {
                    fwd = residentStamp;
                } else {
                    if (!restored) {
                        restoreTheta(pass);
                        restored = true;
                    }
                    forward(c, plan.seed(), (int) plan.step(), 1);
                    fwd = residentStamp;
                    resident = n <= chunkRows ? pass : null;
                }
                if (gradientChunk(c, plan, from, to, rowWeights, fwd, gradient)) {
                    break;
                }
                if (attempt >= MAX_ATTEMPTS) {
                    throw staleBuffers();
                }
            }
        }
    }

    /** Assembles one chunk's gradient into {@code gradient}; false if a device buffer was stale (nothing added). */
    private boolean gradientChunk(Chunk c, ActivationPlan plan, int from, int to, double[] rowWeights, float fwd,
                                  float[] gradient) {
        // The forward that stamped fwd sized every per-row buffer for this chunk and left rowData / rowStream on
        // the device; only the coefficients are new.
        for (int i = 0; i < c.rows; i++) {
            int r = from + i;
            float coef = 0f;
            if (r < to && rowWeights[r] != 0.0) {
                double sign = plan.negate()[r] ? -1.0 : 1.0;
                coef = (float) (rowWeights[r] * sign / plan.sigma());
            }
            k.rowCoef[i] = coef;
        }
        k.put(k.rowCoef);
        float stamp = nextStamp();
        k.stamp = stamp;
        k.fwdStamp = fwd;
        k.rows = c.rows;
        k.key0 = (int) plan.seed();
        k.key1 = (int) (plan.seed() >>> 32);
        k.step = (int) plan.step();
        for (int l = 0; l < layers; l++) {
            setLayer(l, c.rows);
            k.first = l == 0 ? 1 : 0;
            session.launch(NetworkKernel.PASS_COEF, c.rows * ((out[l] + 3) / 4));
            int tiles = blocks(in[l] + 1) * blocks(out[l]);
            int splits = splits(tiles, c.rows);
            if (k.gradPart.length < (long) splits * dim + 1) {
                k.gradPart = new float[splits * dim + 1];
                k.pLast = k.gradPart.length - 1;
            }
            k.splits = splits;
            k.splitRows = KernelSession.roundUp((c.rows + splits - 1) / splits, NetworkKernel.TK);
            k.outBlocks = blocks(out[l]);
            session.launchTiles(NetworkKernel.PASS_GRAD, blocks(in[l] + 1), blocks(out[l]) * splits);
            k.count = out[l] * (in[l] + 1);
            session.launch(NetworkKernel.PASS_REDUCE, k.count);
        }
        k.get(k.grad);
        if (k.grad[dim] != stamp) {
            return false;
        }
        float[] g = k.grad;
        for (int i = 0; i < dim; i++) {
            gradient[i] += g[i];
        }
        return true;
    }

    synchronized double[] energy(DevicePass pass) {
        pass.checkOpen();
        if (pass.energy != null) {
            return pass.energy.clone();
        }
        ActivationPlan plan = pass.plan;
        int n = plan.size();
        double[] e = new double[n];
        for (int attempt = 1; ; attempt++) {
            Chunk c = activationChunk(plan, 0, n, plan.sigma());
            if (resident != pass || attempt > 1) {
                restoreTheta(pass);
                forward(c, plan.seed(), (int) plan.step(), 1);
                resident = pass;
            }
            if (readEnergy(c, 0, n, e, residentStamp)) {
                pass.energy = e;
                return e.clone();
            }
            if (attempt >= MAX_ATTEMPTS) {
                throw staleBuffers();
            }
        }
    }

    /** Reads the noise-energy partials of the chunk just run; false if the buffer was stale. */
    private boolean readEnergy(Chunk c, int from, int to, double[] energies, float stamp) {
        k.get(k.energy);
        if (k.energy[k.eLast] != stamp) {
            return false;
        }
        for (int r = from; r < to; r++) {
            int row = r - from;
            double e = 0;
            for (int l = 0; l < layers; l++) {
                double s = 0;
                for (int b = energyPrefix[l]; b < energyPrefix[l + 1]; b++) {
                    s += k.energy[b * c.rows + row];
                }
                e += s - out[l];
            }
            energies[r] = e;
        }
        return true;
    }

    // ------------------------------------------------------------------ launches

    /**
     * Runs one chunk: weights, every layer, the loss; retries when a stamp shows a stale buffer.
     *
     * @return the loss of every (padded) row of the chunk
     */
    private float[] forward(Chunk c, long seed, int step, int gaussian) {
        resident = null;
        for (int attempt = 1; ; attempt++) {
            ensureRowCapacity(c.rows);
            ensureSlotCapacity(c.slots);
            System.arraycopy(c.rowData, 0, k.rowData, 0, c.rows);
            System.arraycopy(c.rowStream, 0, k.rowStream, 0, c.rows);
            System.arraycopy(c.rowSigma, 0, k.rowSigma, 0, c.rows);
            System.arraycopy(c.blockBase, 0, k.blockBase, 0, c.rows / NetworkKernel.TILE);
            k.put(k.rowData);
            k.put(k.rowStream);
            k.put(k.rowSigma);
            k.put(k.blockBase);
            if (attempt > 1) {
                k.put(k.theta);
            }
            float stamp = nextStamp();
            k.stamp = stamp;
            k.key0 = (int) seed;
            k.key1 = (int) (seed >>> 32);
            k.step = step;
            k.rows = c.rows;
            if (c.slots > 0) {
                System.arraycopy(c.slotDir, 0, k.slotDir, 0, c.slots);
                System.arraycopy(c.slotScale, 0, k.slotScale, 0, c.slots);
                k.put(k.slotDir);
                k.put(k.slotScale);
                k.count = c.slots;
                k.gaussian = gaussian;
                session.launch(NetworkKernel.PASS_PERTURB, c.slots * ((dim + 3) / 4));
            } else {
                session.launch(NetworkKernel.PASS_COPY, dim);
            }
            for (int l = 0; l < layers; l++) {
                setLayer(l, c.rows);
                session.launchTiles(NetworkKernel.PASS_FORWARD, blocks(out[l]), c.rows / NetworkKernel.TILE);
            }
            k.outOff = c.rows * outPrefix[layers - 1];
            k.outW = out[layers - 1];
            session.launch(NetworkKernel.PASS_LOSS, c.rows);
            k.get(k.loss);
            if (k.loss[k.lLast] == stamp) {
                residentStamp = stamp;
                float[] result = new float[c.rows];
                System.arraycopy(k.loss, 0, result, 0, c.rows);
                return result;
            }
            if (attempt >= MAX_ATTEMPTS) {
                throw staleBuffers();
            }
        }
    }

    private void setLayer(int l, int rows) {
        k.layer = l;
        k.inW = in[l];
        k.outW = out[l];
        k.wOff = wOff[l];
        k.bOff = bOff[l];
        k.inOff = l == 0 ? 0 : rows * outPrefix[l - 1];
        k.outOff = rows * outPrefix[l];
        k.hidden = l < layers - 1 ? 1 : 0;
        k.energyOff = energyPrefix[l];
    }

    private Chunk activationChunk(ActivationPlan plan, int from, int to, float sigma) {
        int n = to - from;
        Chunk c = new Chunk(KernelSession.roundUp(n, NetworkKernel.TILE), 0);
        for (int i = 0; i < n; i++) {
            int r = from + i;
            c.rowData[i] = plan.rows()[r];
            c.rowStream[i] = plan.streams()[r];
            c.rowSigma[i] = plan.negate()[r] ? -sigma : sigma;
        }
        return c;
    }

    /**
     * Copies parameters into the kernel's theta array and marks it for upload; first saves the parameters of the
     * open pass that still relies on that array.
     */
    private void uploadTheta(float[] theta, DevicePass owner) {
        if (thetaOwner != null && thetaOwner.theta == null && !thetaOwner.closed) {
            thetaOwner.theta = k.theta.clone();
        }
        System.arraycopy(theta, 0, k.theta, 0, dim);
        k.put(k.theta);
        thetaOwner = owner;
    }

    /** Makes the pass's parameters the ones on the device again. */
    private void restoreTheta(DevicePass pass) {
        if (thetaOwner == pass) {
            k.put(k.theta);
        } else {
            uploadTheta(pass.theta, pass);
        }
    }

    /**
     * How many row ranges the gradient of a layer is split into: enough work-groups to fill the device a few
     * times over, each range still at least 256 rows long, and the partial buffer bounded to 32 Mi floats.
     */
    private int splits(int tiles, int rows) {
        int want = (6 * computeUnits + tiles - 1) / tiles;
        int byRows = Math.max(1, rows / 256);
        int byMemory = (int) Math.max(1, Math.min(16, (32L << 20) / dim));
        return Math.max(1, Math.min(want, Math.min(byRows, byMemory)));
    }

    /** Grows the per-row buffers; a new array makes Aparapi allocate a new device buffer for it. */
    private void ensureRowCapacity(int rows) {
        if (k.rowData.length < rows) {
            int cap = Math.min(chunkRows, Math.max(rows, 2 * k.rowData.length));
            cap = Math.max(cap, rows);
            k.rowData = new int[cap];
            k.rowStream = new int[cap];
            k.rowSigma = new float[cap];
            k.rowCoef = new float[cap];
            k.blockBase = new int[cap / NetworkKernel.TILE];
            resident = null;
        }
        int cap = k.rowData.length;
        if (k.acts.length < (long) cap * outPrefix[layers] + 1) {
            k.acts = new float[cap * outPrefix[layers] + 1];
            k.energy = new float[cap * energyBlocks + 1];
            k.loss = new float[cap + 1];
            k.coef = new float[cap * maxOut + 1];
            k.aLast = k.acts.length - 1;
            k.eLast = k.energy.length - 1;
            k.lLast = k.loss.length - 1;
            k.cLast = k.coef.length - 1;
            resident = null;
        }
    }

    private void ensureSlotCapacity(int slots) {
        int need = Math.max(slots, 1);
        if (k.slotDir.length < need) {
            int cap = Math.min(maxSlots, Math.max(need, 2 * k.slotDir.length));
            k.slotDir = new int[cap];
            k.slotScale = new float[cap];
        }
        long floats = (long) need * dim + 1;
        if (k.weights.length < floats) {
            long cap = Math.min((long) maxSlots * dim + 1, Math.max(floats, 2L * k.weights.length - 1));
            k.weights = new float[(int) cap];
            k.wLast = k.weights.length - 1;
            resident = null;
        }
    }

    private float nextStamp() {
        stampCounter = stampCounter % STAMP_RANGE + 1;
        return stampCounter;
    }

    private BackendUnavailableException staleBuffers() {
        return new BackendUnavailableException("OpenCL buffers on " + session.description() + " were invalidated "
                + MAX_ATTEMPTS + " times in a row: Aparapi re-creates a device buffer from its Java array when the "
                + "garbage collector moves that array between kernel launches. Give the JVM more heap (-Xmx) or use "
                + "the cpu backend");
    }

    private void checkTheta(float[] theta) {
        if (theta.length != dim) {
            throw new IllegalArgumentException("theta has length " + theta.length + " but " + network + " has "
                    + dim + " parameters");
        }
    }

    private void checkRows(int[] rows, String where) {
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] < 0 || rows[i] >= size) {
                throw new InvalidDataException("Row " + rows[i] + " at position " + i + " of " + where
                        + " is outside [0, " + size + ") of " + objective);
            }
        }
    }

    private static int blocks(int n) {
        return (n + NetworkKernel.TILE - 1) / NetworkKernel.TILE;
    }

    /** The kernel, for tests that simulate a stale device buffer. */
    NetworkKernel kernel() {
        return k;
    }

    /** Releases the device buffers and the kernel. */
    synchronized void close() {
        session.close();
    }

    /** A slice of a weight-plan query's rows. */
    private record Segment(int query, int from, int to) {
    }

    /** Host-side description of one launch chunk (rows padded to whole 64-row tiles). */
    private static final class Chunk {
        final int rows;
        final int slots;
        final int[] rowData;
        final int[] rowStream;
        final float[] rowSigma;
        final int[] blockBase;
        final int[] slotDir;
        final float[] slotScale;

        Chunk(int rows, int slots) {
            this.rows = rows;
            this.slots = slots;
            this.rowData = new int[rows];
            Arrays.fill(rowData, -1);
            this.rowStream = new int[rows];
            this.rowSigma = new float[rows];
            this.blockBase = new int[rows / NetworkKernel.TILE];
            this.slotDir = new int[slots];
            this.slotScale = new float[slots];
        }
    }

    /** The {@link ActivationPass} of this evaluator. */
    static final class DevicePass implements ActivationPass {
        private final NetworkEvaluator owner;
        final ActivationPlan plan;
        float[] theta;
        double[] losses;
        double[] energy;
        boolean closed;

        DevicePass(NetworkEvaluator owner, ActivationPlan plan, float[] theta) {
            this.owner = owner;
            this.plan = plan;
            this.theta = theta;
        }

        @Override
        public double[] losses() {
            return losses.clone();
        }

        @Override
        public void accumulateGradient(double[] rowWeights, float[] gradient) {
            owner.accumulate(this, rowWeights, gradient);
        }

        @Override
        public double[] noiseEnergy() {
            return owner.energy(this);
        }

        @Override
        public void close() {
            synchronized (owner) {
                closed = true;
                if (owner.resident == this) {
                    owner.resident = null;
                }
                if (owner.thetaOwner == this) {
                    owner.thetaOwner = null;
                }
            }
        }

        void checkOpen() {
            if (closed) {
                throw new IllegalStateException("This activation pass was closed; assemble its gradient and read "
                        + "its noise energy before closing it");
            }
        }
    }

    static int activationCode(Activation a) {
        return switch (a) {
            case RELU -> NetworkKernel.ACT_RELU;
            case TANH -> NetworkKernel.ACT_TANH;
            case IDENTITY -> NetworkKernel.ACT_IDENTITY;
        };
    }
}
