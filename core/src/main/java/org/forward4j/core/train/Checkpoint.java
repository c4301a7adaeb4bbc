package org.forward4j.core.train;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
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
    /** File name of the newest checkpoint in a checkpoint directory. */
    public static final String LATEST = "checkpoint-latest.bin";
    /** File name of the one before it. */
    public static final String PREVIOUS = "checkpoint-previous.bin";

    /**
     * Writes this checkpoint into a directory atomically (see the class comment).
     *
     * @param dir the checkpoint directory (created if needed)
     */
    public void save(Path dir) {
        try {
            Files.createDirectories(dir);
            byte[] payload = payload();
            ByteBuffer file = ByteBuffer.allocate(MAGIC.length + 4 + 8 + payload.length + 32);
            file.put(MAGIC).putInt(VERSION).putLong(payload.length).put(payload).put(sha256(payload));
            Path tmp = dir.resolve("checkpoint-" + step + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                file.flip();
                while (file.hasRemaining()) {
                    ch.write(file);
                }
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
            throw new UncheckedIOException("Could not write a checkpoint to " + dir.toAbsolutePath() + ": "
                    + e.getMessage(), e);
        }
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
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new InvalidDataException("Checkpoint " + file + " does not exist");
        } catch (IOException e) {
            throw new InvalidDataException("Checkpoint " + file + " cannot be read: " + e.getMessage(), e);
        }
        int header = MAGIC.length + 4 + 8;
        if (bytes.length < header + 32 || !Arrays.equals(Arrays.copyOf(bytes, MAGIC.length), MAGIC)) {
            throw new InvalidDataException("Checkpoint " + file + " is not a forward4j checkpoint (bad magic or only "
                    + bytes.length + " bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        b.position(MAGIC.length);
        int version = b.getInt();
        if (version != VERSION) {
            throw new InvalidDataException("Checkpoint " + file + " has format version " + version + "; this forward4j "
                    + "reads version " + VERSION);
        }
        long length = b.getLong();
        if (length != bytes.length - header - 32L) {
            throw new InvalidDataException("Checkpoint " + file + " is truncated or padded: header says " + length
                    + " payload bytes, file holds " + (bytes.length - header - 32));
        }
        byte[] payload = Arrays.copyOfRange(bytes, header, header + (int) length);
        byte[] sum = Arrays.copyOfRange(bytes, header + (int) length, bytes.length);
        if (!Arrays.equals(sum, sha256(payload))) {
            throw new InvalidDataException("Checkpoint " + file + " is corrupt: its SHA-256 checksum does not match");
        }
        try {
            return parse(payload);
        } catch (IOException | RuntimeException e) {
            throw new InvalidDataException("Checkpoint " + file + " passed its checksum but cannot be parsed: " + e, e);
        }
    }

    private byte[] payload() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(buf);
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
        out.flush();
        return buf.toByteArray();
    }

    private static Checkpoint parse(byte[] payload) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload));
        long step = in.readLong();
        long tq = in.readLong();
        long eq = in.readLong();
        long skipped = in.readLong();
        double wall = in.readDouble();
        double lossSum = in.readDouble();
        long lossCount = in.readLong();
        float[] params = readFloats(in, payload.length);
        float[] opt = readFloats(in, payload.length);
        Map<String, double[]> alloc = readState(in, payload.length);
        Map<String, double[]> est = readState(in, payload.length);
        int n = count(in, payload.length / 12);
        Map<Integer, Double> prev = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            prev.put(in.readInt(), in.readDouble());
        }
        int r = count(in, payload.length / 44);
        List<EvalRecord> records = new ArrayList<>();
        for (int i = 0; i < r; i++) {
            records.add(new EvalRecord(in.readInt(), in.readLong(), in.readLong(), in.readDouble(), in.readDouble(),
                    in.readDouble(), in.readDouble()));
        }
        int c = count(in, payload.length / 4);
        Map<String, String> config = new TreeMap<>();
        for (int i = 0; i < c; i++) {
            config.put(in.readUTF(), in.readUTF());
        }
        if (in.available() != 0) {
            throw new EOFException(in.available() + " unexpected trailing bytes");
        }
        return new Checkpoint(step, tq, eq, skipped, wall, lossSum, lossCount, params, opt, alloc, est, prev, records,
                config);
    }

    private static void writeFloats(DataOutputStream out, float[] v) throws IOException {
        out.writeInt(v.length);
        for (float x : v) {
            out.writeFloat(x);
        }
    }

    private static float[] readFloats(DataInputStream in, int limit) throws IOException {
        float[] v = new float[count(in, limit / 4)];
        for (int i = 0; i < v.length; i++) {
            v[i] = in.readFloat();
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

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
