package org.forward4j.tck;

import org.forward4j.allocator.Allocation;
import org.forward4j.allocator.AllocationRequest;
import org.forward4j.allocator.PointStatistics;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.Objective;
import org.forward4j.noise.NoiseStream;

/**
 * The shared ground every contract test runs on: a quadratic black box with an analytic gradient, a tiny tanh
 * network with a double-precision reference gradient, odd-shaped networks for backend parity, and random
 * allocation requests. Everything is generated from fixed seeds through Philox (docs/method.md §5), so a failure
 * reproduces exactly.
 */
public final class Fixtures {

    /** Rows of the quadratic black box that estimator checks use as their mini-batch. */
    private static final int[] QUADRATIC_ROWS = {7, 2, 9, 0, 4, 5};

    /** Rows of the tanh network that estimator checks use as their mini-batch (row norms differ 100-fold). */
    private static final int[] NETWORK_ROWS = {3, 1, 0, 4, 5, 2};

    private static final DenseNetwork TANH_NETWORK = new DenseNetwork(new int[] {5, 7, 3}, Activation.TANH);

    /** Six rows whose squared norms differ by about two orders of magnitude (as between MNIST digits). */
    private static final float[] TANH_FEATURES = {
        0.9f, -0.4f, 0.3f, 0.1f, -0.7f,
        0.1f, 0.05f, -0.1f, 0.2f, 0.0f,
        -1.5f, 1.2f, 0.8f, -0.9f, 1.1f,
        0.4f, 0.6f, -0.2f, -0.5f, 0.3f,
        2.0f, -1.8f, 1.6f, 1.7f, -2.2f,
        -0.3f, 0.2f, 0.5f, -0.6f, 0.05f,
    };

    private static final int[] TANH_LABELS = {0, 2, 1, 2, 0, 1};

    /** Largest batch of a random allocation request; the optimal allocator is cubic in it. */
    private static final int MAX_BATCH = 100;

    /** Point ids are drawn from this many distinct dataset rows. */
    private static final int POOL = 300;

    private Fixtures() {
    }

