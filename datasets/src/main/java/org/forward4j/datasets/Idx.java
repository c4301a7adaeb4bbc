package org.forward4j.datasets;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import org.forward4j.plugin.InvalidDataException;

/**
 * Reads and writes the IDX format of MNIST and Fashion-MNIST (unsigned bytes only): a big-endian header of a
 * magic number ({@code 0x00000803} for images: unsigned bytes, 3 dimensions; {@code 0x00000801} for labels:
 * unsigned bytes, 1 dimension), one 32-bit size per dimension, then the bytes. Input may be gzip-compressed; it is
 * recognised by its first two bytes ({@code 1f 8b}), not by the file name.
 *
 * <p>A file is accepted whole or not at all: the magic number, every size, the exact data length (no missing and
 * no trailing bytes) and, for gzip, the CRC are checked, and any problem throws {@link InvalidDataException}
 * naming the file, what was expected and what was found. Sizes from the header are checked against the file
 * length before anything is allocated, and where the length is unknown (gzip, streams) the data is read in
 * chunks, so a header claiming billions of items costs no memory beyond the bytes really present.
 */
public final class Idx {

    /** Magic number of an IDX file of unsigned bytes with 3 dimensions (count, height, width). */
    public static final int IMAGES_MAGIC = 0x00000803;

    /** Magic number of an IDX file of unsigned bytes with 1 dimension (count). */
    public static final int LABELS_MAGIC = 0x00000801;

    private static final int CHUNK = 1 << 20;

    private Idx() {
    }

    /**
     * Images as stored in an IDX file: {@code count} images of {@code height x width} unsigned bytes, row-major.
     *
     * <p>The record keeps the array it is given and returns it without copying (images sets are large); treat it
     * as read-only.
     *
     * @param count number of images, at least 1
     * @param height rows per image, at least 1
     * @param width columns per image, at least 1
     * @param pixels {@code count * height * width} bytes, each read as unsigned
     */
    public record Images(int count, int height, int width, byte[] pixels) {

        /**
         * Validates the shape.
         *
         * @param count number of images, at least 1
         * @param height rows per image, at least 1
         * @param width columns per image, at least 1
         * @param pixels {@code count * height * width} bytes
         * @throws InvalidDataException if a size is below 1 or pixels has the wrong length
         */
        public Images {
            Objects.requireNonNull(pixels, "pixels");
            if (count < 1 || height < 1 || width < 1) {
                throw new InvalidDataException("IDX images need count, height and width of at least 1, got " + count
                        + " x " + height + " x " + width);
            }
            if ((long) count * height * width != pixels.length) {
                throw new InvalidDataException("IDX images " + count + " x " + height + " x " + width + " need "
                        + (long) count * height * width + " bytes, got " + pixels.length);
            }
        }

        /**
         * The pixel at one position, as an unsigned value.
         *
         * @param image the image, in {@code [0, count)}
         * @param y the row, in {@code [0, height)}
         * @param x the column, in {@code [0, width)}
         * @return the byte, in {@code [0, 255]}
         */
        public int pixel(int image, int y, int x) {
            Objects.checkIndex(image, count);
            Objects.checkIndex(y, height);
            Objects.checkIndex(x, width);
            return pixels[(image * height + y) * width + x] & 0xFF;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Images other && count == other.count && height == other.height
                    && width == other.width && Arrays.equals(pixels, other.pixels);
        }

        @Override
        public int hashCode() {
            return ((31 * count + height) * 31 + width) * 31 + Arrays.hashCode(pixels);
        }

        @Override
        public String toString() {
            return "Images[" + count + " x " + height + " x " + width + "]";
        }
    }

    /**
     * Reads an images file ({@code idx3-ubyte}), plain or gzip-compressed.
     *
     * @param file the file
     * @return the images
     * @throws InvalidDataException if the file is missing, unreadable or malformed; the message names it
     */
    public static Images readImages(Path file) {
        return (Images) read(file, true);
    }

    /**
     * Reads images from a stream, plain or gzip-compressed; the stream is read to its end but not closed.
     *
     * @param in the stream
     * @param source what to call the stream in messages (a file name or URL)
     * @return the images
     * @throws InvalidDataException if the data is unreadable or malformed; the message names the source
     */
    public static Images readImages(InputStream in, String source) {
        return (Images) read(in, source, -1, true);
    }

    /**
     * Reads a labels file ({@code idx1-ubyte}), plain or gzip-compressed.
     *
     * @param file the file
     * @return the labels, each in {@code [0, 255]}
     * @throws InvalidDataException if the file is missing, unreadable or malformed; the message names it
     */
    public static int[] readLabels(Path file) {
        return (int[]) read(file, false);
    }

    /**
     * Reads labels from a stream, plain or gzip-compressed; the stream is read to its end but not closed.
     *
     * @param in the stream
     * @param source what to call the stream in messages (a file name or URL)
     * @return the labels, each in {@code [0, 255]}
     * @throws InvalidDataException if the data is unreadable or malformed; the message names the source
     */
    public static int[] readLabels(InputStream in, String source) {
        return (int[]) read(in, source, -1, false);
    }

