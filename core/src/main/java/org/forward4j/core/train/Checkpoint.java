package org.forward4j.core.train;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FilterOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.forward4j.plugin.InvalidDataException;

/**
 * Everything needed to continue a run bit-identically: parameters, optimiser state, allocator and estimator state,
 * per-point history, counters and the records so far.
 *
 * <p>File format: the magic {@code F4JCKPT1}, a format version, the payload length, the payload, and the SHA-256 of
 * the payload. A file whose magic, length or checksum does not match is rejected whole. {@link #save} writes a
 * temporary file, forces it to disk, moves the previous {@code latest} to {@code previous} and renames the new file
 * to {@code latest}, so a good checkpoint exists at every moment; {@link #loadLatest} falls back to
 * {@code previous} when {@code latest} is missing or corrupt.
 *
 * @param step steps done
 * @param trainingQueries queries spent so far
 * @param evaluationQueries evaluation queries so far
 * @param skippedSteps steps skipped for non-finite losses
 * @param wallSeconds training wall time so far
 * @param lossSum sum of per-point mean losses since the last record
 * @param lossCount points in {@code lossSum}
 * @param parameters the parameters
 * @param optimizerState the optimiser's state (for example Adam's moments)
 * @param allocatorState the allocator's {@code saveState()}
 * @param estimatorState the estimator's {@code saveState()}
 * @param previousLoss each point's mean loss at its last visit (for proxy=previous)
 * @param records evaluation records so far
 * @param config the configuration the run was started with (checked on resume)
 */
