package org.forward4j.datasets;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Feature scaling as an explicit, recorded choice: fitted on the training split only (so no statistic of the test
 * set leaks into training) and applied to both splits. {@code NONE} leaves the data exactly as loaded, which is the
 * default: a loader never rescales behind the user's back.
 */
public final class FeatureScaler {

    /** How features are scaled. */
    public enum Method {
        /** As loaded (image loaders give pixel / 255; CSV files the values as written). */
        NONE,
        /** Per feature to [0, 1] by the training split's minimum and maximum; a constant feature becomes 0. */
        MINMAX,
        /** Per feature to mean 0 and standard deviation 1 on the training split; a constant feature becomes 0. */
        STANDARD
    }

    private final Method method;
    private final float[] shift;
    private final float[] factor;

    private FeatureScaler(Method method, float[] shift, float[] factor) {
        this.method = method;
        this.shift = shift;
        this.factor = factor;
    }

    /**
     * Fits a scaler on a training set: per feature {@code (x - shift) * factor}.
     *
     * @param method the method
     * @param train the training split
     * @return the fitted scaler
     */
    public static FeatureScaler fit(Method method, Dataset train) {
        int cols = train.cols();
        int rows = train.rows();
        float[] x = train.features();
        float[] shift = new float[cols];
        float[] factor = new float[cols];
        java.util.Arrays.fill(factor, 1f);
        switch (method) {
            case NONE -> {
            }
            case MINMAX -> {
                float[] lo = new float[cols];
                float[] hi = new float[cols];
                java.util.Arrays.fill(lo, Float.POSITIVE_INFINITY);
                java.util.Arrays.fill(hi, Float.NEGATIVE_INFINITY);
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        float v = x[r * cols + c];
                        lo[c] = Math.min(lo[c], v);
                        hi[c] = Math.max(hi[c], v);
                    }
                }
                for (int c = 0; c < cols; c++) {
                    shift[c] = lo[c];
                    factor[c] = hi[c] > lo[c] ? (float) (1.0 / ((double) hi[c] - lo[c])) : 0f;
                }
            }
            case STANDARD -> {
                double[] sum = new double[cols];
                double[] squares = new double[cols];
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        double v = x[r * cols + c];
                        sum[c] += v;
                        squares[c] += v * v;
                    }
                }
                for (int c = 0; c < cols; c++) {
                    double mean = sum[c] / rows;
                    double variance = Math.max(0, squares[c] / rows - mean * mean);
                    shift[c] = (float) mean;
                    factor[c] = variance > 0 ? (float) (1.0 / Math.sqrt(variance)) : 0f;
                }
            }
        }
        return new FeatureScaler(method, shift, factor);
    }

    /**
     * Fits on the training split and scales both splits.
     *
     * @param method the method
     * @param split the data
     * @return the scaled split (the same split for {@link Method#NONE})
     */
    public static DatasetSplit apply(Method method, DatasetSplit split) {
        if (method == Method.NONE) {
            return split;
        }
        FeatureScaler s = fit(method, split.train());
        return new DatasetSplit(s.transform(split.train()), s.transform(split.test()));
    }

    /**
     * Scales a dataset with the fitted shifts and factors.
     *
     * @param data a dataset with the training split's columns
     * @return the scaled dataset, named {@code name + " (method)"}
     */
    public Dataset transform(Dataset data) {
        if (method == Method.NONE) {
            return data;
        }
        int cols = data.cols();
        float[] x = data.features();
        for (int i = 0; i < x.length; i++) {
            int c = i % cols;
            x[i] = (x[i] - shift[c]) * factor[c];
        }
        return Dataset.owning(data.name() + " (" + method.name().toLowerCase(Locale.ROOT) + ")", x, data.rows(), cols,
                data.labels(), data.classes());
    }

    /**
     * The range of all feature values of a dataset, for the hint that scaling may be wanted.
     *
     * @param data the dataset
     * @return {@code {min, max}}
     */
    public static float[] range(Dataset data) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        int cols = data.cols();
        float[] row = new float[cols];
        for (int r = 0; r < data.rows(); r++) {
            data.copyRow(r, row, 0);
            for (float v : row) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        return new float[] {lo, hi};
    }

    /**
     * What to record with the results: the method and the range the training split had before scaling.
     *
     * @param method the method
     * @param trainBefore the training split as loaded
     * @return {@code method}, {@code rangeBefore}
     */
    public static Map<String, Object> describe(Method method, Dataset trainBefore) {
        Map<String, Object> m = new LinkedHashMap<>();
        float[] r = range(trainBefore);
        m.put("method", method.name().toLowerCase(Locale.ROOT));
        m.put("fittedOn", "training split");
        m.put("rangeBefore", new float[] {r[0], r[1]});
        return m;
    }
}
