package org.forward4j.estimator.lr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.ActivationResult;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.RowWeigher;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.Streaming;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.InvalidConfigurationException;

/**
 * One mini-batch of the {@code lr} estimator (docs/method.md §2, §4).
 *
 * <p><b>Queries.</b> Draw j of batch point i uses noise stream {@code NoiseStream.pointStream(i, j)}
 * ({@code i * 65536 + j}); draws are numbered across
 * rounds, so the pilot is draw 0. A draw is one query, or with antithetic pairs two queries with noise
 * {@code +eps} and {@code -eps}. Each {@link #run} builds one {@link ActivationPlan} for all its queries and
 * evaluates it once; the resulting pass stays open until {@link #finish()}, because the weights of the gradient
 * assembly depend on the final draw counts A_i and on baselines that use later rounds. The last round, run by
 * {@link #runLastRoundAndFinish(int[])}, is different: once a point's rows in it are evaluated everything its weights
 * depend on is known, so each point's rows form one group of
 * {@link org.forward4j.estimator.StreamingQueryEvaluator#evaluateAndAssemble} and the backend assembles chunk by chunk
 * without keeping the round's activations (docs/method.md §6: memory flat in the number of draws).
 *
 * <p><b>Estimate.</b> {@code g = (1/B) sum_i (1/A_i) sum_{j included} g_ij}, where for a single query
 * {@code g_ij = (L_ij - b_ij) sign eps / s x^T} per layer, and for a pair g_ij is the mean of its two queries'
 * terms. Pass row weights are therefore {@code w_r = (L_r - b) / (B A_i m)} with m = 1 or 2 queries per draw, and
 * 0 for queries left out of the estimate.
 *
 * <p><b>Baseline ({@code loo}).</b> b_ij is the mean loss of point i's queries in this step outside draw j
 * (pilot included, whether or not it enters the estimate), or 0 when draw j is the point's only draw. It depends
 * only on noise independent of draw j's, so {@code E[b eps] = E[b] E[eps] = 0} and the term stays unbiased. For a
 * pair both queries get the same b, computed without the partner: the partner's loss is a function of the same
 * eps, and subtracting it would bias the term. With pairs the baseline cancels exactly in the first layer and the
 * biases (both queries see the same input), and still matters in deeper layers, whose inputs differ between
 * {@code +eps} and {@code -eps} paths. (When allocations depend on the pilot, the number of other draws does too;
 * this is the pilot bias of docs/method.md §3.2 and is left to the {@code includeInEstimate} choice.)
 *
 * <p><b>Per-draw variance v_i.</b> The per-draw term's squared norm is about
 * {@code p^2 / s^2 * sum_l |eps_l|^2 (1 + |x_l|^2)}, with p the draw's effective loss weight (pair:
 * {@code (L+ - L-)/2}, single: {@code L - b}) and {@code E|eps_l|^2 = out_l}. Of the inputs x_l only the first
 * layer's is visible here; it is the point's own features, it multiplies the layer that dominates the parameter
 * count, and its norm differs a lot between points (MNIST digits). So
 * {@code v_i = mean_j(p_ij^2) / s^2 * (out_0 (1 + |x_i|^2) + sum_{l>0} out_l)}: the first layer's weights and every
 * layer's biases, exactly the coordinates whose inputs are known, leaving out the deeper weights (whose inputs are
 * similar across points). On the test network it stayed within a factor 1.3 of the measured trace covariance
 * across points whose variances differed 100-fold. It uses every draw of the point, left out of the estimate or
 * not, since all are honest samples of the same spread.
 *
 * <p><b>Learnable s.</b> {@code d/d log s E[L] = E[L sum_l (|eps_l|^2 - out_l)]} (the score of log s), estimated
 * from the included draws with the same baseline and weights as the gradient.
 */
final class LrEstimationStep implements EstimationStep {

    /** Noise streams reserved per batch point: the largest number of draws a point may get in one step. */
    static final int STREAMS_PER_POINT = NoiseStream.STREAMS_PER_POINT;

