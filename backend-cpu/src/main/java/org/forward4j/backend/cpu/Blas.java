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
}
