package org.forward4j.allocator.optimal;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.forward4j.allocator.Allocation;
import org.forward4j.allocator.AllocationRequest;
import org.forward4j.allocator.Allocations;
import org.forward4j.allocator.PointStatistics;
import org.forward4j.allocator.QueryAllocator;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.InvalidDataException;

/**
 * The reparameterised allocator of docs/method.md §3.2 (FLOPS, Ren et al., ICLR 2025).
 *
 * <p>Each step it standardises the proxies within the batch (z-scores, so the four learned scalars are
 * scale-free), samples {@code xi ~ N(mu, K)} with {@code mu_i = a z_i + b} and
 * {@code K_ij = s^2 exp(-(z_i - z_j)^2 / (2 l^2)) + jitter delta_ij}, and allocates {@code D max(xi, 0) / sum}
 * integerised by {@link Allocations#proportional} (docs/method.md §3.4). {@link #observe} scores the sampled
 * allocation by {@code J = sum_i v_i / A_i} normalised by the uniform allocation's value, and moves
 * {@code Phi = (a, b, log s, log l)} by the likelihood-ratio step
 * {@code Phi <- Phi - beta (J - c) g / (1 + max_k |g_k|)} with {@code g = grad_Phi log N(xi; mu, K)} and the
 * moving baseline {@code c <- 0.9 c + 0.1 J}.
 *
 * <p>The bound divides the score {@code g} (not the product with {@code J - c}) by {@code 1 + max |g_k|}: the
 * score grows like {@code 1/s} as the exploration noise shrinks while the advantage stays noisy, so bounding the
 * whole product turned every step into a step of size {@code beta} in a random direction and {@code a/b}
 * random-walked away from the optimum (in a NumPy re-run of the scheme, 2 of 16 seeds ended above 1.05 V*);
 * bounding the score keeps the step proportional to the advantage (16 of 16 seeds within 1.024 V*).
 *
 * <p>All work happens in {@link CanonicalOrder}; the standard normals for {@code xi} come from
 * {@code NoiseStream(seed, (int) step, NOISE_DRAW, NOISE_TENSOR)}, element {@code k} for canonical position
 * {@code k}, so an allocation is a pure function of the request and the learned state.
 *
 * <p>The first observed step only initialises the baseline c. Each step costs O(B^3) (Cholesky factor and
 * inverse of the B x B matrix K), about a millisecond at B = 64.
 */
final class OptimalQueryAllocator implements QueryAllocator {

    /** Draw id of the allocator's noise stream, far from the small draw indices estimators use ("OPTM"). */
    static final int NOISE_DRAW = 0x4F50544D;
    /** Tensor id of the allocator's noise stream. */
    static final int NOISE_TENSOR = 0;

    static final double LOG_S_MIN = -10;
    static final double LOG_S_MAX = 5;
    static final double LOG_L_MIN = -10;
    static final double LOG_L_MAX = 10;

    private static final double BASELINE_DECAY = 0.9;
    private static final int MAX_JITTER_ESCALATIONS = 30;

    private final double beta;
    private final double jitter;
    private final double[] phi;
    private double baseline;
    private boolean hasBaseline;
    private Pending pending;

    OptimalQueryAllocator(double beta, double jitter, double[] initialPhi) {
        this.beta = beta;
        this.jitter = jitter;
        this.phi = initialPhi.clone();
        clampPhi();
    }

    /** What observe needs of the last allocation, in canonical order. */
    private record Pending(long step, int[] batchPointIds, CanonicalOrder order, double[] z, double[] xi,
                           double[] mu, double[][] kernel, Cholesky covariance, double s, double l) {
    }