    /** A deterministic, well-spread value in [-1, 1] (fixtures need no random generator). */
    private static double wave(int a, int b) {
        return Math.sin(1.37 * a + 0.61 * b + 0.3 * a * b + 0.2);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Black-box objective
    // ---------------------------------------------------------------------------------------------------------

    /**
     * A quadratic black box with d = 8 parameters over 10 rows:
     * {@code l_r(x) = 0.5 (x - c_r)^T H (x - c_r)}, H symmetric positive definite and non-diagonal, the centres
     * c_r of different scale so that per-point noise is heterogeneous. On a quadratic, symmetric finite differences
     * are exact and one-sided ones are unbiased for symmetric directions, so any sound black-box estimator's mean
     * is the analytic gradient. The returned object implements {@link AnalyticObjective} only; wrap it with
     * {@link #blackBox(Objective)} before handing it to code under test.
     *
     * @return the objective, {@code quadratic(8, 10)}
     */
    public static AnalyticObjective quadratic() {
        return quadratic(8, 10);
    }

    /**
     * The quadratic black box of {@link #quadratic()} in another size (the same construction), for checks that
     * need a smaller or larger problem.
     *
     * @param d the number of parameters, at least 1
     * @param n the number of data rows, at least 1
     * @return the objective
     */
    public static AnalyticObjective quadratic(int d, int n) {
        if (d < 1 || n < 1) {
            throw new IllegalArgumentException("a quadratic fixture needs d >= 1 and n >= 1 rows, got d=" + d
                    + ", n=" + n);
        }
        double[][] h = new double[d][d];
        for (int a = 0; a < d; a++) {
            h[a][a] = 1.0 + 0.5 * (a % 3);
            for (int b = 0; b < d; b++) {
                // a low-rank coupling keeps H positive definite while making it non-diagonal
                h[a][b] += 0.2 * wave(a, 7) * wave(b, 7);
            }
        }
        double[][] c = new double[n][d];
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < d; k++) {
                c[r][k] = (1 + r % 4) * wave(r, k);
            }
        }
        return analytic("the tck quadratic black box (d=" + d + ", " + n + " rows)", d, n, new RowFunction() {
            @Override
            public double loss(float[] x, int row) {
                double[] e = new double[d];
                for (int k = 0; k < d; k++) {
                    e[k] = x[k] - c[row][k];
                }
                double s = 0;
                for (int a = 0; a < d; a++) {
                    for (int b = 0; b < d; b++) {
                        s += e[a] * h[a][b] * e[b];
                    }
                }
                return 0.5 * s;
            }

            @Override
            public double[] gradient(float[] x, int row) {
                double[] g = new double[d];
                for (int a = 0; a < d; a++) {
                    for (int b = 0; b < d; b++) {
                        g[a] += h[a][b] * (x[b] - c[row][b]);
                    }
                }
                return g;
            }
        });
    }

    /**
     * A smooth, non-quadratic black box with d = 8 parameters over 10 rows:
     * {@code l_r(x) = sum_k a_rk sin(x_k + b_rk) + softplus(w_r . x)}, coupled through the softplus. Unlike on
     * {@link #quadratic()}, finite differences are biased here, by O(s^2) for symmetric differences and for
     * one-sided ones along symmetric directions (docs/method.md §2), so it shows whether an estimator's bias is as small
     * as its scale promises. It has the dimension of {@link #quadratic()} and is checked at
     * {@link #quadraticTheta()} on {@link #quadraticRows()} too.
     *
     * @return the objective
     */
    public static AnalyticObjective smooth() {
        final int d = 8;
        final int n = 10;
        double[][] a = new double[n][d];
        double[][] b = new double[n][d];
        double[][] w = new double[n][d];
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < d; k++) {
                a[r][k] = 1.0 + 0.5 * wave(r + 20, k);
                b[r][k] = 2.0 * wave(r + 40, k);
                w[r][k] = wave(r + 60, k);
            }
        }
        return analytic("the tck smooth black box (d=8, 10 rows)", d, n, new RowFunction() {
            @Override
            public double loss(float[] x, int r) {
                double s = 0;
                double u = 0;
                for (int k = 0; k < d; k++) {
                    s += a[r][k] * Math.sin(x[k] + b[r][k]);
                    u += w[r][k] * x[k];
                }
                return s + Math.log1p(Math.exp(u));
            }

            @Override
            public double[] gradient(float[] x, int r) {
                double u = 0;
                for (int k = 0; k < d; k++) {
                    u += w[r][k] * x[k];
                }
                double sig = 1.0 / (1.0 + Math.exp(-u));
                double[] g = new double[d];
                for (int k = 0; k < d; k++) {
                    g[k] = a[r][k] * Math.cos(x[k] + b[r][k]) + sig * w[r][k];
                }
                return g;
            }
        });
    }

    /** One row's loss and its gradient, in double from the float parameters. */
    private interface RowFunction {
        double loss(float[] x, int row);

        double[] gradient(float[] x, int row);
    }

    /** An {@link AnalyticObjective} of {@code n} rows and {@code d} parameters, row by row. */
    private static AnalyticObjective analytic(String name, int d, int n, RowFunction rows) {
        return new AnalyticObjective() {
            @Override
            public int dimension() {
                return d;
            }

            @Override
            public int size() {
                return n;
            }

            @Override
            public void losses(float[] params, int[] batch, double[] out) {
                for (int q = 0; q < batch.length; q++) {
                    out[q] = rows.loss(params, batch[q]);
                }
            }

            @Override
            public double[] gradient(float[] theta, int row) {
                return rows.gradient(theta, row);
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }

    /**
     * The parameters at which estimators are checked on {@link #quadratic()}.
     *
     * @return 8 values in [-0.5, 0.5]
     */
    public static float[] quadraticTheta() {
        float[] t = new float[8];
        for (int k = 0; k < t.length; k++) {
            t[k] = (float) (0.5 * wave(99, k));
        }
        return t;
    }

    /**
     * The mini-batch rows used on {@link #quadratic()}.
     *
     * @return six distinct rows
     */
    public static int[] quadraticRows() {
        return QUADRATIC_ROWS.clone();
    }

    /**
     * Hides everything of an objective but the {@link Objective} interface: the result is a dynamic proxy, so code
     * under test can neither cast it to {@link NetworkObjective} nor reach a gradient or a layer.
     *
     * @param objective the objective to hide
     * @return a pure black box delegating {@code dimension}, {@code size}, {@code losses} and {@code toString}
     *     (the objective of a {@link CountingObjective}, when the counts are wanted too)
     */
    public static Objective blackBox(Objective objective) {
        return new CountingObjective(objective).objective();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Networks
    // ---------------------------------------------------------------------------------------------------------

    /**
     * A tiny tanh network 5-7-3 (d = 66) over six labelled rows whose squared norms differ 100-fold, the fixture of
     * activation-noise estimators.
     *
     * @return the network objective (plain-Java evaluation, {@link Networks#objective})
     */
    public static NetworkObjective tanhNetwork() {
        return Networks.objective(TANH_NETWORK, TANH_FEATURES.clone(), TANH_LABELS.clone());
    }

    /**
     * Parameters of moderate size for {@link #tanhNetwork()}, so that the tanh units are neither linear nor
     * saturated.
     *
     * @return 66 values
     */
    public static float[] tanhNetworkTheta() {
        return parameters(TANH_NETWORK.dimension(), 12345L, 0.6f);
    }

    /**
     * The mini-batch rows used on {@link #tanhNetwork()}.
     *
     * @return six distinct rows
     */
    public static int[] tanhNetworkRows() {
        return NETWORK_ROWS.clone();
    }

    /**
     * A network objective of any shape over {@code rows} rows of Gaussian features, labels {@code (7 i + 3) mod
     * classes}: backends are checked on small odd shapes where blocking and chunking bugs show.
     *
     * @param sizes layer widths, input first
     * @param activation hidden activation
     * @param rows number of data rows
     * @param seed seed of the features
     * @return the objective
     */
    public static NetworkObjective network(int[] sizes, Activation activation, int rows, long seed) {
        DenseNetwork net = new DenseNetwork(sizes, activation);
        float[] x = new float[rows * sizes[0]];
        new NoiseStream(seed, 9, 9, 9).fill(NoiseStream.Distribution.GAUSSIAN, x, 0, x.length, 0);
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = (i * 7 + 3) % net.classes();
        }
        return Networks.objective(net, x, labels);
    }

    /**
     * Gaussian parameters {@code scale * N(0, 1)} from a Philox stream.
     *
     * @param d how many
     * @param seed the seed
     * @param scale the standard deviation
     * @return the parameters
     */
    public static float[] parameters(int d, long seed, float scale) {
        float[] t = new float[d];
        new NoiseStream(seed, 0, 0, 0).fill(NoiseStream.Distribution.GAUSSIAN, t, 0, d, 0);
        for (int k = 0; k < d; k++) {
            t[k] *= scale;
        }
        return t;
    }

    /**
     * The exact gradient of a network's clean batch-mean loss, by central differences of a double-precision
     * forward pass (step 1e-6; truncation and rounding errors both near 1e-10). This is test code: the library
     * itself never differentiates.
     *
     * @param objective the network objective
     * @param theta the parameters (read as doubles)
     * @param rows the batch rows
     * @return {@code (1/B) sum_i grad l_{rows[i]}(theta)}
     */
    public static double[] referenceGradient(NetworkObjective objective, float[] theta, int[] rows) {
        double[] t = new double[theta.length];
        for (int k = 0; k < t.length; k++) {
            t[k] = theta[k];
        }
        double h = 1e-6;
        double[] g = new double[t.length];
        for (int k = 0; k < t.length; k++) {
            double keep = t[k];
            t[k] = keep + h;
            double up = batchLoss(objective, t, rows);
            t[k] = keep - h;
            double down = batchLoss(objective, t, rows);
            t[k] = keep;
            g[k] = (up - down) / (2 * h);
        }
        return g;
    }

    private static double batchLoss(NetworkObjective o, double[] theta, int[] rows) {
        double s = 0;
        for (int r : rows) {
            s += loss(o, theta, r);
        }
        return s / rows.length;
    }

    /** Softmax cross-entropy of one row in double precision (the layout of {@link DenseNetwork}). */
    private static double loss(NetworkObjective o, double[] theta, int row) {
        DenseNetwork net = o.network();
        int in0 = net.in(0);
        double[] x = new double[in0];
        for (int i = 0; i < in0; i++) {
            x[i] = o.features()[row * in0 + i];
        }
        for (int l = 0; l < net.layers(); l++) {
            int in = net.in(l);
            int out = net.out(l);
            int w = net.weightOffset(l);
            int b = net.biasOffset(l);
            double[] v = new double[out];
            for (int j = 0; j < out; j++) {
                double s = theta[b + j];
                for (int i = 0; i < in; i++) {
                    s += theta[w + j * in + i] * x[i];
                }
                v[j] = l < net.layers() - 1 ? activate(net.activation(), s) : s;
            }
            x = v;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : x) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum) - x[o.labels()[row]];
    }

    private static double activate(Activation a, double x) {
        return switch (a) {
            case RELU -> Math.max(x, 0);
            case TANH -> Math.tanh(x);
            case IDENTITY -> x;
        };
    }

    // ---------------------------------------------------------------------------------------------------------
    // Allocation requests
    // ---------------------------------------------------------------------------------------------------------

    /**
     * One generated allocation step: a request in batch order, the same batch in another order, and the
     * permutation between them ({@code permuted} position j holds {@code request} position
     * {@code permutation[j]}).
     *
     * @param request the request
     * @param permuted the same points, budget and bounds in permuted order
     * @param permutation the permutation
     */
    public record AllocationScenario(AllocationRequest request, AllocationRequest permuted, int[] permutation) {

        /**
         * Copies the permutation.
         *
         * @param request the request
         * @param permuted the permuted request
         * @param permutation the permutation
         */
        public AllocationScenario {
            permutation = permutation.clone();
        }

        /**
         * The permutation: {@code permuted} position j holds {@code request} position {@code permutation()[j]}.
         *
         * @return a copy
         */
        @Override
        public int[] permutation() {
            return permutation.clone();
        }
    }

    /**
     * A random allocation problem for step {@code step}: batch size 1 to 100, bounds from tight ({@code min ==
     * max}) to loose, budgets from the minimum to the maximum the bounds allow, distinct point ids drawn from 300
     * dataset rows (so points recur across steps, as in epochs), and proxies of five kinds: uniform on [0, 5],
     * lognormal, all equal, a few tied values, and standard normal (negative proxies included).
     *
     * @param seed the scenario seed (also the request's seed)
     * @param step the step (also the request's step)
     * @return the scenario
     */
    public static AllocationScenario allocationScenario(long seed, long step) {
        PhiloxRandom rnd = new PhiloxRandom(seed, (int) step);
        int b = 1 + rnd.nextInt(MAX_BATCH);
        int min = 1 + rnd.nextInt(3);
        int max = switch (rnd.nextInt(3)) {
            case 0 -> min;
            case 1 -> min + 1 + rnd.nextInt(10);
            default -> 10_000;
        };
        long span = (long) b * (max - min);
        int total = (int) (b * min + Math.min(span, rnd.nextInt((int) Math.min(span, 5_000) + 1)));
        int[] pool = new int[POOL];
        for (int i = 0; i < POOL; i++) {
            pool[i] = 1000 + i;
        }
        rnd.shuffle(pool);
        int[] ids = java.util.Arrays.copyOf(pool, b);
        double[] proxies = new double[b];
        int kind = rnd.nextInt(5);
        double constant = 0.5 + rnd.nextDouble();
        for (int i = 0; i < b; i++) {
            proxies[i] = switch (kind) {
                case 0 -> 5 * rnd.nextDouble();
                case 1 -> Math.exp(rnd.nextGaussian());
                case 2 -> constant;
                case 3 -> 1 + rnd.nextInt(3);
                default -> rnd.nextGaussian();
            };
        }
        int[] perm = new int[b];
        for (int i = 0; i < b; i++) {
            perm[i] = i;
        }
        rnd.shuffle(perm);
        int[] pIds = new int[b];
        double[] pProxies = new double[b];
        for (int j = 0; j < b; j++) {
            pIds[j] = ids[perm[j]];
            pProxies[j] = proxies[perm[j]];
        }
        return new AllocationScenario(new AllocationRequest(seed, step, ids, proxies, total, min, max),
                new AllocationRequest(seed, step, pIds, pProxies, total, min, max), perm);
    }

    /**
     * Synthetic per-point statistics for an allocation, as an estimator would report them (docs/method.md §3.2): a
     * per-draw variance {@code (0.1 + |proxy|)^2} times exponential noise keyed by (point id, step), so it depends
     * on the point and the step but not on the batch order. Every seventh step reports all-zero variances (a
     * noiseless batch), which allocators must survive.
     *
     * @param request the request that was allocated
     * @param allocation the allocation it received
     * @return the statistics to pass to {@code observe}
     */
    public static PointStatistics statistics(AllocationRequest request, Allocation allocation) {
        int b = request.batchSize();
        double[] v = new double[b];
        double[] meanLoss = new double[b];
        boolean silent = request.step() % 7 == 6;
        int[] w = new int[4];
        for (int i = 0; i < b; i++) {
            org.forward4j.noise.Philox.block(request.pointId(i), (int) request.step(), 0, 0x57A7, 11, 12, w);
            double noise = -Math.log(org.forward4j.noise.Philox.uniform(w[0]));
            v[i] = silent ? 0.0 : Math.pow(0.1 + Math.abs(request.proxy(i)), 2) * noise;
            meanLoss[i] = Math.abs(request.proxy(i));
        }
        return new PointStatistics(request.step(), request.pointIds(), request.proxies(), allocation.draws(), v,
                meanLoss);
    }
}