public record Checkpoint(long step, long trainingQueries, long evaluationQueries, long skippedSteps, double wallSeconds,
                         double lossSum, long lossCount, float[] parameters, float[] optimizerState,
                         Map<String, double[]> allocatorState, Map<String, double[]> estimatorState,
                         Map<Integer, Double> previousLoss, List<EvalRecord> records, Map<String, String> config) {

    private static final byte[] MAGIC = "F4JCKPT1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    /** Magic, version and payload length. */
    private static final int HEADER = 8 + 4 + 8;
    /** Floats per write or read of a parameter array: the whole of the I/O buffer a checkpoint needs. */
    private static final int FLOAT_CHUNK = 16384;
    /** File name of the newest checkpoint in a checkpoint directory. */
    public static final String LATEST = "checkpoint-latest.bin";
    /** File name of the one before it. */
    public static final String PREVIOUS = "checkpoint-previous.bin";

    /**
     * Writes this checkpoint into a directory atomically (see the class comment). The file is written streaming,
     * through a bounded buffer: heap use does not grow with the model, so a model that fits in memory can always be
     * checkpointed.
     *
     * @param dir the checkpoint directory (created if needed)
     * @throws UncheckedIOException naming the directory and the cause (permissions, a full disk, ...); the previous
     *     checkpoints are left as they were
     */
    public void save(Path dir) {
        Path tmp = dir.resolve("checkpoint-" + step + ".tmp");
        try {
            Files.createDirectories(dir);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer head = ByteBuffer.allocate(HEADER).put(MAGIC).putInt(VERSION).putLong(0L);
                head.flip();
                writeFully(ch, head);
                MessageDigest sha = sha256();
                CountingOutputStream counted = new CountingOutputStream(new DigestOutputStream(
                        Channels.newOutputStream(ch), sha));
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(counted, 1 << 16));
                writePayload(out);
                out.flush();
                writeFully(ch, ByteBuffer.wrap(sha.digest()));
                ByteBuffer length = ByteBuffer.allocate(8).putLong(counted.count);
                length.flip();
                ch.write(length, MAGIC.length + 4);
                ch.force(true);
            }
            Path latest = dir.resolve(LATEST);
            if (Files.exists(latest)) {
                Files.move(latest, dir.resolve(PREVIOUS), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, latest, StandardCopyOption.ATOMIC_MOVE);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException ignored) {
                // some file systems cannot sync a directory; the rename itself is atomic
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the next run on this directory removes stale temporary files
            }
            throw new UncheckedIOException("Could not write a checkpoint to " + dir.toAbsolutePath() + ": "
                    + describe(e), e);
        }
    }

    /** An exception's message with its type where the message alone says little (for example a bare path). */
    static String describe(IOException e) {
        String type = e.getClass().getSimpleName();
        String why = switch (type) {
            case "AccessDeniedException" -> "permission denied";
            case "NoSuchFileException" -> "no such file or directory";
            case "FileSystemException" -> e.getMessage();
            default -> e.getMessage();
        };
        return (e.getMessage() != null && !type.equals("FileSystemException") && !why.equals(e.getMessage())
                ? why + " (" + e.getMessage() + ")" : why);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Counts the bytes that pass, for the payload length written into the header afterwards. */
    private static final class CountingOutputStream extends FilterOutputStream {
        private long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }

    /**
     * Deletes the temporary files ({@code checkpoint-*.tmp}) an interrupted {@link #save} left in a directory (a
     * kill or a full disk between writing and renaming). Failures to delete are ignored: a stale file only takes
     * space.
     *
     * @param dir the checkpoint directory (need not exist)
     * @return how many files were removed
     */
    public static int removeStaleTemporaries(Path dir) {
        int removed = 0;
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (java.nio.file.DirectoryStream<Path> stale = Files.newDirectoryStream(dir, "checkpoint-*.tmp")) {
            for (Path f : stale) {
                try {
                    Files.deleteIfExists(f);
                    removed++;
                } catch (IOException e) {
                    // leave it; it does no harm
                }
            }
        } catch (IOException e) {
            // an unreadable directory fails the first save with a clear message instead
        }
        return removed;
    }

    /**
     * Reads the newest valid checkpoint of a directory: {@code latest}, or {@code previous} if {@code latest} is
     * missing or corrupt.
     *
     * @param dir the checkpoint directory
     * @param warnings receives a message for each rejected file
     * @return the checkpoint
     * @throws InvalidDataException if no valid checkpoint exists, naming every file and why it was rejected
     */
    public static Checkpoint loadLatest(Path dir, List<String> warnings) {
        List<String> reasons = new ArrayList<>();
        for (String name : new String[] {LATEST, PREVIOUS}) {
            Path f = dir.resolve(name);
            try {
                return read(f);
            } catch (InvalidDataException e) {
                reasons.add(e.getMessage());
                warnings.add(e.getMessage() + (name.equals(LATEST) ? "; trying " + PREVIOUS : ""));
            }
        }
        throw new InvalidDataException("No valid checkpoint in " + dir.toAbsolutePath() + ": "
                + String.join("; ", reasons) + ". Start without --resume, or point --output at the run's directory");
    }

    /**
     * Reads and verifies one checkpoint file.
     *
     * @param file the file
     * @return the checkpoint
     * @throws InvalidDataException if the file is missing, truncated, of another format or fails its checksum
     */
    public static Checkpoint read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer head = ByteBuffer.allocate(HEADER);
            while (head.hasRemaining() && ch.read(head) >= 0) {
                // fill the header
            }
            head.flip();
            byte[] magic = new byte[MAGIC.length];
            if (head.remaining() < HEADER || size < HEADER + 32L || !Arrays.equals(get(head, magic), MAGIC)) {
                throw new InvalidDataException("Checkpoint " + file + " is not a forward4j checkpoint (bad magic or only "
                        + size + " bytes)");
            }
            int version = head.getInt();
            if (version != VERSION) {
                throw new InvalidDataException("Checkpoint " + file + " has format version " + version + "; this "
                        + "forward4j reads version " + VERSION);
            }
            long length = head.getLong();
            if (length != size - HEADER - 32L) {
                throw new InvalidDataException("Checkpoint " + file + " is truncated or padded: header says " + length
                        + " payload bytes, file holds " + (size - HEADER - 32));
            }
            MessageDigest sha = sha256();
            InputStream payload = new DigestInputStream(new java.io.BufferedInputStream(
                    new LimitedInputStream(Channels.newInputStream(ch), length), 1 << 16), sha);
            Checkpoint c;
            try {
                c = parse(new DataInputStream(payload), length);
            } catch (IOException | RuntimeException e) {
                // a parse failure of a file whose checksum fails is corruption, not a format problem
                payload.transferTo(OutputStream.nullOutputStream());
                ByteBuffer sum = ByteBuffer.allocate(32);
                ch.read(sum, HEADER + length);
                if (!Arrays.equals(sum.array(), sha.digest())) {
                    throw new InvalidDataException("Checkpoint " + file + " is corrupt: its SHA-256 checksum does not "
                            + "match");
                }
                throw new InvalidDataException("Checkpoint " + file + " passed its checksum but cannot be parsed: " + e,
                        e);
            }
            ByteBuffer sum = ByteBuffer.allocate(32);
            while (sum.hasRemaining() && ch.read(sum, HEADER + length + sum.position()) > 0) {
                // read the digest
            }
            if (!Arrays.equals(sum.array(), sha.digest())) {
                throw new InvalidDataException("Checkpoint " + file + " is corrupt: its SHA-256 checksum does not match");
            }
            return c;
        } catch (NoSuchFileException e) {
            throw new InvalidDataException("Checkpoint " + file + " does not exist");
        } catch (IOException e) {
            throw new InvalidDataException("Checkpoint " + file + " cannot be read: " + describe(e), e);
        }
    }

    private static byte[] get(ByteBuffer b, byte[] into) {
        b.get(into);
        return into;
    }

    /** Ends after {@code limit} bytes, so that the payload parser cannot run into the trailing checksum. */
    private static final class LimitedInputStream extends java.io.FilterInputStream {
        private long left;

        LimitedInputStream(InputStream in, long limit) {
            super(in);
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            left -= b < 0 ? 0 : 1;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            left -= Math.max(n, 0);
            return n;
        }
    }

    private void writePayload(DataOutputStream out) throws IOException {
        out.writeLong(step);
        out.writeLong(trainingQueries);
        out.writeLong(evaluationQueries);
        out.writeLong(skippedSteps);
        out.writeDouble(wallSeconds);
        out.writeDouble(lossSum);
        out.writeLong(lossCount);
        writeFloats(out, parameters);
        writeFloats(out, optimizerState);
        writeState(out, allocatorState);
        writeState(out, estimatorState);
        out.writeInt(previousLoss.size());
        for (Map.Entry<Integer, Double> e : new TreeMap<>(previousLoss).entrySet()) {
            out.writeInt(e.getKey());
            out.writeDouble(e.getValue());
        }
        out.writeInt(records.size());
        for (EvalRecord r : records) {
            out.writeInt(r.epoch());
            out.writeLong(r.step());
            out.writeLong(r.queries());
            out.writeDouble(r.trainLoss());
            out.writeDouble(r.testLoss());
            out.writeDouble(r.testAccuracy());
            out.writeDouble(r.wallSeconds());
        }
        out.writeInt(config.size());
        for (Map.Entry<String, String> e : new TreeMap<>(config).entrySet()) {
            out.writeUTF(e.getKey());
            out.writeUTF(e.getValue());
        }
    }

    private static Checkpoint parse(DataInputStream in, long payloadLength) throws IOException {
        int limit = (int) Math.min(Integer.MAX_VALUE, payloadLength);
        long step = in.readLong();
        long tq = in.readLong();
        long eq = in.readLong();
        long skipped = in.readLong();
        double wall = in.readDouble();
        double lossSum = in.readDouble();
        long lossCount = in.readLong();
        float[] params = readFloats(in, limit);
        float[] opt = readFloats(in, limit);
        Map<String, double[]> alloc = readState(in, limit);
        Map<String, double[]> est = readState(in, limit);
        int n = count(in, limit / 12);
        Map<Integer, Double> prev = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            prev.put(in.readInt(), in.readDouble());
        }
        int r = count(in, limit / 44);
        List<EvalRecord> records = new ArrayList<>();
        for (int i = 0; i < r; i++) {
            records.add(new EvalRecord(in.readInt(), in.readLong(), in.readLong(), in.readDouble(), in.readDouble(),
                    in.readDouble(), in.readDouble()));
        }
        int c = count(in, limit / 4);
        Map<String, String> config = new TreeMap<>();
        for (int i = 0; i < c; i++) {
            config.put(in.readUTF(), in.readUTF());
        }
        if (in.read() >= 0) {
            throw new EOFException("unexpected trailing bytes");
        }
        return new Checkpoint(step, tq, eq, skipped, wall, lossSum, lossCount, params, opt, alloc, est, prev, records,
                config);
    }

    /** Floats in chunks of a bounded buffer, big-endian as {@link DataOutputStream#writeFloat} writes them. */
    private static void writeFloats(DataOutputStream out, float[] v) throws IOException {
        out.writeInt(v.length);
        ByteBuffer chunk = ByteBuffer.allocate(FLOAT_CHUNK * Float.BYTES);
        for (int from = 0; from < v.length; from += FLOAT_CHUNK) {
            int n = Math.min(FLOAT_CHUNK, v.length - from);
            chunk.clear();
            chunk.asFloatBuffer().put(v, from, n);
            out.write(chunk.array(), 0, n * Float.BYTES);
        }
    }

    private static float[] readFloats(DataInputStream in, int limit) throws IOException {
        float[] v = new float[count(in, limit / 4)];
        byte[] chunk = new byte[FLOAT_CHUNK * Float.BYTES];
        for (int from = 0; from < v.length; from += FLOAT_CHUNK) {
            int n = Math.min(FLOAT_CHUNK, v.length - from);
            in.readFully(chunk, 0, n * Float.BYTES);
            ByteBuffer.wrap(chunk, 0, n * Float.BYTES).asFloatBuffer().get(v, from, n);
        }
        return v;
    }

    private static void writeState(DataOutputStream out, Map<String, double[]> state) throws IOException {
        out.writeInt(state.size());
        for (Map.Entry<String, double[]> e : new TreeMap<>(state).entrySet()) {
            out.writeUTF(e.getKey());
            out.writeInt(e.getValue().length);
            for (double x : e.getValue()) {
                out.writeDouble(x);
            }
        }
    }

    private static Map<String, double[]> readState(DataInputStream in, int limit) throws IOException {
        int n = count(in, limit);
        Map<String, double[]> m = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String k = in.readUTF();
            double[] v = new double[count(in, limit / 8)];
            for (int j = 0; j < v.length; j++) {
                v[j] = in.readDouble();
            }
            m.put(k, v);
        }
        return m;
    }

    /** Reads a count and rejects values the payload cannot hold (no huge allocations from a bad length). */
    private static int count(DataInputStream in, int max) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > max) {
            throw new EOFException("count " + n + " exceeds what the payload can hold");
        }
        return n;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
