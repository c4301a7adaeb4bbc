package org.forward4j.datasets;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.GZIPOutputStream;

/** Builds small IDX files in memory for tests. */
final class IdxFiles {

    private IdxFiles() {
    }

    /** {@code count} images of {@code h x w} with pixel {@code (31 * index + 7) mod 256}. */
    static Idx.Images images(int count, int h, int w) {
        byte[] px = new byte[count * h * w];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (31 * i + 7);
        }
        return new Idx.Images(count, h, w, px);
    }

    /** Labels {@code i mod classes}. */
    static int[] labels(int count, int classes) {
        int[] l = new int[count];
        for (int i = 0; i < count; i++) {
            l[i] = i % classes;
        }
        return l;
    }

    static byte[] imagesBytes(Idx.Images images) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            Idx.writeImages(out, images);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] labelsBytes(int[] labels) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            Idx.writeLabels(out, labels);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] gzip(byte[] plain) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(plain);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A big-endian header: magic then dims. */
    static byte[] header(int magic, int... dims) {
        byte[] h = new byte[4 * (dims.length + 1)];
        int[] all = new int[dims.length + 1];
        all[0] = magic;
        System.arraycopy(dims, 0, all, 1, dims.length);
        for (int i = 0; i < all.length; i++) {
            h[4 * i] = (byte) (all[i] >>> 24);
            h[4 * i + 1] = (byte) (all[i] >>> 16);
            h[4 * i + 2] = (byte) (all[i] >>> 8);
            h[4 * i + 3] = (byte) all[i];
        }
        return h;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
