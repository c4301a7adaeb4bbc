package org.forward4j.allocator.optimal;

/**
 * Lower-triangular Cholesky factor of a symmetric positive definite matrix, with the solves the optimal
 * allocator needs (docs/method.md §3.2: sampling xi = mu + L eps and the score K^-1 (xi - mu)).
 */
final class Cholesky {

    private final double[][] l;

    private Cholesky(double[][] l) {
        this.l = l;
    }

    /**
     * Factors {@code a}; returns null when a pivot is not positive (the matrix is not numerically positive
     * definite), so the caller can add to the diagonal and retry.
     */
    static Cholesky factor(double[][] a) {
        int n = a.length;
        double[][] l = new double[n][n];
        for (int j = 0; j < n; j++) {
            double d = a[j][j];
            double[] lj = l[j];
            for (int k = 0; k < j; k++) {
                d -= lj[k] * lj[k];
            }
            if (!(d > 0) || !Double.isFinite(d)) {
                return null;
            }
            double ljj = Math.sqrt(d);
            lj[j] = ljj;
            for (int i = j + 1; i < n; i++) {
                double s = a[i][j];
                double[] li = l[i];
                for (int k = 0; k < j; k++) {
                    s -= li[k] * lj[k];
                }
                li[j] = s / ljj;
            }
        }
        return new Cholesky(l);
    }

    /** L x. */
    double[] multiplyLower(double[] x) {
        int n = l.length;
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            double[] li = l[i];
            for (int k = 0; k <= i; k++) {
                s += li[k] * x[k];
            }
            y[i] = s;
        }
        return y;
    }

    /** A^-1 b through L y = b, L^T x = y. */
    double[] solve(double[] b) {
        int n = l.length;
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double s = b[i];
            double[] li = l[i];
            for (int k = 0; k < i; k++) {
                s -= li[k] * y[k];
            }
            y[i] = s / li[i];
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < n; k++) {
                s -= l[k][i] * x[k];
            }
            x[i] = s / l[i][i];
        }
        return x;
    }

    /** A^-1 = L^-T L^-1, symmetric. */
    double[][] inverse() {
        int n = l.length;
        // M = L^-1 (lower triangular), column by column of the identity
        double[][] m = new double[n][n];
        for (int c = 0; c < n; c++) {
            for (int i = c; i < n; i++) {
                double s = i == c ? 1.0 : 0.0;
                double[] li = l[i];
                for (int k = c; k < i; k++) {
                    s -= li[k] * m[k][c];
                }
                m[i][c] = s / li[i];
            }
        }
        double[][] inv = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (int k = i; k < n; k++) {
                    s += m[k][i] * m[k][j];
                }
                inv[i][j] = s;
                inv[j][i] = s;
            }
        }
        return inv;
    }
}