    /**
     * Reads an images file and a labels file into a dataset: each image becomes one row of
     * {@code height * width} features {@code byte / 255}.
     *
     * @param name the dataset's name
     * @param images the images file
     * @param labels the labels file
     * @param classes number of classes; every label must be below it
     * @return the dataset
     * @throws InvalidDataException if a file is missing or malformed, the counts differ or a label is
     *         {@code >= classes}
     */
    public static Dataset readDataset(String name, Path images, Path labels, int classes) {
        return toDataset(name, readImages(images), images.toString(), readLabels(labels), labels.toString(), classes);
    }

    /**
     * Pairs images with labels into a dataset: each image becomes one row of {@code height * width} features
     * {@code byte / 255}.
     *
     * @param name the dataset's name
     * @param images the images
     * @param imagesSource where the images came from, for messages
     * @param labels one label per image
     * @param labelsSource where the labels came from, for messages
     * @param classes number of classes, at least 1; every label must be below it
     * @return the dataset
     * @throws InvalidDataException if the counts differ or a label is outside {@code [0, classes)}
     */
    public static Dataset toDataset(String name, Images images, String imagesSource, int[] labels,
            String labelsSource, int classes) {
        if (images.count() != labels.length) {
            throw new InvalidDataException("Dataset '" + name + "': " + imagesSource + " holds " + images.count()
                    + " images but " + labelsSource + " holds " + labels.length + " labels; they must match");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new InvalidDataException("Dataset '" + name + "': " + labelsSource + ": label " + labels[i]
                        + " at index " + i + " is outside [0, " + classes + ")");
            }
        }
        byte[] px = images.pixels();
        float[] features = new float[px.length];
        for (int i = 0; i < px.length; i++) {
            // a correctly rounded division, so Math.round(f * 255) gives the byte back exactly
            features[i] = (px[i] & 0xFF) / 255f;
        }
        return Dataset.owning(name, features, images.count(), images.height() * images.width(), labels.clone(),
                classes);
    }

    /**
     * Writes images in IDX format, uncompressed (wrap the stream in a {@code GZIPOutputStream} for
     * {@code .gz}); the stream is flushed, not closed.
     *
     * @param out the destination
     * @param images the images
     * @throws IOException if writing fails
     */
    public static void writeImages(OutputStream out, Images images) throws IOException {
        out.write(header(IMAGES_MAGIC, images.count(), images.height(), images.width()));
        out.write(images.pixels());
        out.flush();
    }

    /**
     * Writes labels in IDX format, uncompressed; the stream is flushed, not closed.
     *
     * @param out the destination
     * @param labels the labels, each in {@code [0, 255]}, at least one
     * @throws IOException if writing fails
     * @throws InvalidDataException if there are no labels or a label does not fit in an unsigned byte
     */
    public static void writeLabels(OutputStream out, int[] labels) throws IOException {
        if (labels.length == 0) {
            throw new InvalidDataException("An IDX labels file needs at least one label");
        }
        byte[] data = new byte[labels.length];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] > 255) {
                throw new InvalidDataException("IDX labels are unsigned bytes; label " + labels[i] + " at index " + i
                        + " does not fit");
            }
            data[i] = (byte) labels[i];
        }
        out.write(header(LABELS_MAGIC, labels.length));
        out.write(data);
        out.flush();
    }

    private static byte[] header(int magic, int... dims) {
        byte[] h = new byte[4 * (dims.length + 1)];
        putInt(h, 0, magic);
        for (int i = 0; i < dims.length; i++) {
            putInt(h, 4 * (i + 1), dims[i]);
        }
        return h;
    }

    private static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    private static Object read(Path file, boolean images) {
        String source = file.toString();
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, source, Files.size(file), images);
        } catch (NoSuchFileException e) {
            throw new InvalidDataException(source + ": no such file", e);
        } catch (IOException e) {
            throw new InvalidDataException(source + ": cannot be read: " + e, e);
        }
    }

    /**
     * @param length the stream's length in bytes if known (a plain file), else -1; used only when the content is
     *        not gzip-compressed
     */
    private static Object read(InputStream raw, String source, long length, boolean images) {
        try {
            BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
            buffered.mark(2);
            int b0 = buffered.read();
            int b1 = buffered.read();
            buffered.reset();
            if (b0 == 0x1F && b1 == 0x8B) {
                return parse(new GZIPInputStream(buffered, 1 << 16), source + " (gzip)", -1, images);
            }
            return parse(buffered, source, length, images);
        } catch (InvalidDataException e) {
            throw e;
        } catch (IOException e) {
            // gzip damage (bad header, bad deflate data, CRC or length mismatch) and read errors
            throw new InvalidDataException(source + ": cannot be read as " + kind(images) + ": " + e, e);
        }
    }

    private static String kind(boolean images) {
        return images ? "IDX images (idx3-ubyte)" : "IDX labels (idx1-ubyte)";
    }

    private static Object parse(InputStream in, String source, long length, boolean images) throws IOException {
        int dimsCount = images ? 3 : 1;
        int headerBytes = 4 * (dimsCount + 1);
        byte[] header = new byte[headerBytes];
        int got = in.readNBytes(header, 0, headerBytes);
        if (got < 4) {
            throw new InvalidDataException(source + ": truncated: " + kind(images) + " start with a " + headerBytes
                    + "-byte header, found only " + got + " bytes");
        }
        int magic = getInt(header, 0);
        int expectedMagic = images ? IMAGES_MAGIC : LABELS_MAGIC;
        if (magic != expectedMagic) {
            String hint = magic == (images ? LABELS_MAGIC : IMAGES_MAGIC)
                    ? " (that is " + kind(!images) + ": were the images and labels files swapped?)"
                    : "";
            throw new InvalidDataException(String.format("%s: bad magic number 0x%08x, expected 0x%08x for %s%s",
                    source, magic, expectedMagic, kind(images), hint));
        }
        if (got < headerBytes) {
            throw new InvalidDataException(source + ": truncated: " + kind(images) + " start with a " + headerBytes
                    + "-byte header, found only " + got + " bytes");
        }
        String[] dimNames = images ? new String[] {"image count", "height", "width"} : new String[] {"label count"};
        long total = 1;
        int[] dims = new int[dimsCount];
        for (int i = 0; i < dimsCount; i++) {
            dims[i] = getInt(header, 4 * (i + 1));
            if (dims[i] < 1) {
                throw new InvalidDataException(source + ": header declares " + dimNames[i] + " "
                        + Integer.toUnsignedString(dims[i]) + "; it must be between 1 and " + Integer.MAX_VALUE);
            }
            // dims are below 2^31 and total stays at most MAX_ARRAY, so this product never overflows a long
            total *= dims[i];
            if (total > Dataset.MAX_ARRAY) {
                throw new InvalidDataException(source + ": header declares " + describe(dims, images, i + 1)
                        + ", more than the " + Dataset.MAX_ARRAY + " bytes a Java array can hold");
            }
        }
        String what = describe(dims, images, dimsCount);
        if (length >= 0) {
            long present = length - headerBytes;
            if (present != total) {
                throw new InvalidDataException(source + ": " + (present < total ? "truncated" : "trailing data")
                        + ": expected " + total + " bytes of data (" + what + ") after the " + headerBytes
                        + "-byte header, found " + present);
            }
        }
        byte[] data = readExactly(in, (int) total, source, what, headerBytes);
        if (in.read() != -1) {
            throw new InvalidDataException(source + ": trailing data: expected exactly " + total + " bytes of data ("
                    + what + ") after the " + headerBytes + "-byte header, but more follow");
        }
        if (images) {
            return new Images(dims[0], dims[1], dims[2], data);
        }
        int[] labels = new int[data.length];
        for (int i = 0; i < data.length; i++) {
            labels[i] = data[i] & 0xFF;
        }
        return labels;
    }

    private static String describe(int[] dims, boolean images, int known) {
        if (!images) {
            return dims[0] + " labels";
        }
        if (known == 1) {
            return dims[0] + " images";
        }
        if (known == 2) {
            return dims[0] + " images of height " + dims[1];
        }
        return dims[0] + " images of " + dims[1] + "x" + dims[2];
    }

    /**
     * Reads exactly n bytes. The array is allocated in chunks as data arrives, so a header that lies about its size
     * fails on the missing bytes, never on an allocation of the claimed size.
     */
    private static byte[] readExactly(InputStream in, int n, String source, String what, int headerBytes)
            throws IOException {
        if (n <= CHUNK) {
            byte[] out = new byte[n];
            int got = in.readNBytes(out, 0, n);
            if (got < n) {
                throw truncated(source, n, got, what, headerBytes);
            }
            return out;
        }
        List<byte[]> chunks = new ArrayList<>();
        long got = 0;
        while (got < n) {
            int len = (int) Math.min(CHUNK, n - got);
            byte[] chunk = new byte[len];
            int r = in.readNBytes(chunk, 0, len);
            got += r;
            if (r < len) {
                throw truncated(source, n, got, what, headerBytes);
            }
            chunks.add(chunk);
        }
        byte[] out = new byte[n];
        int off = 0;
        for (byte[] c : chunks) {
            System.arraycopy(c, 0, out, off, c.length);
            off += c.length;
        }
        return out;
    }

    private static InvalidDataException truncated(String source, long expected, long found, String what,
            int headerBytes) {
        return new InvalidDataException(source + ": truncated: expected " + expected + " bytes of data (" + what
                + ") after the " + headerBytes + "-byte header, found " + found);
    }

    private static int getInt(byte[] b, int off) {
        return (b[off] & 0xFF) << 24 | (b[off + 1] & 0xFF) << 16 | (b[off + 2] & 0xFF) << 8 | (b[off + 3] & 0xFF);
    }
}
