package org.forward4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.forward4j.core.train.Checkpoint;
import org.forward4j.plugin.InvalidConfigurationException;

/**
 * A run's output directory, checked and locked before any training: it must be a directory this process can write,
 * not hold another run (unless the user asks to resume it or to overwrite it), and not be in use by another run at
 * the same time. The lock is an exclusive file lock on {@code .forward4j.lock}, held until {@link #close()} (the
 * operating system releases it when the process dies, so a killed run never leaves the directory locked); the lock
 * file names its holder, so the second run's message says who has it.
 *
 * <p>Public so that commands in sub-packages ({@code finetune}) write their outputs under the same rules; they name
 * the files that mark their own kind of run.
 */
public final class RunDirectory implements AutoCloseable {

    /** The lock file's name. */
    static final String LOCK = ".forward4j.lock";
    /** Files a run writes; their presence means the directory holds a run. */
    static final List<String> RUN_FILES = List.of("result.json", "metrics.csv", "model.safetensors", "checkpoints");

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;
    private final List<String> markers;

    private RunDirectory(Path dir, FileChannel channel, FileLock lock, List<String> markers) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
        this.markers = markers;
    }

    /**
     * Prepares an output directory for a run.
     *
     * @param dir the directory (created if missing)
     * @param resume true when the run continues the directory's run (its files are expected)
     * @param overwrite true when the user asked to replace a run the directory holds
     * @return the locked directory
     * @throws InvalidConfigurationException if the path is a file, holds another run, or is in use
     * @throws UncheckedIOException if it cannot be created or written (permissions, a read-only file system)
     */
    static RunDirectory open(Path dir, boolean resume, boolean overwrite) {
        return open(dir, resume, overwrite, RUN_FILES);
    }

    /**
     * Prepares an output directory for a run whose outputs are other files than a training run's, so that a second
     * run of that kind is refused (or replaced with {@code overwrite}) just like a second training run.
     *
     * @param dir the directory (created if missing)
     * @param overwrite true when the user asked to replace a run the directory holds
     * @param runFiles the names (files or folders) whose presence means the directory holds such a run; they are
     *     removed on {@code overwrite}
     * @return the locked directory; close it when the run ends
     * @throws InvalidConfigurationException if the path is a file, holds another run, or is in use
     * @throws UncheckedIOException if it cannot be created or written
     */
    public static RunDirectory open(Path dir, boolean overwrite, List<String> runFiles) {
        return open(dir, false, overwrite, List.copyOf(runFiles));
    }

    private static RunDirectory open(Path dir, boolean resume, boolean overwrite, List<String> runFiles) {
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            throw new InvalidConfigurationException("Output path " + abs + " is a file, not a directory; choose a "
                    + "directory with -o");
        }
        try {
            Files.createDirectories(abs);
            // can this process create files here? (a read-only file system or a directory owned by someone else)
            Path probe = Files.createTempFile(abs, ".forward4j-write-check", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write to the output directory " + abs + ": " + reason(e)
                    + "; choose another directory with -o", e);
        }
        FileChannel ch;
        FileLock held;
        try {
            ch = FileChannel.open(abs.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
            try {
                held = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                held = null;
            }
            if (held == null) {
                String holder = holder(abs.resolve(LOCK));
                ch.close();
                throw new InvalidConfigurationException("Output directory " + abs + " is in use by another forward4j "
                        + "run (" + holder + "); wait for it to finish or choose another directory with -o");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot lock the output directory " + abs + ": " + reason(e), e);
        }
        RunDirectory run = new RunDirectory(abs, ch, held, runFiles);
        try {
            List<String> present = run.runFiles();
            if (!present.isEmpty() && !resume && !overwrite) {
                throw new InvalidConfigurationException("Output directory " + abs + " holds another run (" + String
                        .join(", ", present) + "); continue it with --resume, replace it with --overwrite, or choose "
                        + "another directory with -o");
            }
            if (overwrite && !resume) {
                run.removeRunFiles();
            }
            Checkpoint.removeStaleTemporaries(abs.resolve("checkpoints"));
            run.writeHolder();
            return run;
        } catch (RuntimeException e) {
            run.close();
            throw e;
        } catch (IOException e) {
            run.close();
            throw new UncheckedIOException("Cannot prepare the output directory " + abs + ": " + reason(e), e);
        }
    }

    /** The run files present in the directory. */
    List<String> runFiles() {
        List<String> out = new ArrayList<>();
        for (String f : markers) {
            if (Files.exists(dir.resolve(f))) {
                out.add(f);
            }
        }
        return out;
    }

    private void removeRunFiles() throws IOException {
        for (String f : markers) {
            Path p = dir.resolve(f);
            if (Files.isDirectory(p)) {
                try (var files = Files.newDirectoryStream(p)) {
                    for (Path c : files) {
                        Files.delete(c);
                    }
                }
                Files.delete(p);
            } else {
                Files.deleteIfExists(p);
            }
        }
    }

    private void writeHolder() throws IOException {
        String text = "pid " + ProcessHandle.current().pid() + " on " + host() + ", started " + Instant.now() + "\n";
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), 0);
        channel.force(false);
    }

    private static String holder(Path lockFile) {
        try {
            String s = Files.readString(lockFile, StandardCharsets.UTF_8).strip();
            return s.isEmpty() ? "holder unknown" : s;
        } catch (IOException e) {
            return "holder unknown";
        }
    }

    private static String host() {
        String name = ManagementFactory.getRuntimeMXBean().getName();
        int at = name.indexOf('@');
        return at >= 0 ? name.substring(at + 1) : "this host";
    }

    /** What went wrong, in words a user acts on. */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * The directory.
     *
     * @return its absolute path (where the run's files go)
     */
    public Path path() {
        return dir;
    }

    /** Releases the lock (the lock file stays; it is harmless and names the last holder). */
    @Override
    public void close() {
        try {
            if (lock.isValid()) {
                lock.release();
            }
            channel.close();
        } catch (IOException e) {
            // the operating system releases the lock with the process anyway
        }
    }
}