    /** Batches must have at most this many points so that every point's streams are its own. */
    static final int MAX_BATCH = NoiseStream.MAX_POINTS;

    /**
     * One evaluated round. Units (draws) occupy m consecutive rows. A round run by {@link #run} keeps its pass open
     * until finish; the last round of {@link #runLastRoundAndFinish(int[])} is assembled while it runs, so it has no pass
     * ({@code pass == null}) and brings its noise energies instead.
     */
    private record Round(ActivationPass pass, double[] losses, int[] unitPoint, boolean included,
            double[] energy) {
    }

    /** The queries of one round: plan arrays, the point of each unit, and where each point's rows end. */
    private record RoundPlan(int[] rows, int[] streams, boolean[] negate, int[] unitPoint, int[] groupEnds) {
    }

    private final LrGradientEstimator owner;
    private final StepContext context;
    private final Objective objective;
    private final float sigma;
    private final int perDraw;
    /** Whether the leave-one-out baseline is on. */
    private final boolean loo;
    private final int batch;
    private final int[] nextDraw;
    private final int[] included;
    private final double[] lossSum;
    private final int[] lossCount;
    private final List<Round> rounds = new ArrayList<>();
    private long queries;
    private boolean done;

    LrEstimationStep(LrGradientEstimator owner, StepContext context, Objective objective, float sigma) {
        this.owner = owner;
        this.context = context;
        this.objective = objective;
        this.sigma = sigma;
        this.perDraw = owner.antithetic() ? 2 : 1;
        this.loo = owner.baseline() == Baseline.LOO;
        this.batch = context.batchSize();
        this.nextDraw = new int[batch];
        this.included = new int[batch];
        this.lossSum = new double[batch];
        this.lossCount = new int[batch];
    }

    @Override
    public void run(int[] draws, boolean includeInEstimate) {
        checkOpen();
        RoundPlan rp = plan(draws);
        if (rp == null) {
            return;
        }
        ActivationPass pass;
        try {
            pass = context.evaluator().evaluate(context.theta(), activationPlan(rp));
        } catch (RuntimeException e) {
            abandon();
            throw e;
        }
        double[] losses = pass.losses();
        rounds.add(new Round(pass, losses, rp.unitPoint(), includeInEstimate, null));
        queries += losses.length;
        for (int r = 0; r < losses.length; r++) {
            int i = rp.unitPoint()[r / perDraw];
            lossSum[i] += losses[r];
            lossCount[i]++;
        }
        advance(draws, includeInEstimate);
    }

    /**
     * The last round, assembled while it runs: its row weights need the final draw counts and the point's losses
     * in every round, and both are known once a point's rows of this round are evaluated, because they form one
     * group. The backend then drops each chunk's activations as soon as it is assembled.
     */
    @Override
    public GradientEstimate runLastRoundAndFinish(int[] draws) {
        checkOpen();
        RoundPlan rp = plan(draws);
        if (rp == null) {
            return finish();
        }
        int[] finalIncluded = included.clone();
        for (int i = 0; i < batch; i++) {
            finalIncluded[i] += draws[i];
        }
        double[] priorSum = lossSum.clone();
        int[] priorCount = lossCount.clone();
        int[] unitPoint = rp.unitPoint();
        RowWeigher weigher = (from, to, losses, weights) -> {
            int i = unitPoint[from / perDraw];
            double total = priorSum[i] + groupSum(losses, from, to);
            int count = priorCount[i] + (to - from);
            double scale = 1.0 / ((double) batch * finalIncluded[i] * perDraw);
            for (int first = from; first < to; first += perDraw) {
                weighUnit(losses, first, total, count, scale, weights);
            }
        };
        float[] gradient = new float[objective.dimension()];
        ActivationResult result;
        try {
            result = Streaming.evaluateAndAssemble(context.evaluator(), context.theta(), activationPlan(rp),
                    rp.groupEnds(), weigher, gradient, owner.learnSigma());
        } catch (RuntimeException e) {
            abandon();
            throw e;
        }
        double[] losses = result.losses();
        int from = 0;
        for (int end : rp.groupEnds()) {
            // the same sum, in the same order, as the weigher's, so the assembly below sees identical baselines
            int i = unitPoint[from / perDraw];
            lossSum[i] = priorSum[i] + groupSum(losses, from, end);
            lossCount[i] += end - from;
            from = end;
        }
        queries += losses.length;
        rounds.add(new Round(null, losses, unitPoint, true, result.noiseEnergy()));
        advance(draws, true);
        done = true;
        try {
            return assemble(gradient);
        } finally {
            closeAll();
        }
    }