    @Override
    public Allocation allocate(AllocationRequest request) {
        CanonicalOrder order = CanonicalOrder.of(request);
        AllocationRequest canonical = order.canonicalRequest(request);
        int b = canonical.batchSize();
        double[] z = standardise(canonical.proxies());
        double a = phi[0];
        double bias = phi[1];
        double s = Math.exp(phi[2]);
        double l = Math.exp(phi[3]);
        double[] mu = new double[b];
        for (int i = 0; i < b; i++) {
            mu[i] = a * z[i] + bias;
        }
        double[][] kernel = new double[b][b];
        double[][] cov = new double[b][b];
        double inv2l2 = 1.0 / (2 * l * l);
        for (int i = 0; i < b; i++) {
            for (int j = 0; j <= i; j++) {
                double d = z[i] - z[j];
                double e = Math.exp(-d * d * inv2l2);
                kernel[i][j] = e;
                kernel[j][i] = e;
                cov[i][j] = s * s * e;
                cov[j][i] = cov[i][j];
            }
            cov[i][i] += jitter;
        }
        Cholesky chol = factorWithEscalation(cov);
        float[] eps = new float[b];
        new NoiseStream(request.seed(), (int) request.step(), NOISE_DRAW, NOISE_TENSOR)
                .fill(NoiseStream.Distribution.GAUSSIAN, eps, 0, b, 0);
        double[] e = new double[b];
        for (int i = 0; i < b; i++) {
            e[i] = eps[i];
        }
        double[] noise = chol.multiplyLower(e);
        double[] xi = new double[b];
        double[] weights = new double[b];
        for (int i = 0; i < b; i++) {
            xi[i] = mu[i] + noise[i];
            // all weights zero (every xi <= 0) makes Allocations.proportional allocate uniformly
            weights[i] = Math.max(xi[i], 0.0);
        }
        Allocation draws = Allocations.proportional(weights, canonical);
        pending = new Pending(request.step(), request.pointIds(), order, z, xi, mu, kernel, chol, s, l);
        return order.toBatchOrder(draws);
    }

    /**
     * Learns from the statistics of the last allocation. Statistics whose step or point ids differ from the last
     * {@link #allocate} call belong to another batch and are ignored, as are repeated statistics for a batch
     * already learnt from, statistics with a negative or non-finite variance or a non-positive draw count, and
     * statistics whose variances are all zero (nothing distinguishes allocations then).
     */
    @Override
    public void observe(PointStatistics statistics) {
        Pending p = pending;
        if (p == null || statistics.step() != p.step() || !Arrays.equals(statistics.pointIds(), p.batchPointIds())
                || statistics.perDrawVariance().length != p.batchPointIds().length
                || statistics.draws().length != p.batchPointIds().length) {
            return;
        }
        pending = null;
        double[] v = p.order().gather(statistics.perDrawVariance());
        int[] n = p.order().gather(statistics.draws());
        int b = v.length;
        double j = 0;
        double sumV = 0;
        long total = 0;
        for (int i = 0; i < b; i++) {
            if (!(v[i] >= 0) || !Double.isFinite(v[i]) || n[i] <= 0) {
                return;
            }
            j += v[i] / n[i];
            sumV += v[i];
            total += n[i];
        }
        // the uniform allocation's value of the same proxy, sum_i v_i / (D / B): makes beta scale-free
        double uniform = sumV * b / total;
        if (!(uniform > 0)) {
            return;
        }
        double jn = j / uniform;
        if (!hasBaseline) {
            baseline = jn;
            hasBaseline = true;
            return;
        }
        double[] g = score(p);
        double max = 0;
        for (double x : g) {
            max = Math.max(max, Math.abs(x));
        }
        double advantage = jn - baseline;
        if (Double.isFinite(max)) {
            for (int k = 0; k < 4; k++) {
                phi[k] -= beta * advantage * g[k] / (1 + max);
            }
            clampPhi();
        }
        baseline = BASELINE_DECAY * baseline + (1 - BASELINE_DECAY) * jn;
    }

    /**
     * grad_Phi log N(xi; mu, K): grad_mu = K^-1 (xi - mu), grad_K = (K^-1 r r^T K^-1 - K^-1) / 2, chained through
     * dmu/da = z, dmu/db = 1, dK/dlog s = 2 s^2 E, dK/dlog l = s^2 E (z_i - z_j)^2 / l^2.
     */
    private static double[] score(Pending p) {
        int b = p.z().length;
        Cholesky chol = p.covariance();
        double[] r = new double[b];
        for (int i = 0; i < b; i++) {
            r[i] = p.xi()[i] - p.mu()[i];
        }
        double[] alpha = chol.solve(r);
        double[][] kinv = chol.inverse();
        double ga = 0;
        double gb = 0;
        for (int i = 0; i < b; i++) {
            ga += p.z()[i] * alpha[i];
            gb += alpha[i];
        }
        double s2 = p.s() * p.s();
        double invL2 = 1.0 / (p.l() * p.l());
        double gs = 0;
        double gl = 0;
        for (int i = 0; i < b; i++) {
            double[] ki = p.kernel()[i];
            double[] inv = kinv[i];
            for (int j = 0; j < b; j++) {
                double gk = 0.5 * (alpha[i] * alpha[j] - inv[j]);
                double d = p.z()[i] - p.z()[j];
                gs += gk * 2 * s2 * ki[j];
                gl += gk * s2 * ki[j] * d * d * invL2;
            }
        }
        return new double[] {ga, gb, gs, gl};
    }

