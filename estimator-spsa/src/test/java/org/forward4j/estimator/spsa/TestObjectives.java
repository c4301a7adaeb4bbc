package org.forward4j.estimator.spsa;

import java.lang.reflect.Proxy;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.forward4j.estimator.Objective;

/** Small black-box objectives with analytic gradients, evaluated in double from the float parameters. */
final class TestObjectives {

    private TestObjectives() {
    }

    /** A deterministic, well-spread value in [-1, 1] (no RNG needed for fixtures). */
    static double wave(int a, int b) {
        return Math.sin(1.37 * a + 0.61 * b + 0.3 * a * b + 0.2);
    }

    /** Parameters around which the estimators are tested. */
    static float[] theta(int d) {
        float[] t = new float[d];
        for (int k = 0; k < d; k++) {
            t[k] = (float) (0.5 * wave(99, k));
        }
        return t;
    }

    /** An objective with a known per-row gradient. */
    interface Analytic extends Objective {
        /**
         * The gradient of row r's loss.
         *
         * @param x parameters
         * @param row the row
         * @return grad l_row(x)
         */
        double[] gradient(float[] x, int row);

        /** The batch gradient (1/B) sum_i grad l_{rows[i]}. */
        default double[] batchGradient(float[] x, int[] rows) {
            double[] g = new double[dimension()];
            for (int r : rows) {
                double[] gi = gradient(x, r);
                for (int k = 0; k < g.length; k++) {
                    g[k] += gi[k] / rows.length;
                }
            }
            return g;
        }
    }

    /** l_r(x) = 0.5 (x - c_r)^T H (x - c_r) with H symmetric positive definite, shared by all rows. */
    static Analytic quadratic(int d, int n) {
        double[][] h = new double[d][d];
        for (int a = 0; a < d; a++) {
            h[a][a] = 1.0 + 0.5 * (a % 3);
            for (int b = 0; b < d; b++) {
                // low-rank coupling keeps H SPD while making it non-diagonal
                h[a][b] += 0.2 * wave(a, 7) * wave(b, 7);
            }
        }
        double[][] c = new double[n][d];
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < d; k++) {
                // rows differ in scale so per-point noise is heterogeneous
                c[r][k] = (1 + r % 4) * wave(r, k);
            }
        }
        return new Analytic() {
            @Override
            public int dimension() {
                return d;
            }

            @Override
            public int size() {
                return n;
            }

            @Override
            public void losses(float[] params, int[] rows, double[] out) {
                for (int q = 0; q < rows.length; q++) {
                    double[] e = new double[d];
                    for (int k = 0; k < d; k++) {
                        e[k] = params[k] - c[rows[q]][k];
                    }
                    double s = 0;
                    for (int a = 0; a < d; a++) {
                        for (int b = 0; b < d; b++) {
                            s += e[a] * h[a][b] * e[b];
                        }
                    }
                    out[q] = 0.5 * s;
                }
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
        };
    }

    /** l_r(x) = sum_k a_rk sin(x_k + b_rk) + softplus(w_r . x): smooth, not quadratic, coupled. */
    static Analytic smooth(int d, int n) {
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
        return new Analytic() {
            @Override
            public int dimension() {
                return d;
            }

            @Override
            public int size() {
                return n;
            }

            @Override
            public void losses(float[] params, int[] rows, double[] out) {
                for (int q = 0; q < rows.length; q++) {
                    int r = rows[q];
                    double s = 0;
                    double u = 0;
                    for (int k = 0; k < d; k++) {
                        s += a[r][k] * Math.sin(params[k] + b[r][k]);
                        u += w[r][k] * params[k];
                    }
                    out[q] = s + Math.log1p(Math.exp(u));
                }
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
        };
    }

    /**
     * A plain {@link Objective} (a dynamic proxy implementing nothing else, so no gradient or layer access can
     * exist) that counts the rows it evaluates and records every method called on it.
     */
    static final class Counting {
        final AtomicLong rows = new AtomicLong();
        final Set<String> methods = ConcurrentHashMap.newKeySet();
        final Objective objective;

        Counting(Objective delegate) {
            objective = (Objective) Proxy.newProxyInstance(Objective.class.getClassLoader(),
                    new Class<?>[] {Objective.class}, (proxy, method, args) -> {
                        methods.add(method.getName());
                        switch (method.getName()) {
                            case "dimension":
                                return delegate.dimension();
                            case "size":
                                return delegate.size();
                            case "losses":
                                rows.addAndGet(((int[]) args[1]).length);
                                delegate.losses((float[]) args[0], (int[]) args[1], (double[]) args[2]);
                                return null;
                            default:
                                throw new AssertionError("unexpected call " + method);
                        }
                    });
        }
    }
}
