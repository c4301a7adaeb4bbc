package org.forward4j.backend.cpu;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Single-precision GEMM straight into OpenBLAS (the library ND4J itself loads), on native buffers the evaluator
 * owns.
 *
 * <p>Why not {@code Nd4j.gemm}: every ND4J operation allocates its result, creates Java objects and goes through a
 * custom-op dispatch; profiling put that, with ND4J's row gather and element-wise ops, above the GEMMs themselves for
 * the 784-256-10 MLP. A {@code cblas_sgemm} call costs one JNI transition. BLAS stays single-threaded per call
 * ({@link Nd4jSetup}), so results do not depend on the number of worker threads.
 *
 * <p>Buffers are {@link FloatPointer}s at position 0; callers never move a shared buffer's position (several
 * threads read the same weights).
 */
final class Blas {

    static {
        Nd4jSetup.init();
        Loader.load(openblas_nolapack.class);
    }

    private Blas() {
    }

    /**
     * {@code C[m x n] = A[m x k] B[n x k]^T}, all row-major: the forward {@code x W^T} with {@code W} stored as
     * {@code [out, in]}.
     *
     * @param m rows of A and C
     * @param n rows of B, columns of C
     * @param k columns of A and B
     * @param a A
     * @param b B
     * @param c C, overwritten
     */
    static void gemmNT(int m, int n, int k, FloatPointer a, FloatPointer b, FloatPointer c) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                openblas_nolapack.CblasTrans, m, n, k, 1f, a, k, b, k, 0f, c, n);
    }

    /**
     * {@code C[m x n] = A[k x m]^T B[k x n]}, all row-major: a weight gradient {@code sum_r e_r x_r^T} from the
     * rows' output terms {@code e} and inputs {@code x}.
     *
     * @param m columns of A, rows of C
     * @param n columns of B and C
     * @param k rows of A and B
     * @param a A
     * @param b B
     * @param c C, overwritten
     */
    static void gemmTN(int m, int n, int k, FloatPointer a, FloatPointer b, FloatPointer c) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasTrans,
                openblas_nolapack.CblasNoTrans, m, n, k, 1f, a, m, b, n, 0f, c, n);
    }

    /**
     * Copies {@code count} floats from {@code src[srcOff ..]} to {@code dst[dstOff ..]} (native to native) through
     * the given cursor views, whose positions and limits this moves.
     *
     * @param dst a view of the destination (its position is set)
     * @param dstOff first destination float
     * @param src a view of the source (its position is set)
     * @param srcOff first source float
     * @param count floats to copy
     */
    static void copy(FloatPointer dst, long dstOff, FloatPointer src, long srcOff, long count) {
        // Pointer.put copies limit - position elements; Pointer.memcpy would read positions as bytes
        dst.position(dstOff).put(src.limit(srcOff + count).position(srcOff));
    }

    /**
     * A view sharing another buffer's memory, with its own position (for {@link #copy}).
     *
     * @param of the buffer
     * @return a view at position 0
     */
    static FloatPointer cursor(FloatPointer of) {
        return new FloatPointer(of).position(0);
    }

    /**
     * {@code C[m x n] = A[m x k] B[k x n]}, all row-major: a convolution's kernel matrix times its patch columns.
     *
     * @param m rows of A and C
     * @param n columns of B and C
     * @param k columns of A, rows of B
     * @param a A
     * @param b B
     * @param c C, overwritten
     */
    static void gemmNN(int m, int n, int k, FloatPointer a, FloatPointer b, FloatPointer c) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                openblas_nolapack.CblasNoTrans, m, n, k, 1f, a, k, b, n, 0f, c, n);
    }

    /**
     * The GEMMs of the layer-graph evaluator on Java arrays: operands copied into this thread's native buffers
     * (grown on demand, kept for the thread's next call), one {@code cblas_sgemm}, the product copied out. Against
     * {@code Nd4j.gemm} this saves, per product, the allocation of three ND4J arrays, their Java objects and the op
     * dispatch, which on the ViT's 32-wide products cost about as much as the arithmetic.
     */
    static final class Arrays {

        private static final ThreadLocal<FloatPointer[]> SCRATCH = ThreadLocal.withInitial(() -> new FloatPointer[3]);

        private Arrays() {
        }

        /** This thread's buffer {@code i}, at least {@code n} floats. */
        private static FloatPointer buffer(int i, long n) {
            FloatPointer[] b = SCRATCH.get();
            if (b[i] == null || b[i].capacity() < n) {
                if (b[i] != null) {
                    b[i].close();
                }
                b[i] = new FloatPointer(Math.max(n, 4096));
            }
            return b[i];
        }

        private static FloatPointer load(int i, float[] x, int n) {
            FloatPointer p = buffer(i, n);
            p.position(0).put(x, 0, n);
            return p.position(0);
        }

        private static float[] result(FloatPointer c, int n) {
            float[] out = new float[n];
            c.position(0).get(out, 0, n);
            return out;
        }

        /**
         * {@code x[m x k] W[n x k]^T}: the forward of a linear map whose weights are native.
         *
         * @param x the rows
         * @param m rows
         * @param k input width
         * @param w the weights {@code [n, k]}
         * @param n output width
         * @return {@code [m, n]}
         */
        static float[] forward(float[] x, int m, int k, FloatPointer w, int n) {
            FloatPointer a = load(0, x, m * k);
            FloatPointer c = buffer(2, (long) m * n);
            Blas.gemmNT(m, n, k, a, w, c);
            return result(c, m * n);
        }

        /**
         * {@code W[m x k] B[k x n]} with native weights: a convolution's output channels over its patch columns.
         *
         * @param w the kernel matrix {@code [m, k]}
         * @param b the patch columns
         * @param m output channels
         * @param n columns
         * @param k kernel size times input channels
         * @return {@code [m, n]}
         */
        static float[] kernelTimes(FloatPointer w, float[] b, int m, int n, int k) {
            FloatPointer bp = load(1, b, k * n);
            FloatPointer c = buffer(2, (long) m * n);
            Blas.gemmNN(m, n, k, w, bp, c);
            return result(c, m * n);
        }

        /**
         * {@code A[k x m]^T B[k x n]}: a weight gradient from per-row output terms and inputs.
         *
         * @param a the terms {@code [k, m]}
         * @param b the inputs {@code [k, n]}
         * @param m output width
         * @param n input width
         * @param k rows
         * @return {@code [m, n]}
         */
        static float[] gemmTN(float[] a, float[] b, int m, int n, int k) {
            return product(a, b, m, n, k, Blas::gemmTN);
        }

        /**
         * {@code A[m x k] B[n x k]^T}: a convolution's weight gradient from per-channel terms and patch columns.
         *
         * @param a the terms {@code [m, k]}
         * @param b the patches {@code [n, k]}
         * @param m output channels
         * @param n kernel size times input channels
         * @param k columns
         * @return {@code [m, n]}
         */
        static float[] gemmNT(float[] a, float[] b, int m, int n, int k) {
            return product(a, b, m, n, k, Blas::gemmNT);
        }

        /** One of the native GEMMs above, on native operands. */
        private interface Gemm {
            void run(int m, int n, int k, FloatPointer a, FloatPointer b, FloatPointer c);
        }

        /** Both operands ({@code m k} and {@code n k} floats) copied in, the product run, {@code C[m x n]} out. */
        private static float[] product(float[] a, float[] b, int m, int n, int k, Gemm gemm) {
            FloatPointer ap = load(0, a, m * k);
            FloatPointer bp = load(1, b, n * k);
            FloatPointer c = buffer(2, (long) m * n);
            gemm.run(m, n, k, ap, bp, c);
            return result(c, m * n);
        }
    }
}