    /**
     * Factors K; K = s^2 E + jitter I is positive definite in exact arithmetic, so a failure is rounding (a huge
     * s^2 next to a tiny jitter) and is cured by adding to the diagonal. The factor is kept for
     * {@link #score}, so sampling and score use one K.
     */
    private static Cholesky factorWithEscalation(double[][] cov) {
        Cholesky chol = Cholesky.factor(cov);
        double scale = 0;
        for (int i = 0; i < cov.length; i++) {
            scale = Math.max(scale, cov[i][i]);
        }
        double extra = Math.max(scale, Double.MIN_NORMAL) * 1e-12;
        for (int t = 0; chol == null && t < MAX_JITTER_ESCALATIONS; t++) {
            for (int i = 0; i < cov.length; i++) {
                cov[i][i] += extra;
            }
            extra *= 10;
            chol = Cholesky.factor(cov);
        }
        if (chol == null) {
            throw new IllegalStateException("covariance of the optimal allocator is not positive definite even "
                    + "after adding " + extra + " to its diagonal");
        }
        return chol;
    }

    /**
     * z-scores of the proxies; a batch whose proxies are equal up to rounding (relative spread below 1e-12)
     * standardises to zeros, so identical proxies never turn rounding noise into an allocation.
     */
    static double[] standardise(double[] x) {
        int b = x.length;
        double mean = 0;
        double maxAbs = 0;
        for (double v : x) {
            mean += v;
            maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        mean /= b;
        double ss = 0;
        for (double v : x) {
            ss += (v - mean) * (v - mean);
        }
        double sd = Math.sqrt(ss / b);
        double[] z = new double[b];
        if (!(sd > 1e-12 * maxAbs)) {
            return z;
        }
        for (int i = 0; i < b; i++) {
            z[i] = (x[i] - mean) / sd;
        }
        return z;
    }

    /** Keeps s and l where K stays numerically usable; outside these ranges K is already flat or diagonal. */
    private void clampPhi() {
        phi[2] = Math.max(LOG_S_MIN, Math.min(LOG_S_MAX, phi[2]));
        phi[3] = Math.max(LOG_L_MIN, Math.min(LOG_L_MAX, phi[3]));
    }

    /** The current Phi = (a, b, log s, log l). */
    double[] phi() {
        return phi.clone();
    }

    /**
     * {@code phi}: (a, b, log s, log l); {@code baseline}: the moving baseline c, absent before the first
     * observed step. The pending allocation (between allocate and observe) is not part of the state.
     */
    @Override
    public Map<String, double[]> saveState() {
        Map<String, double[]> state = new HashMap<>();
        state.put("phi", phi.clone());
        if (hasBaseline) {
            state.put("baseline", new double[] {baseline});
        }
        return Map.copyOf(state);
    }

    @Override
    public void restoreState(Map<String, double[]> state) {
        double[] p = state.get("phi");
        if (p == null || p.length != 4) {
            throw new InvalidDataException("State of allocator 'optimal' needs 'phi' with 4 values (a, b, log s, "
                    + "log l), got " + (p == null ? "none" : p.length + " values") + "; restore a state saved by "
                    + "the 'optimal' allocator");
        }
        for (int k = 0; k < 4; k++) {
            if (!Double.isFinite(p[k])) {
                throw new InvalidDataException("State of allocator 'optimal' has phi[" + k + "] = " + p[k]
                        + "; every parameter must be finite");
            }
        }
        double[] c = state.get("baseline");
        if (c != null && (c.length != 1 || !Double.isFinite(c[0]))) {
            throw new InvalidDataException("State of allocator 'optimal' has baseline " + Arrays.toString(c)
                    + "; it must be one finite value or absent");
        }
        for (String key : state.keySet()) {
            if (!key.equals("phi") && !key.equals("baseline")) {
                throw new InvalidDataException("State of allocator 'optimal' has unknown entry '" + key
                        + "'; known entries are [phi, baseline]");
            }
        }
        System.arraycopy(p, 0, phi, 0, 4);
        clampPhi();
        hasBaseline = c != null;
        baseline = c == null ? 0 : c[0];
        pending = null;
    }
}