    private static double groupSum(double[] losses, int from, int to) {
        double sum = 0;
        for (int r = from; r < to; r++) {
            sum += losses[r];
        }
        return sum;
    }

    private void checkOpen() {
        if (done) {
            throw new IllegalStateException("this lr estimation step has finished (or failed); begin a new one");
        }
    }

    private ActivationPlan activationPlan(RoundPlan rp) {
        return new ActivationPlan(context.seed(), context.step(), sigma, rp.rows(), rp.streams(), rp.negate());
    }

    private void advance(int[] draws, boolean includeInEstimate) {
        for (int i = 0; i < batch; i++) {
            nextDraw[i] += draws[i];
            if (includeInEstimate) {
                included[i] += draws[i];
            }
        }
    }

    /** Validates a round's draws and lays out its queries point by point; null when it has none. */
    private RoundPlan plan(int[] draws) {
        if (draws.length != batch) {
            throw new IllegalArgumentException("draws has " + draws.length + " entries for a batch of " + batch);
        }
        int units = 0;
        int groups = 0;
        for (int i = 0; i < batch; i++) {
            if (draws[i] < 0) {
                throw new IllegalArgumentException("negative draw count " + draws[i] + " for point " + i);
            }
            if ((long) nextDraw[i] + draws[i] > STREAMS_PER_POINT) {
                throw new InvalidConfigurationException("Estimator 'lr' gives a point at most " + STREAMS_PER_POINT
                        + " draws per step, but point " + i + " would get " + ((long) nextDraw[i] + draws[i])
                        + "; lower the query budget or the allocator's maximum draws per point");
            }
            units += draws[i];
            groups += draws[i] > 0 ? 1 : 0;
        }
        if (units == 0) {
            return null;
        }
        int n = units * perDraw;
        int[] rows = new int[n];
        int[] streams = new int[n];
        boolean[] negate = new boolean[n];
        int[] unitPoint = new int[units];
        int[] groupEnds = new int[groups];
        int u = 0;
        int g = 0;
        for (int i = 0; i < batch; i++) {
            for (int k = 0; k < draws[i]; k++, u++) {
                unitPoint[u] = i;
                int stream = NoiseStream.pointStream(i, nextDraw[i] + k);
                for (int q = 0; q < perDraw; q++) {
                    int r = u * perDraw + q;
                    rows[r] = context.rows()[i];
                    streams[r] = stream;
                    negate[r] = q == 1;
                }
            }
            if (draws[i] > 0) {
                groupEnds[g++] = u * perDraw;
            }
        }
        return new RoundPlan(rows, streams, negate, unitPoint, groupEnds);
    }

    @Override
    public double[] proxies() {
        return meanLoss();
    }

    private double[] meanLoss() {
        double[] mean = new double[batch];
        for (int i = 0; i < batch; i++) {
            mean[i] = lossCount[i] == 0 ? Double.NaN : lossSum[i] / lossCount[i];
        }
        return mean;
    }

    @Override
    public GradientEstimate finish() {
        checkOpen();
        done = true;
        try {
            return assemble(new float[objective.dimension()]);
        } finally {
            closeAll();
        }
    }

