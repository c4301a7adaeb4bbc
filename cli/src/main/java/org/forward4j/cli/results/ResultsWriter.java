package org.forward4j.cli.results;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.forward4j.core.train.EvalRecord;
import org.forward4j.core.train.TrainingResult;

/**
 * Writes a run's results: {@code metrics.csv} (one line per evaluation) and {@code result.json} (provenance,
 * configuration, totals, the same records and, for {@code train}, the model file's name). Files are written to a
 * temporary name and renamed, so a reader never sees a half-written file.
 */
public final class ResultsWriter {

    /** Pretty JSON in which a number that is not finite (a NaN loss before the first step) is {@code null}. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .registerModule(new SimpleModule("finite-numbers")
                    .addSerializer(Double.class, new FiniteDoubles())
                    .addSerializer(double.class, new FiniteDoubles())
                    .addSerializer(Float.class, new FiniteFloats())
                    .addSerializer(float.class, new FiniteFloats()));

    /** NaN and infinities as JSON {@code null}: JSON has no such numbers, and a string "NaN" breaks readers. */
    private static final class FiniteDoubles extends StdSerializer<Double> {
        FiniteDoubles() {
            super(Double.class);
        }

        @Override
        public void serialize(Double v, JsonGenerator g, SerializerProvider p) throws IOException {
            if (v == null || !Double.isFinite(v)) {
                g.writeNull();
            } else {
                g.writeNumber(v);
            }
        }
    }

    /** The same for floats. */
    private static final class FiniteFloats extends StdSerializer<Float> {
        FiniteFloats() {
            super(Float.class);
        }

        @Override
        public void serialize(Float v, JsonGenerator g, SerializerProvider p) throws IOException {
            if (v == null || !Float.isFinite(v)) {
                g.writeNull();
            } else {
                g.writeNumber(v);
            }
        }
    }

    /**
     * The JSON writer of every results file: indented, and a number that is not finite is {@code null}.
     *
     * @return the shared, configured mapper (thread-safe for writing)
     */
    public static ObjectMapper mapper() {
        return JSON;
    }

    /**
     * The JSON text of a value, NaN written as {@code null}.
     *
     * @param value a map, list or record
     * @return pretty-printed JSON
     * @throws IOException if the value cannot be serialised
     */
    public static String json(Object value) throws IOException {
        return JSON.writeValueAsString(value);
    }

    /** CSV header of {@code metrics.csv}. */
    public static final String CSV_HEADER = "epoch,step,queries,train_loss,test_loss,test_accuracy,wall_seconds";

    private ResultsWriter() {
    }

    /**
     * Writes {@code metrics.csv} and {@code result.json} into a directory (created if needed).
     *
     * @param dir the output directory
     * @param result the run's result
     * @param config the resolved configuration to record
     * @param extra more top-level entries (for example the data's description), or an empty map
     */
    public static void write(Path dir, TrainingResult result, Map<String, String> config, Map<String, Object> extra) {
        try {
            Files.createDirectories(dir);
            atomicWrite(dir.resolve("metrics.csv"), csv(result.records()));
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("provenance", result.provenance());
            json.put("config", config);
            EvalRecord last = result.last();
            json.put("finalTestAccuracy", last.testAccuracy());
            json.put("finalTestLoss", last.testLoss());
            json.put("trainingQueries", result.trainingQueries());
            json.put("evaluationQueries", result.evaluationQueries());
            json.put("steps", result.steps());
            json.put("skippedSteps", result.skippedSteps());
            json.put("wallSeconds", last.wallSeconds());
            json.putAll(extra);
            json.put("records", result.records());
            atomicWrite(dir.resolve("result.json"), JSON.writeValueAsString(json));
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write results to " + dir.toAbsolutePath() + ": "
                    + (e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                    : e.getMessage()), e);
        }
    }

    /**
     * The CSV text of records.
     *
     * @param records evaluation records
     * @return header and one line per record
     */
    public static String csv(List<EvalRecord> records) {
        StringBuilder b = new StringBuilder(CSV_HEADER).append('\n');
        for (EvalRecord r : records) {
            b.append(String.format(Locale.ROOT, "%d,%d,%d,%.6f,%.6f,%.6f,%.3f%n", r.epoch(), r.step(), r.queries(),
                    r.trainLoss(), r.testLoss(), r.testAccuracy(), r.wallSeconds()));
        }
        return b.toString();
    }

    /**
     * Writes text to a temporary file beside the target, then renames it over the target.
     *
     * @param target the file
     * @param text its content
     * @throws IOException if writing fails
     */
    public static void atomicWrite(Path target, String text) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
