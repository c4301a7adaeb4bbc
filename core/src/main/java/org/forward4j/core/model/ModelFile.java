package org.forward4j.core.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.graph.LayerGraph;
import org.forward4j.plugin.InvalidDataException;

/**
 * Saves and loads trained models as <a href="https://huggingface.co/docs/safetensors">safetensors</a> files, so that
 * other tools (NumPy, PyTorch, the {@code safetensors} library) read the weights without forward4j, and forward4j
 * reads them back bit for bit. The format is documented in {@code docs/model-format.md}.
 *
 * <p>An MLP stores, per layer {@code l}, the float32 tensors {@code layers.<l>.weight} of shape
 * {@code [out_l, in_l]} (PyTorch's {@code nn.Linear} layout) and {@code layers.<l>.bias} of shape {@code [out_l]},
 * in layer order. A layer graph (architecture type {@code graph}: convolutions, attention, ...) stores each of its
 * parameter tensors under the graph's name for it ({@code conv1.weight [out, in, k, k]},
 * {@code blocks.0.attn.q.weight [D, D]}), in the graph's flat layout order. The header's {@code __metadata__}
 * carries {@code format = forward4j-model}, {@code format_version = 1}, {@code architecture} (a JSON object such as
 * {@code {"type":"mlp","sizes":[784,64,10],"activation":"relu","output":"softmax-cross-entropy"}}),
 * {@code forward4j_version}, and whatever provenance the writer adds.
 *
 * <p>Writing streams the parameters through a small buffer (no copy of the model in memory) into a temporary file,
 * forces it to disk and renames it over the target, so a reader sees the old file or the new one, never half of
 * one. Reading checks everything before it trusts anything: the header's length and JSON, the format and version,
 * the architecture, each tensor's name, dtype, shape and offsets, and the file's length; any problem is one
 * {@link InvalidDataException} that names the file and the problem.
 */
public final class ModelFile {

    /** The file name {@code forward4j train} writes into its output directory. */
    public static final String FILE_NAME = "model.safetensors";

    /** The {@code format} metadata value that marks a forward4j model among safetensors files. */
    public static final String FORMAT = "forward4j-model";

    /** The version of the layout this class writes and reads; a reader refuses other versions. */
    public static final String FORMAT_VERSION = "1";

    /** Metadata keys this class writes itself; callers cannot set them. */
    public static final Set<String> RESERVED_KEYS = Set.of("format", "format_version", "architecture",
            "forward4j_version");

    private static final String VERSION = readVersion();

    private ModelFile() {
    }

    /**
     * Writes a model atomically (see the class comment); the parent directories are created if needed and an
     * existing file is replaced.
     *
     * @param file the target, conventionally named {@value #FILE_NAME}
     * @param network the architecture
     * @param parameters the flat parameters in the network's layout ({@code network.dimension()} values)
     * @param metadata provenance to record (for example estimator, seed, test accuracy); string keys and values,
     *     none of {@link #RESERVED_KEYS}; written in iteration order after the reserved keys
     * @throws IllegalArgumentException if the parameters do not fit the network or the metadata uses a reserved key
     * @throws UncheckedIOException if the file cannot be written (the target is then left as it was)
     */
    public static void write(Path file, DenseNetwork network, float[] parameters, Map<String, String> metadata) {
        Objects.requireNonNull(file, "file");
        if (parameters.length != network.dimension()) {
            throw new IllegalArgumentException(network + " has " + network.dimension() + " parameters, got "
                    + parameters.length);
        }
        write(file, Architecture.toJson(network), Architecture.tensors(network), parameters, metadata);
    }

    /**
     * Writes a layer-graph model atomically (see the class comment): architecture type {@code graph}, one F32
     * tensor per parameter tensor of the graph, named and shaped as the graph names and shapes it (a linear map's
     * weight {@code [out, in]}, a convolution's {@code [out, in, k, k]}, as PyTorch lays them out), in the flat
     * layout's order.
     *
     * @param file the target, conventionally named {@value #FILE_NAME}
     * @param graph the architecture
     * @param parameters the full flat parameters in the graph's layout ({@code graph.parameterCount()} values,
     *     frozen and trained tensors alike)
     * @param metadata provenance to record; string keys and values, none of {@link #RESERVED_KEYS}
     * @throws IllegalArgumentException if the parameters do not fit the graph or the metadata uses a reserved key
     * @throws UncheckedIOException if the file cannot be written (the target is then left as it was)
     */
    public static void write(Path file, LayerGraph graph, float[] parameters, Map<String, String> metadata) {
        Objects.requireNonNull(file, "file");
        if (parameters.length != graph.parameterCount()) {
            throw new IllegalArgumentException(graph + " has " + graph.parameterCount() + " parameters, got "
                    + parameters.length);
        }
        write(file, Architecture.toJson(graph), Architecture.tensors(graph), parameters, metadata);
    }