    /**
     * One draw's row weights {@code (L_r - b) * scale} into {@code weights[first ..]} (m rows), with b the
     * leave-one-out baseline of the class doc from the point's loss total and count over the step (the draw's own
     * queries left out); returns the draw's effective loss weight p (pair: {@code (L+ - L-)/2}, single:
     * {@code L - b}). Reads only final fields: safe on backend threads.
     */
    private double weighUnit(double[] losses, int first, double total, int count, double scale, double[] weights) {
        double unitSum = 0;
        for (int q = 0; q < perDraw; q++) {
            unitSum += losses[first + q];
        }
        int others = count - perDraw;
        double base = loo && others > 0 ? (total - unitSum) / others : 0.0;
        for (int q = 0; q < perDraw; q++) {
            weights[first + q] = (losses[first + q] - base) * scale;
        }
        return perDraw == 2 ? (losses[first] - losses[first + 1]) / 2 : losses[first] - base;
    }

    /** Adds the kept rounds' terms to {@code gradient} (a streamed last round is in it already). */
    private GradientEstimate assemble(float[] gradient) {
        boolean learn = owner.learnSigma();
        double[] squaredWeight = new double[batch];
        double sigmaGradient = 0;
        for (Round round : rounds) {
            double[] losses = round.losses();
            double[] weights = new double[losses.length];
            boolean streamed = round.pass() == null;
            double[] energy = !learn || !round.included() ? null
                    : streamed ? round.energy() : round.pass().noiseEnergy();
            boolean any = false;
            for (int u = 0; u < round.unitPoint().length; u++) {
                int i = round.unitPoint()[u];
                int first = u * perDraw;
                double scale = round.included() ? 1.0 / ((double) batch * included[i] * perDraw) : 0.0;
                double p = weighUnit(losses, first, lossSum[i], lossCount[i], scale, weights);
                squaredWeight[i] += p * p;
                if (!round.included()) {
                    continue;
                }
                if (energy != null) {
                    for (int q = 0; q < perDraw; q++) {
                        sigmaGradient += weights[first + q] * energy[first + q];
                    }
                }
                any = true;
            }
            if (any && !streamed) {
                round.pass().accumulateGradient(weights, gradient);
            }
        }
        if (learn && Arrays.stream(included).anyMatch(a -> a > 0)) {
            owner.stepLogSigma(sigmaGradient);
        }
        double[] variance = new double[batch];
        double sigmaSquared = (double) sigma * sigma;
        for (int i = 0; i < batch; i++) {
            if (nextDraw[i] != 0) {
                variance[i] = squaredWeight[i] / nextDraw[i] / sigmaSquared * coordinates(context.rows()[i]);
            }
        }
        return new GradientEstimate(gradient, included.clone(), variance, meanLoss(), queries);
    }

    /**
     * The coordinates whose inputs are known, for the per-draw variance: on an MLP the first layer's weights (its
     * input is the point's own features, whose norm differs between points) and every layer's biases; on a layer
     * graph, every noise site's noisy output values (the sites' inputs are hidden activations).
     */
    private double coordinates(int row) {
        if (objective instanceof NetworkObjective net) {
            DenseNetwork network = net.network();
            int in = network.in(0);
            double deeperBiases = 0;
            for (int l = 1; l < network.layers(); l++) {
                deeperBiases += network.out(l);
            }
            float[] features = net.features();
            int offset = row * in;
            double norm = 0;
            for (int k = 0; k < in; k++) {
                norm += (double) features[offset + k] * features[offset + k];
            }
            return network.out(0) * (1.0 + norm) + deeperBiases;
        }
        double sites = 0;
        for (GraphObjective.Site s : ((GraphObjective) objective).sites()) {
            sites += s.noisy();
        }
        return sites;
    }

    /** Closes every pass after a failed evaluation so backend buffers do not leak with the abandoned step. */
    private void abandon() {
        done = true;
        closeAll();
    }

    private void closeAll() {
        RuntimeException first = null;
        for (Round round : rounds) {
            if (round.pass() == null) {
                continue;
            }
            try {
                round.pass().close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        rounds.clear();
        if (first != null) {
            throw first;
        }
    }
}
