package org.forward4j.core.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors container (https://huggingface.co/docs/safetensors): an unsigned 64-bit little-endian header
 * length {@code N}, {@code N} bytes of UTF-8 JSON (padded with spaces so the data starts at a multiple of 8), then
 * the tensors' raw little-endian bytes. The header maps each tensor name to
 * {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets relative to the first data byte) and may carry
 * {@code "__metadata__"}, a map of strings to strings.
 *
 * <p>Tensors move between the file and a flat {@code float[]} through one buffer of {@value #BUFFER_BYTES} bytes,
 * never through an array of the model's size, so writing or reading a model needs no memory beyond its parameters.
 *
 * <p>Problems with a file are reported as {@link IllegalArgumentException}s whose message says what is wrong; the
 * caller adds the file's name.
 */
final class SafeTensors {

    /** The key of the string-to-string metadata map in the header. */
    static final String METADATA = "__metadata__";

    /** The element type forward4j stores: IEEE-754 binary32, little-endian. */
    static final String F32 = "F32";

    /** The largest header accepted, as in the reference implementation: anything larger is a damaged length. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /** Bytes moved per read or write call (a multiple of 4, so a float never straddles two calls). */
    static final int BUFFER_BYTES = 1 << 16;

    private SafeTensors() {
    }

    /**
     * One tensor's header entry.
     *
     * @param name the tensor name
     * @param dtype the element type, e.g. {@code F32}
     * @param shape the dimensions
     * @param begin first data byte, relative to the end of the header
     * @param end one past the last data byte
     */
    record Entry(String name, String dtype, long[] shape, long begin, long end) {
    }

    /**
     * A parsed header.
     *
     * @param length {@code N}, the header's length in bytes (the data starts at {@code 8 + N})
     * @param metadata the {@code __metadata__} map in file order (empty when absent)
     * @param hasMetadata whether the header had a {@code __metadata__} entry at all
     * @param tensors the tensor entries in file order, by name
     */
    record Header(long length, Map<String, String> metadata, boolean hasMetadata, Map<String, Entry> tensors) {

        /**
         * Where the data starts in the file.
         *
         * @return {@code 8 + N}
         */
        long dataStart() {
            return 8 + length;
        }
    }

    /**
     * The header bytes for tensors stored in the given order, contiguously, as F32.
     *
     * @param metadata the {@code __metadata__} map, written in its iteration order
     * @param tensors the tensors
     * @return the UTF-8 JSON, padded with spaces so that {@code 8 + length} is a multiple of 8
     */
    static byte[] header(Map<String, String> metadata, List<Architecture.Tensor> tensors) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode meta = root.putObject(METADATA);
        metadata.forEach(meta::put);
        long offset = 0;
        for (Architecture.Tensor t : tensors) {
            ObjectNode e = root.putObject(t.name());
            e.put("dtype", F32);
            ArrayNode shape = e.putArray("shape");
            for (long s : t.shape()) {
                shape.add(s);
            }
            long end = offset + 4L * t.elements();
            e.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = Json.MAPPER.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a safetensors header", e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /**
     * Writes the length prefix and the header at the channel's position.
     *
     * @param ch the channel
     * @param header the bytes of {@link #header}
     * @throws IOException if writing fails
     */
    static void writeHeader(FileChannel ch, byte[] header) throws IOException {
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
        writeFully(ch, len.flip());
        writeFully(ch, ByteBuffer.wrap(header));
    }

    /**
     * Writes {@code n} floats little-endian at the channel's position through {@code buf}.
     *
     * @param ch the channel
     * @param values the source
     * @param off the first value
     * @param n how many
     * @param buf a little-endian buffer of {@link #BUFFER_BYTES} bytes, reused between calls
     * @throws IOException if writing fails
     */
    static void writeFloats(FileChannel ch, float[] values, int off, int n, ByteBuffer buf) throws IOException {
        int done = 0;
        while (done < n) {
            int k = Math.min(n - done, buf.capacity() / 4);
            buf.clear();
            buf.asFloatBuffer().put(values, off + done, k);
            buf.limit(4 * k);
            writeFully(ch, buf);
            done += k;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /**
     * Reads and checks the header: length prefix within the file and within {@link #MAX_HEADER_BYTES}, JSON
     * starting with '{', an object whose metadata maps strings to strings and whose other entries have exactly a
     * string {@code dtype}, a {@code shape} of non-negative integers and two ordered non-negative
     * {@code data_offsets}. Whether the offsets fit together is checked by {@link #checkLayout}.
     *
     * @param ch the file, read from position 0
     * @param size the file's size in bytes
     * @return the header
     * @throws IOException if reading fails
     * @throws IllegalArgumentException naming the first problem found
     */
    static Header readHeader(FileChannel ch, long size) throws IOException {
        if (size < 8) {
            throw new IllegalArgumentException("it is " + size + " bytes long, too short for a safetensors file "
                    + "(an 8-byte header length, the header, the data)");
        }
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, len, 0);
        long n = len.flip().getLong();
        if (n < 2 || n > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("its first 8 bytes declare a header of " + Long.toUnsignedString(n)
                    + " bytes, outside the 2 to " + MAX_HEADER_BYTES + " bytes of a safetensors header: it is not a "
                    + "safetensors file or it is damaged");
        }
        if (n > size - 8) {
            throw new IllegalArgumentException("it declares a header of " + n + " bytes but only " + (size - 8)
                    + " bytes follow the length: the file is truncated");
        }
        ByteBuffer bytes = ByteBuffer.allocate((int) n);
        readFully(ch, bytes, 8);
        byte[] json = bytes.array();
        if (json[0] != '{') {
            throw new IllegalArgumentException("its header does not start with '{': it is not a safetensors file or "
                    + "it is damaged");
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("its header is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (at byte " + (8 + e.getLocation().getByteOffset()) + ")"));
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("its header is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        boolean hasMetadata = false;
        Map<String, Entry> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> f : root.properties()) {
            if (f.getKey().equals(METADATA)) {
                hasMetadata = true;
                metadata(f.getValue(), metadata);
            } else {
                tensors.put(f.getKey(), entry(f.getKey(), f.getValue()));
            }
        }
        return new Header(n, Collections.unmodifiableMap(metadata), hasMetadata, tensors);
    }

    private static void metadata(JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            throw new IllegalArgumentException("its header's " + METADATA + " is not a JSON object of strings");
        }
        for (Map.Entry<String, JsonNode> m : node.properties()) {
            if (!m.getValue().isTextual()) {
                throw new IllegalArgumentException("its header's " + METADATA + " entry \"" + m.getKey()
                        + "\" is " + m.getValue().getNodeType().name().toLowerCase(java.util.Locale.ROOT)
                        + ", not a string (safetensors metadata maps strings to strings)");
            }
            out.put(m.getKey(), m.getValue().textValue());
        }
    }

    private static Entry entry(String name, JsonNode node) {
        String where = "the header entry of tensor \"" + name + "\"";
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + " is not a JSON object");
        }
        for (Iterator<String> keys = node.fieldNames(); keys.hasNext(); ) {
            String k = keys.next();
            if (!k.equals("dtype") && !k.equals("shape") && !k.equals("data_offsets")) {
                throw new IllegalArgumentException(where + " has the unknown field \"" + k
                        + "\" (a tensor has dtype, shape and data_offsets)");
            }
        }
        JsonNode dtype = node.get("dtype");
        if (dtype == null || !dtype.isTextual()) {
            throw new IllegalArgumentException(where + " has no \"dtype\" string");
        }
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new IllegalArgumentException(where + " has no \"shape\" array");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegative(shapeNode.get(i), where + " has the shape " + shapeNode
                    + ": dimensions must be non-negative integers");
        }
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
            throw new IllegalArgumentException(where + " has no \"data_offsets\" pair [begin, end]");
        }
        String bad = where + " has data_offsets " + offsets + ": they must be two non-negative integers, begin <= end";
        long begin = nonNegative(offsets.get(0), bad);
        long end = nonNegative(offsets.get(1), bad);
        if (begin > end) {
            throw new IllegalArgumentException(bad);
        }
        return new Entry(name, dtype.textValue(), shape, begin, end);
    }

    private static long nonNegative(JsonNode v, String message) {
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
            throw new IllegalArgumentException(message);
        }
        return v.longValue();
    }

    /**
     * Checks that the tensors' bytes tile the data section as the format requires: sorted by offset they start at 0,
     * each begins where the previous ends (no gap, no overlap), each spans its shape's bytes, and the file ends
     * where the last one does.
     *
     * @param header the header
     * @param bytesPerElement the element size of every tensor (callers check the dtypes first)
     * @param fileSize the file's size
     * @throws IllegalArgumentException naming the first tensor that does not fit, or the size mismatch
     */
    static void checkLayout(Header header, int bytesPerElement, long fileSize) {
        List<Entry> byOffset = new ArrayList<>(header.tensors().values());
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        String previous = null;
        for (Entry e : byOffset) {
            if (e.begin() != expected) {
                throw new IllegalArgumentException("the data of tensor \"" + e.name() + "\" starts at byte " + e.begin()
                        + (previous == null ? " instead of 0" : " but tensor \"" + previous + "\" ends at byte "
                        + expected) + ": tensors must tile the data section without gaps or overlaps");
            }
            long elements = 1;
            try {
                for (long s : e.shape()) {
                    elements = Math.multiplyExact(elements, s);
                }
                Math.multiplyExact(elements, bytesPerElement);
            } catch (ArithmeticException overflow) {
                throw new IllegalArgumentException("tensor \"" + e.name() + "\" has the impossible shape "
                        + Arrays.toString(e.shape()) + " (more bytes than a file can hold)");
            }
            if (e.end() - e.begin() != elements * bytesPerElement) {
                throw new IllegalArgumentException("tensor \"" + e.name() + "\" spans bytes " + e.begin() + ".."
                        + e.end() + " (" + (e.end() - e.begin()) + " bytes) but its shape "
                        + Arrays.toString(e.shape()) + " of " + e.dtype() + " needs " + elements * bytesPerElement
                        + " bytes");
            }
            expected = e.end();
            previous = e.name();
        }
        long total = header.dataStart() + expected;
        if (fileSize < total) {
            throw new IllegalArgumentException("the file is truncated: its header describes " + total + " bytes but "
                    + "it holds " + fileSize);
        }
        if (fileSize > total) {
            throw new IllegalArgumentException("it has " + (fileSize - total) + " bytes after its last tensor (the "
                    + "header describes " + total + " bytes, the file holds " + fileSize + ")");
        }
    }

    /**
     * Reads {@code n} little-endian floats at a file position into {@code dst} through {@code buf}.
     *
     * @param ch the file
     * @param position the first byte
     * @param dst the destination
     * @param off the first destination index
     * @param n how many floats
     * @param buf a little-endian buffer of {@link #BUFFER_BYTES} bytes, reused between calls
     * @throws IOException if reading fails or the file ends early (it changed after its size was checked)
     */
    static void readFloats(FileChannel ch, long position, float[] dst, int off, int n, ByteBuffer buf)
            throws IOException {
        int done = 0;
        while (done < n) {
            int k = Math.min(n - done, buf.capacity() / 4);
            buf.clear().limit(4 * k);
            readFully(ch, buf, position + 4L * done);
            buf.flip();
            buf.asFloatBuffer().get(dst, off + done, k);
            done += k;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            int r = ch.read(b, p);
            if (r < 0) {
                throw new EOFException("the file ended at byte " + p + " while reading it (did it change?)");
            }
            p += r;
        }
    }
}