    /**
     * Writes a model: the metadata's reserved keys, the caller's, the header and every tensor.
     */
    private static void write(Path file, String architecture, List<Architecture.Tensor> tensors, float[] parameters,
                              Map<String, String> metadata) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("format_version", FORMAT_VERSION);
        meta.put("architecture", architecture);
        meta.put("forward4j_version", VERSION);
        metadata.forEach((k, v) -> {
            if (k == null || v == null) {
                throw new IllegalArgumentException("Model metadata keys and values must not be null: " + k + "=" + v);
            }
            if (RESERVED_KEYS.contains(k)) {
                throw new IllegalArgumentException("Model metadata key '" + k + "' is reserved: ModelFile writes "
                        + RESERVED_KEYS + " itself");
            }
            meta.put(k, v);
        });
        byte[] header = SafeTensors.header(meta, tensors);
        Path target = file.toAbsolutePath();
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            Files.createDirectories(target.getParent());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                SafeTensors.writeHeader(ch, header);
                ByteBuffer buf = ByteBuffer.allocate(SafeTensors.BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (Architecture.Tensor t : tensors) {
                    SafeTensors.writeFloats(ch, parameters, t.offset(), t.elements(), buf);
                }
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            try (FileChannel d = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException ignored) {
                // some file systems cannot sync a directory; the rename itself is atomic
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException("Could not write the model file " + target + ": " + e, e);
        }
    }

    /**
     * Reads and validates a model file (see the class comment for what is checked).
     *
     * @param file a file written by {@link #write}, or by another tool in the same layout
     * @return the network, its parameters and the file's metadata
     * @throws InvalidDataException if the file is missing, unreadable, not a forward4j model, of another format
     *     version or architecture type, or damaged; the message names the file and the problem
     */
    public static Model read(Path file) {
        Objects.requireNonNull(file, "file");
        if (Files.isDirectory(file)) {
            throw invalid(file, "it is a directory; give the model file itself"
                    + (Files.exists(file.resolve(FILE_NAME)) ? " (" + file.resolve(FILE_NAME) + ")" : ""), null);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            SafeTensors.Header header = SafeTensors.readHeader(ch, size);
            Architecture.Parsed model = checkMetadata(header);
            List<Architecture.Tensor> expected = model.network() != null ? Architecture.tensors(model.network())
                    : Architecture.tensors(model.graph());
            checkTensors(header, model.describe(), expected);
            SafeTensors.checkLayout(header, 4, size);
            float[] parameters = new float[model.graph().parameterCount()];
            ByteBuffer buf = ByteBuffer.allocate(SafeTensors.BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (Architecture.Tensor t : expected) {
                SafeTensors.Entry e = header.tensors().get(t.name());
                SafeTensors.readFloats(ch, header.dataStart() + e.begin(), parameters, t.offset(), t.elements(), buf);
            }
            return new Model(model.graph(), model.network(), parameters, header.metadata());
        } catch (IllegalArgumentException e) {
            throw invalid(file, e.getMessage(), null);
        } catch (NoSuchFileException e) {
            throw invalid(file, "it does not exist", null);
        } catch (AccessDeniedException e) {
            throw invalid(file, "permission denied", null);
        } catch (IOException e) {
            throw invalid(file, e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }

    private static Architecture.Parsed checkMetadata(SafeTensors.Header header) {
        Map<String, String> m = header.metadata();
        if (!FORMAT.equals(m.get("format"))) {
            throw new IllegalArgumentException("it is a safetensors file but not a forward4j model: "
                    + (header.hasMetadata() ? "its metadata has format " + quoted(m.get("format"))
                    : "its header has no __metadata__") + ", not format \"" + FORMAT + "\"");
        }
        if (!FORMAT_VERSION.equals(m.get("format_version"))) {
            throw new IllegalArgumentException("it has format_version " + quoted(m.get("format_version"))
                    + "; this forward4j reads format_version \"" + FORMAT_VERSION + "\"");
        }
        String architecture = m.get("architecture");
        if (architecture == null) {
            throw new IllegalArgumentException("its metadata has no architecture");
        }
        return Architecture.parse(architecture);
    }

    private static void checkTensors(SafeTensors.Header header, String architecture,
                                     List<Architecture.Tensor> expected) {
        List<String> missing = new ArrayList<>();
        for (Architecture.Tensor t : expected) {
            if (!header.tensors().containsKey(t.name())) {
                missing.add(t.name());
            }
        }
        List<String> unexpected = new ArrayList<>(header.tensors().keySet());
        expected.forEach(t -> unexpected.remove(t.name()));
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new IllegalArgumentException("its tensors do not match its architecture " + architecture + ": "
                    + (missing.isEmpty() ? "" : "missing " + missing) + (missing.isEmpty() || unexpected.isEmpty()
                    ? "" : ", ") + (unexpected.isEmpty() ? "" : "unexpected " + unexpected));
        }
        for (Architecture.Tensor t : expected) {
            SafeTensors.Entry e = header.tensors().get(t.name());
            if (!SafeTensors.F32.equals(e.dtype())) {
                throw new IllegalArgumentException("tensor \"" + t.name() + "\" has dtype " + e.dtype()
                        + "; forward4j models hold " + SafeTensors.F32 + " tensors only");
            }
            if (!Arrays.equals(e.shape(), t.shape())) {
                throw new IllegalArgumentException("tensor \"" + t.name() + "\" has shape " + Arrays.toString(e.shape())
                        + " but the architecture " + architecture + " needs " + Arrays.toString(t.shape()));
            }
        }
    }

    private static String quoted(String s) {
        return s == null ? "(none)" : "\"" + Architecture.abbreviate(s) + "\"";
    }

    private static InvalidDataException invalid(Path file, String problem, Throwable cause) {
        return new InvalidDataException("Cannot read model file " + file + ": " + problem, cause);
    }

    /**
     * The version of forward4j that writes model files, from the build-filtered resource beside this class.
     *
     * @return the version, or {@code unknown} when the resource is missing (an unfiltered build)
     */
    static String version() {
        return VERSION;
    }

    private static String readVersion() {
        try (InputStream in = ModelFile.class.getResourceAsStream("forward4j-version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown");
            return v.contains("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
