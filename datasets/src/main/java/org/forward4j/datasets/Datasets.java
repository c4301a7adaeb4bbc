package org.forward4j.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.InvalidDataException;

/**
 * Loads a train/test split from a dataset spec.
 *
 * <table>
 * <caption>Accepted specs</caption>
 * <tr><th>spec</th><th>data</th></tr>
 * <tr><td>{@code mnist}</td><td>10,000 real MNIST digits bundled in this jar, split 8,000 / 2,000 (stratified,
 * fixed; see the README beside the data files)</td></tr>
 * <tr><td>{@code fashion-mnist}</td><td>the full Fashion-MNIST, 60,000 / 10,000, from the Debian package
 * {@code dataset-fashion-mnist} in {@value #FASHION_MNIST_DEFAULT_DIR}, or from the directory in system property
 * {@value #FASHION_MNIST_DIR_PROPERTY}</td></tr>
 * <tr><td>{@code idx:<dir>}</td><td>a directory with the four standard MNIST file names
 * ({@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte},
 * {@code t10k-labels-idx1-ubyte}), each plain or with {@code .gz}; classes = largest label + 1</td></tr>
 * <tr><td>{@code csv:<train.csv>,<test.csv>}</td><td>two CSV files, label first then features, values used
 * exactly as written (scaling is {@link FeatureScaler}'s job), header optional; the paths must not contain commas
 * (format details in the module README)</td></tr>
 * </table>
 *
 * <p>Every loaded dataset is validated whole: corrupt input throws {@link InvalidDataException} and nothing is
 * returned. Nothing is cached; each call reads the files again.
 */
public final class Datasets {

    /** System property naming the Fashion-MNIST directory, overriding {@value #FASHION_MNIST_DEFAULT_DIR}. */
    public static final String FASHION_MNIST_DIR_PROPERTY = "forward4j.fashion-mnist.dir";

    /** Where the Debian package {@code dataset-fashion-mnist} installs the data. */
    public static final String FASHION_MNIST_DEFAULT_DIR = "/usr/share/datasets/fashion-mnist";

    private static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    private static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    private static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    private static final String TEST_LABELS = "t10k-labels-idx1-ubyte";
    private static final String[] IDX_FILES = {TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS};
    private static final String BUNDLED_MNIST = "mnist/";
    private static final int DIGIT_CLASSES = 10;

    private Datasets() {
    }

    /**
     * The spec forms {@link #load(String)} accepts, for messages and help texts.
     *
     * @return {@code [mnist, fashion-mnist, idx:<dir>, csv:<train.csv>,<test.csv>]}
     */
    public static List<String> available() {
        return List.of("mnist", "fashion-mnist", "idx:<dir>", "csv:<train.csv>,<test.csv>");
    }

