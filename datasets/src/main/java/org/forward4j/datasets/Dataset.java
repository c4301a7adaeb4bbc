package org.forward4j.datasets;

import java.util.Arrays;
import java.util.Objects;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.InvalidDataException;

/**
 * An immutable labelled dataset for classification: {@code rows} feature vectors of length {@code cols}, stored
 * row-major in one {@code float[]}, each value finite (images: byte / 255; CSV files: the values as written), and
 * one label in {@code [0, classes)} per row. Scaling is an explicit, separate step ({@link FeatureScaler}).
 *
 * <p>The constructor validates everything and copies its arrays; the accessors that return arrays return fresh
 * copies, so no caller can change a dataset another caller holds. Copying all features of a large set costs
 * memory (Fashion-MNIST's training set is 188 MB of floats): call {@link #features()} once, or read rows with
 * {@link #copyRow(int, float[], int)}.
 */
public final class Dataset {

    /** The largest number of elements a Java array can hold on common JVMs. */
    static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final String name;
    private final float[] features;
    private final int rows;
    private final int cols;
    private final int[] labels;
    private final int classes;

    /**
     * Creates a dataset after validating it; the arrays are copied.
     *
     * @param name a non-blank name used in messages (for example {@code "mnist/train"})
     * @param features row-major features of shape {@code [rows, cols]}, every value finite
     * @param rows number of rows, at least 1
     * @param cols number of features per row, at least 1
     * @param labels one label per row, each in {@code [0, classes)}
     * @param classes number of classes, at least 1
     * @throws InvalidDataException if a shape, a value or a label is out of range; the message names the row
     * @throws NullPointerException if an argument is null
     */
    public Dataset(String name, float[] features, int rows, int cols, int[] labels, int classes) {
        this(name, Objects.requireNonNull(features, "features").clone(), rows, cols,
                Objects.requireNonNull(labels, "labels").clone(), classes, Owned.OWNED);
    }

    /**
     * Takes ownership of the arrays (the marker only tells this constructor apart from the public one): loaders
     * build the arrays and never touch them again, so copying them would double the memory.
     */
    private Dataset(String name, float[] features, int rows, int cols, int[] labels, int classes, Owned marker) {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new InvalidDataException("A dataset needs a non-blank name, got '" + name + "'");
        }
        if (rows < 1 || cols < 1 || classes < 1) {
            throw new InvalidDataException("Dataset '" + name + "': rows, cols and classes must be at least 1, got "
                    + "rows=" + rows + ", cols=" + cols + ", classes=" + classes);
        }
        if ((long) rows * cols != features.length) {
            throw new InvalidDataException("Dataset '" + name + "': " + rows + " rows x " + cols + " cols = "
                    + (long) rows * cols + " values expected, but features holds " + features.length);
        }
        if (labels.length != rows) {
            throw new InvalidDataException("Dataset '" + name + "': " + rows + " rows but " + labels.length
                    + " labels");
        }
        for (int i = 0; i < features.length; i++) {
            float v = features[i];
            if (!Float.isFinite(v)) {
                throw new InvalidDataException("Dataset '" + name + "': feature " + (i % cols) + " of row " + (i / cols)
                        + " is " + v + "; features must be finite numbers");
            }
        }
        for (int r = 0; r < rows; r++) {
            if (labels[r] < 0 || labels[r] >= classes) {
                throw new InvalidDataException("Dataset '" + name + "': label " + labels[r] + " of row " + r
                        + " is outside [0, " + classes + ")");
            }
        }
        this.name = name;
        this.features = features;
        this.rows = rows;
        this.cols = cols;
        this.labels = labels;
        this.classes = classes;
    }

    /**
     * Builds a dataset from arrays the caller gives up (no copy); still fully validated.
     */
    static Dataset owning(String name, float[] features, int rows, int cols, int[] labels, int classes) {
        return new Dataset(name, features, rows, cols, labels, classes, Owned.OWNED);
    }

    /**
     * The name used in messages.
     *
     * @return for example {@code "mnist/train"}
     */
    public String name() {
        return name;
    }

    /**
     * Number of rows (examples).
     *
     * @return at least 1
     */
    public int rows() {
        return rows;
    }

    /**
     * Number of features per row.
     *
     * @return at least 1 (784 for MNIST)
     */
    public int cols() {
        return cols;
    }

    /**
     * Number of classes; every label is in {@code [0, classes)}.
     *
     * @return at least 1
     */
    public int classes() {
        return classes;
    }

    /**
     * All features, row-major {@code [rows, cols]}.
     *
     * @return a fresh copy
     */
    public float[] features() {
        return features.clone();
    }

    /**
     * All labels, one per row.
     *
     * @return a fresh copy
     */
    public int[] labels() {
        return labels.clone();
    }

    /**
     * One feature value.
     *
     * @param row the row, in {@code [0, rows)}
     * @param col the column, in {@code [0, cols)}
     * @return the value
     * @throws IndexOutOfBoundsException if row or col is out of range
     */
    public float feature(int row, int col) {
        Objects.checkIndex(row, rows);
        Objects.checkIndex(col, cols);
        return features[row * cols + col];
    }

    /**
     * The label of one row.
     *
     * @param row the row, in {@code [0, rows)}
     * @return the label, in {@code [0, classes)}
     * @throws IndexOutOfBoundsException if row is out of range
     */
    public int label(int row) {
        return labels[Objects.checkIndex(row, rows)];
    }

    /**
     * Copies one row's features into {@code dst[offset .. offset + cols)}.
     *
     * @param row the row, in {@code [0, rows)}
     * @param dst the destination
     * @param offset where the row starts in dst
     * @throws IndexOutOfBoundsException if row is out of range or dst is too short
     */
    public void copyRow(int row, float[] dst, int offset) {
        Objects.checkIndex(row, rows);
        Objects.checkFromIndexSize(offset, cols, dst.length);
        System.arraycopy(features, row * cols, dst, offset, cols);
    }

    /**
     * How many rows carry each label.
     *
     * @return an array of length {@link #classes()}
     */
    public int[] classCounts() {
        int[] counts = new int[classes];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }

    /**
     * The first {@code min(n, rows)} rows, for quick runs; returns this dataset when it has no more than n rows.
     *
     * @param n the most rows to keep, at least 1
     * @return a dataset named {@code name + "[:" + n + "]"} with the same cols and classes
     * @throws InvalidConfigurationException if n is smaller than 1
     */
    public Dataset subset(int n) {
        if (n < 1) {
            throw new InvalidConfigurationException("A dataset limit must be at least 1, got " + n + " for '" + name
                    + "'");
        }
        if (n >= rows) {
            return this;
        }
        return new Dataset(name + "[:" + n + "]", Arrays.copyOf(features, n * cols), n, cols,
                Arrays.copyOf(labels, n), classes, Owned.OWNED);
    }

    /** Selects the constructor that keeps its arrays. */
    private enum Owned {
        OWNED
    }

    @Override
    public String toString() {
        return "Dataset[" + name + ": " + rows + " x " + cols + ", " + classes + " classes]";
    }
}
