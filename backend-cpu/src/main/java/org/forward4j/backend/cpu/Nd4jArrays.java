package org.forward4j.backend.cpu;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Bulk copies between Java float arrays and ND4J arrays. {@code Nd4j.create(float[])} and {@code asFloat()} copy
 * element by element through an indexer, which profiling showed costing as much as the GEMMs of a step; these use
 * one native memcpy.
 */
public final class Nd4jArrays {

    private Nd4jArrays() {
    }

    /**
     * A new c-order float array holding {@code src[off .. off+len)}.
     *
     * @param src the values
     * @param off first value
     * @param len number of values, equal to the product of {@code shape}
     * @param shape the shape
     * @return the array
     */
    public static INDArray fromRange(float[] src, int off, int len, long... shape) {
        INDArray a = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
        if (a.length() != len) {
            throw new IllegalArgumentException(len + " values for shape " + java.util.Arrays.toString(shape));
        }
        ((FloatPointer) a.data().addressPointer()).put(src, off, len);
        return a;
    }

    /**
     * A new c-order float array holding all of {@code src}.
     *
     * @param src the values
     * @param shape the shape
     * @return the array
     */
    public static INDArray fromFloats(float[] src, long... shape) {
        return fromRange(src, 0, src.length, shape);
    }

    /**
     * The values of an array in c order.
     *
     * @param a the array
     * @return a new Java array
     */
    public static float[] toFloats(INDArray a) {
        INDArray c = a.ordering() == 'c' && !a.isView() && a.data().dataType() == DataType.FLOAT ? a
                : a.dup('c').castTo(DataType.FLOAT);
        float[] out = new float[(int) c.length()];
        ((FloatPointer) c.data().addressPointer()).get(out);
        return out;
    }

    /**
     * Adds the values of an array in c order to {@code target[offset ..]}: copied in bulk into {@code scratch}
     * (grown as needed and returned, so the caller can keep it), then added in a plain loop the JIT vectorises.
     *
     * @param a the array
     * @param target updated in place
     * @param offset where the first value goes
     * @param scratch a buffer to reuse, or null
     * @return the buffer used, for the next call
     */
    public static float[] addTo(INDArray a, float[] target, int offset, float[] scratch) {
        int n = (int) a.length();
        if (a.ordering() != 'c' || a.isView() || a.data().dataType() != DataType.FLOAT) {
            // ND4J returns some results (vectors, size-1 dimensions) as views or in f order: copy those
            add(toFloats(a), target, offset, n);
            return scratch;
        }
        float[] values = scratch == null || scratch.length < n ? new float[n] : scratch;
        ((FloatPointer) a.data().addressPointer()).get(values, 0, n);
        add(values, target, offset, n);
        return values;
    }

    private static void add(float[] values, float[] target, int offset, int n) {
        for (int k = 0; k < n; k++) {
            target[offset + k] += values[k];
        }
    }

    /**
     * Frees the native memory of arrays now instead of when the collector gets to their Java objects (ND4J frees
     * a buffer only then, so without this a step's garbage arrays pile up off-heap). Nulls and views are skipped.
     *
     * @param arrays arrays no longer used
     */
    public static void release(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a != null && a.closeable()) {
                a.close();
            }
        }
    }

    /**
     * Overwrites a c-order float array (not a view) with {@code src[off .. off + a.length())}.
     *
     * @param src the values
     * @param off first value
     * @param a the array, updated in place
     */
    public static void copyInto(float[] src, int off, INDArray a) {
        if (a.ordering() != 'c' || a.isView() || a.data().dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("copyInto needs a c-order float array that is not a view");
        }
        ((FloatPointer) a.data().addressPointer()).put(src, off, (int) a.length());
    }
}