    /**
     * Loads the train/test split a spec names.
     *
     * @param spec one of {@link #available()}; blanks around it are ignored
     * @return the validated split
     * @throws InvalidConfigurationException if the spec is null, unknown or lacks its path
     * @throws InvalidDataException if the data is missing or corrupt; the message names the file and, for
     *         {@code fashion-mnist}, how to install it
     */
    public static DatasetSplit load(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new InvalidConfigurationException("No dataset given. Available: " + available()
                    + ". Set the dataset to one of them.");
        }
        String s = spec.strip();
        if (s.equals("mnist")) {
            return bundledMnist();
        }
        if (s.equals("fashion-mnist")) {
            String dir = System.getProperty(FASHION_MNIST_DIR_PROPERTY, FASHION_MNIST_DEFAULT_DIR);
            return fashionMnist(path(dir, "system property " + FASHION_MNIST_DIR_PROPERTY));
        }
        if (s.startsWith("idx:")) {
            String dir = s.substring(4).strip();
            if (dir.isEmpty()) {
                throw new InvalidConfigurationException("Dataset '" + s + "' names no directory; write idx:<dir>, "
                        + "a directory holding " + String.join(", ", IDX_FILES) + " (each plain or .gz)");
            }
            Path d = path(dir, "dataset '" + s + "'");
            return idxDirectory(s, d, missing -> new InvalidDataException("Dataset '" + s + "': " + missing));
        }
        if (s.startsWith("csv:")) {
            String[] parts = s.substring(4).split(",", -1);
            if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
                throw new InvalidConfigurationException("Dataset '" + s + "' must name two files: "
                        + "csv:<train.csv>,<test.csv> (paths without commas)");
            }
            return CsvReader.read(s, path(parts[0].strip(), "dataset '" + s + "'"),
                    path(parts[1].strip(), "dataset '" + s + "'"));
        }
        throw new InvalidConfigurationException("Unknown dataset '" + s + "'. Available: " + available()
                + ". Fix the dataset setting.");
    }

    private static Path path(String p, String where) {
        try {
            return Path.of(p);
        } catch (InvalidPathException e) {
            throw new InvalidConfigurationException("Invalid path '" + p + "' in " + where + ": " + e.getMessage(), e);
        }
    }

    private static DatasetSplit bundledMnist() {
        Dataset train = bundled("mnist/train", TRAIN_IMAGES, TRAIN_LABELS);
        Dataset test = bundled("mnist/test", TEST_IMAGES, TEST_LABELS);
        return new DatasetSplit(train, test);
    }

    private static Dataset bundled(String name, String images, String labels) {
        String imagesResource = BUNDLED_MNIST + images + ".gz";
        String labelsResource = BUNDLED_MNIST + labels + ".gz";
        Idx.Images im;
        int[] lb;
        try (InputStream in = resource(imagesResource)) {
            im = Idx.readImages(in, source(imagesResource));
        } catch (IOException e) {
            throw new InvalidDataException(source(imagesResource) + ": cannot be read: " + e, e);
        }
        try (InputStream in = resource(labelsResource)) {
            lb = Idx.readLabels(in, source(labelsResource));
        } catch (IOException e) {
            throw new InvalidDataException(source(labelsResource) + ": cannot be read: " + e, e);
        }
        return Idx.toDataset(name, im, source(imagesResource), lb, source(labelsResource), DIGIT_CLASSES);
    }

    private static InputStream resource(String name) {
        InputStream in = Datasets.class.getResourceAsStream(name);
        if (in == null) {
            throw new InvalidDataException(source(name) + " is missing from the classpath; the forward4j-datasets "
                    + "jar is incomplete: rebuild or re-download it");
        }
        return in;
    }

    private static String source(String resource) {
        return "classpath:org/forward4j/datasets/" + resource;
    }

    /** Loads Fashion-MNIST from a directory; package-private so tests can point it anywhere. */
    static DatasetSplit fashionMnist(Path dir) {
        DatasetSplit split = idxDirectory("fashion-mnist", dir, missing -> new InvalidDataException(
                "Dataset 'fashion-mnist' not found: " + missing + ". Install it with "
                        + "'apt-get install dataset-fashion-mnist' (Debian/Ubuntu), or set -D"
                        + FASHION_MNIST_DIR_PROPERTY + "=<dir> to a directory holding the four IDX files of "
                        + "https://github.com/zalandoresearch/fashion-mnist"));
        if (split.train().classes() != DIGIT_CLASSES) {
            throw new InvalidDataException("Dataset 'fashion-mnist' in " + dir + ": expected labels 0..9, found "
                    + split.train().classes() + " classes");
        }
        return split;
    }

    private static DatasetSplit idxDirectory(String name, Path dir, Function<String, InvalidDataException> missing) {
        if (!Files.isDirectory(dir)) {
            throw missing.apply("no directory " + dir.toAbsolutePath());
        }
        Path[] files = new Path[IDX_FILES.length];
        List<String> absent = new ArrayList<>();
        for (int i = 0; i < IDX_FILES.length; i++) {
            Path plain = dir.resolve(IDX_FILES[i]);
            Path gz = dir.resolve(IDX_FILES[i] + ".gz");
            files[i] = Files.isRegularFile(plain) ? plain : Files.isRegularFile(gz) ? gz : null;
            if (files[i] == null) {
                absent.add(IDX_FILES[i] + "[.gz]");
            }
        }
        if (!absent.isEmpty()) {
            throw missing.apply("no " + String.join(", ", absent) + " in " + dir.toAbsolutePath());
        }
        Idx.Images trainImages = Idx.readImages(files[0]);
        int[] trainLabels = Idx.readLabels(files[1]);
        Idx.Images testImages = Idx.readImages(files[2]);
        int[] testLabels = Idx.readLabels(files[3]);
        if (trainImages.height() != testImages.height() || trainImages.width() != testImages.width()) {
            throw new InvalidDataException("Dataset '" + name + "': " + files[0] + " holds " + trainImages.height()
                    + "x" + trainImages.width() + " images but " + files[2] + " holds " + testImages.height() + "x"
                    + testImages.width() + "; train and test need the same size");
        }
        int classes = 1 + Math.max(max(trainLabels), max(testLabels));
        Dataset train = Idx.toDataset(name + "/train", trainImages, files[0].toString(), trainLabels,
                files[1].toString(), classes);
        Dataset test = Idx.toDataset(name + "/test", testImages, files[2].toString(), testLabels,
                files[3].toString(), classes);
        return new DatasetSplit(train, test);
    }

    private static int max(int[] a) {
        int m = 0;
        for (int v : a) {
            m = Math.max(m, v);
        }
        return m;
    }
}
