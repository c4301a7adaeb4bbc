package org.forward4j.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.forward4j.datasets.IdxFiles.concat;
import static org.forward4j.datasets.IdxFiles.gzip;
import static org.forward4j.datasets.IdxFiles.header;
import static org.forward4j.datasets.IdxFiles.images;
import static org.forward4j.datasets.IdxFiles.imagesBytes;
import static org.forward4j.datasets.IdxFiles.labels;
import static org.forward4j.datasets.IdxFiles.labelsBytes;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.forward4j.plugin.InvalidDataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {

    @TempDir
    Path dir;

    private static ByteArrayInputStream in(byte[] b) {
        return new ByteArrayInputStream(b);
    }

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    @Test
    void roundTripsPlainAndGzipThroughStreamsAndFiles() throws IOException {
        Idx.Images im = images(7, 5, 4);
        int[] lb = labels(7, 3);
        byte[] imBytes = imagesBytes(im);
        byte[] lbBytes = labelsBytes(lb);
        assertThat(imBytes).hasSize(16 + 7 * 5 * 4);
        assertThat(Arrays.copyOf(imBytes, 16)).containsExactly(header(0x803, 7, 5, 4));
        assertThat(lbBytes).hasSize(8 + 7);

        assertThat(Idx.readImages(in(imBytes), "s")).isEqualTo(im);
        assertThat(Idx.readImages(in(gzip(imBytes)), "s")).isEqualTo(im);
        assertThat(Idx.readLabels(in(lbBytes), "s")).containsExactly(lb);
        assertThat(Idx.readLabels(in(gzip(lbBytes)), "s")).containsExactly(lb);
        assertThat(Idx.readImages(write("a", imBytes))).isEqualTo(im);
        assertThat(Idx.readImages(write("b.gz", gzip(imBytes)))).isEqualTo(im);
        // compression is recognised by content, not by name
        assertThat(Idx.readLabels(write("c.gz", lbBytes))).containsExactly(lb);
        assertThat(Idx.readLabels(write("d", gzip(lbBytes)))).containsExactly(lb);
    }

    @Test
    void datasetScalesBytesAndKeepsRowMajorOrder() throws IOException {
        Idx.Images im = images(3, 2, 2);
        Dataset d = Idx.readDataset("tiny", write("i", imagesBytes(im)), write("l", labelsBytes(new int[] {2, 0, 1})),
                3);
        assertThat(d.rows()).isEqualTo(3);
        assertThat(d.cols()).isEqualTo(4);
        assertThat(d.labels()).containsExactly(2, 0, 1);
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                int b = im.pixel(r, c / 2, c % 2);
                assertThat(d.feature(r, c)).isEqualTo(b / 255f);
                assertThat(Math.round(d.feature(r, c) * 255)).isEqualTo(b);
            }
        }
    }

    @Test
    void rejectsBadMagicAndNamesSwappedFiles() {
        byte[] lb = labelsBytes(labels(4, 2));
        assertThatThrownBy(() -> Idx.readImages(in(lb), "lab.idx"))
                .isInstanceOf(InvalidDataException.class)
                .hasMessageContaining("lab.idx: bad magic number 0x00000801, expected 0x00000803")
                .hasMessageContaining("swapped");
        byte[] junk = concat(header(0x0000_0903, 1, 1, 1), new byte[1]);
        assertThatThrownBy(() -> Idx.readImages(in(junk), "j"))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("j: bad magic number 0x00000903, expected 0x00000803 for IDX images (idx3-ubyte)");
    }

    @Test
    void rejectsZeroAndNegativeDimensions() {
        assertThatThrownBy(() -> Idx.readImages(in(header(0x803, 0, 28, 28)), "z"))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("z: header declares image count 0; it must be between 1 and 2147483647");
        assertThatThrownBy(() -> Idx.readImages(in(header(0x803, 5, -1, 28)), "n"))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("n: header declares height 4294967295; it must be between 1 and 2147483647");
        assertThatThrownBy(() -> Idx.readLabels(in(header(0x801, 0x8000_0000)), "l"))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("l: header declares label count 2147483648; it must be between 1 and 2147483647");
    }

    @Test
    void rejectsSizesBeyondAJavaArrayBeforeAllocating() {
        assertThatThrownBy(() -> Idx.readImages(in(header(0x803, Integer.MAX_VALUE, 28, 28)), "big"))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("big: header declares 2147483647 images, more than the 2147483639 bytes "
                        + "a Java array can hold");
        assertThatThrownBy(() -> Idx.readImages(in(header(0x803, 65536, 65536, 1)), "big2"))
                .isInstanceOf(InvalidDataException.class)
                .hasMessageContaining("more than the 2147483639 bytes");
    }

    @Test
    void aHeaderClaimingBillionsOfItemsFailsOnTheMissingBytesNotOnMemory() throws IOException {
        // 2^31 - 9 labels claimed, 3 present: must not allocate 2 GB (streams) nor read past the file (files)
        byte[] lie = concat(header(0x801, Integer.MAX_VALUE - 8), new byte[3]);
        assertThatThrownBy(() -> Idx.readLabels(in(lie), "lie"))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("lie: truncated: expected 2147483639 bytes of data (2147483639 labels) after the 8-byte "
                        + "header, found 3");
        assertThatThrownBy(() -> Idx.readLabels(in(gzip(lie)), "lie"))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("lie (gzip): truncated: expected 2147483639 bytes of data (2147483639 labels) after the "
                        + "8-byte header, found 3");
        Path file = write("lie", lie);
        assertThatThrownBy(() -> Idx.readLabels(file))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage(file + ": truncated: expected 2147483639 bytes of data (2147483639 labels) after the "
                        + "8-byte header, found 3");
    }

    @Test
    void rejectsTruncatedHeaderAndData() throws IOException {
        byte[] ok = imagesBytes(images(3, 4, 4));
        assertThatThrownBy(() -> Idx.readImages(in(new byte[0]), "e"))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("e: truncated: IDX images (idx3-ubyte) start with a 16-byte header, found only 0 bytes");
        assertThatThrownBy(() -> Idx.readImages(in(Arrays.copyOf(ok, 10)), "h"))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("h: truncated: IDX images (idx3-ubyte) start with a 16-byte header, found only 10 bytes");
        assertThatThrownBy(() -> Idx.readImages(in(Arrays.copyOf(ok, 16 + 40)), "d"))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("d: truncated: expected 48 bytes of data (3 images of 4x4) after the 16-byte header, "
                        + "found 40");
        Path f = write("t", Arrays.copyOf(ok, ok.length - 1));
        assertThatThrownBy(() -> Idx.readImages(f))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage(f + ": truncated: expected 48 bytes of data (3 images of 4x4) after the 16-byte header, "
                        + "found 47");
        byte[] gz = gzip(ok);
        assertThatThrownBy(() -> Idx.readImages(in(Arrays.copyOf(gz, gz.length - 3)), "g"))
                .isInstanceOf(InvalidDataException.class)
                .hasMessageStartingWith("g: cannot be read as IDX images (idx3-ubyte): java.io.EOFException");
    }

    @Test
    void rejectsTrailingData() throws IOException {
        byte[] longer = concat(labelsBytes(labels(4, 2)), new byte[] {1});
        Path f = write("x", longer);
        assertThatThrownBy(() -> Idx.readLabels(f))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage(f + ": trailing data: expected 4 bytes of data (4 labels) after the 8-byte header, "
                        + "found 5");
        assertThatThrownBy(() -> Idx.readLabels(in(gzip(longer)), "x"))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("x (gzip): trailing data: expected exactly 4 bytes of data (4 labels) after the 8-byte "
                        + "header, but more follow");
    }

    @Test
    void rejectsGzipWithACorruptChecksum() {
        byte[] gz = gzip(imagesBytes(images(2, 3, 3)));
        // the CRC32 is the 8th..5th byte from the end
        gz[gz.length - 8] ^= 0x01;
        assertThatThrownBy(() -> Idx.readImages(in(gz), "crc"))
                .isInstanceOf(InvalidDataException.class)
                .hasMessageContaining("crc: cannot be read as IDX images (idx3-ubyte)")
                .hasMessageContaining("Corrupt GZIP trailer");
    }

    @Test
    void rejectsCountMismatchAndLabelsOutOfRange() throws IOException {
        Path im = write("im", imagesBytes(images(4, 2, 2)));
        Path three = write("three", labelsBytes(labels(3, 2)));
        Path big = write("big", labelsBytes(new int[] {0, 1, 9, 1}));
        assertThatThrownBy(() -> Idx.readDataset("d", im, three, 2))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("Dataset 'd': " + im + " holds 4 images but " + three + " holds 3 labels; they must match");
        assertThatThrownBy(() -> Idx.readDataset("d", im, big, 5))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("Dataset 'd': " + big + ": label 9 at index 2 is outside [0, 5)");
    }

    @Test
    void namesAMissingFile() {
        Path nope = dir.resolve("nope");
        assertThatThrownBy(() -> Idx.readImages(nope))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage(nope + ": no such file");
    }

    @Test
    void writerRejectsLabelsThatAreNotBytes() {
        assertThatThrownBy(() -> labelsBytes(new int[] {1, 256}))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("IDX labels are unsigned bytes; label 256 at index 1 does not fit");
        assertThatThrownBy(() -> labelsBytes(new int[0]))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("An IDX labels file needs at least one label");
    }

    @Test
    void imagesRecordValidatesItsShape() {
        assertThatThrownBy(() -> new Idx.Images(2, 2, 2, new byte[7]))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("IDX images 2 x 2 x 2 need 8 bytes, got 7");
        assertThatThrownBy(() -> new Idx.Images(0, 2, 2, new byte[0]))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("IDX images need count, height and width of at least 1, got 0 x 2 x 2");
        assertThat(images(2, 3, 1)).hasToString("Images[2 x 3 x 1]");
    }
}
