package org.forward4j.core.backend;

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
}
