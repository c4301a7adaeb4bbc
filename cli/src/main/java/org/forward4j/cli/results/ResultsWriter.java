package org.forward4j.cli.results;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
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

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

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
     */
    public static void write(Path dir, TrainingResult result, Map<String, String> config) {
        write(dir, result, config, null);
    }

    /**
     * Writes {@code metrics.csv} and {@code result.json}, which also names the run's model file (as {@code "model"},
     * relative to {@code dir} when it lies inside it), so a reader of the results finds the weights.
     *
     * @param dir the output directory
     * @param result the run's result
     * @param config the resolved configuration to record
     * @param model the model file written for this run, or null for none
     */
    public static void write(Path dir, TrainingResult result, Map<String, String> config, Path model) {
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
            if (model != null) {
                Path abs = model.toAbsolutePath().normalize();
                Path base = dir.toAbsolutePath().normalize();
                json.put("model", (abs.startsWith(base) ? base.relativize(abs) : abs).toString());
            }
            json.put("records", result.records());
            atomicWrite(dir.resolve("result.json"), JSON.writeValueAsString(json));
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write results to " + dir.toAbsolutePath() + ": " + e.getMessage(),
                    e);
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
