package org.forward4j.datasets;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.forward4j.plugin.InvalidDataException;

/**
 * Reads the {@code csv:<train.csv>,<test.csv>} format: UTF-8 text, one example per line, the label (a
 * non-negative integer below {@link #MAX_CLASSES}) in the first field and the features after it, fields separated
 * by commas, spaces or tabs around a field ignored, blank lines skipped, no quoting.
 *
 * <p>Header: the first non-blank line is a header, and skipped, when its first field is non-empty and not a
 * number; it must still have as many fields as the data rows.
 *
 * <p>Values are used exactly as written, whatever their range: the reader never rescales (feature scaling is an
 * explicit choice, {@link FeatureScaler}, fitted on the training split). A ragged row, a value that is not a plain
 * decimal number (no NaN, Infinity or hex) or too large for a float, a bad label or an empty file throws
 * {@link InvalidDataException} naming {@code file:line}. Classes: the largest label plus one.
 */
final class CsvReader {

    /** Labels must be below this (keeps a typo such as 1e9 in a label column from sizing a huge output layer). */
    static final int MAX_CLASSES = 1 << 16;

    private CsvReader() {
    }

    /** One parsed file, before scaling. */
    private static final class Table {
        final String source;
        float[] values = new float[1 << 12];
        int size;
        int[] labels = new int[1 << 8];
        int rows;
        int cols = -1;
        int colsLine;
        int maxLabel = -1;

        Table(String source) {
            this.source = source;
        }
    }

    /** Opens a source as UTF-8 text that reports malformed input. */
    interface Opener {
        BufferedReader open() throws IOException;
    }

    static DatasetSplit read(String spec, Path train, Path test) {
        return read(spec, train.toString(), () -> Files.newBufferedReader(train, StandardCharsets.UTF_8),
                test.toString(), () -> Files.newBufferedReader(test, StandardCharsets.UTF_8));
    }

    /** The same for any two sources; the tests use it to fuzz in memory. */
    static DatasetSplit read(String spec, String trainSource, Opener train, String testSource, Opener test) {
        Table tr = parse(trainSource, train);
        Table te = parse(testSource, test);
        if (tr.cols != te.cols) {
            throw new InvalidDataException(te.source + ":" + te.colsLine + ": " + te.cols + " features per row, but "
                    + tr.source + ":" + tr.colsLine + " has " + tr.cols + "; train and test need the same columns");
        }
        int classes = Math.max(tr.maxLabel, te.maxLabel) + 1;
        return new DatasetSplit(toDataset(spec + "/train", tr, classes), toDataset(spec + "/test", te, classes));
    }

    private static Dataset toDataset(String name, Table t, int classes) {
        float[] f = t.size == t.values.length ? t.values : Arrays.copyOf(t.values, t.size);
        t.values = null;
        int[] labels = t.rows == t.labels.length ? t.labels : Arrays.copyOf(t.labels, t.rows);
        return Dataset.owning(name, f, t.rows, t.cols, labels, classes);
    }

    private static Table parse(String source, Opener opener) {
        Table t = new Table(source);
        int lineNo = 0;
        try (BufferedReader reader = opener.open()) {
            boolean first = true;
            String line;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (lineNo == 1 && !line.isEmpty() && line.charAt(0) == '\uFEFF') {
                    line = line.substring(1);
                }
                if (line.isBlank()) {
                    continue;
                }
                if (first) {
                    first = false;
                    int end = line.indexOf(',');
                    String head = (end < 0 ? line : line.substring(0, end)).strip();
                    if (!head.isEmpty() && Float.isNaN(parseNumber(head, 0, head.length()))) {
                        t.cols = countFields(line) - 1;
                        t.colsLine = lineNo;
                        if (t.cols < 1) {
                            throw new InvalidDataException(t.source + ":" + lineNo
                                    + ": header has one field; a row needs a label and at least one feature");
                        }
                        continue;
                    }
                }
                parseRow(t, line, lineNo);
            }
        } catch (NoSuchFileException e) {
            throw new InvalidDataException(t.source + ": no such file", e);
        } catch (CharacterCodingException e) {
            // the reader decodes ahead, so the bad bytes are on this line or a later one
            throw new InvalidDataException(t.source + ": not UTF-8 text at or after line " + (lineNo + 1) + " (" + e
                    + ")", e);
        } catch (IOException e) {
            throw new InvalidDataException(t.source + ": cannot be read: " + e, e);
        }
        if (t.rows == 0) {
            throw new InvalidDataException(t.source + ": no data rows (the file is empty, blank or only a header)");
        }
        return t;
    }

    private static int countFields(String line) {
        int n = 1;
        for (int i = 0; i < line.length(); i++) {
            if (line.charAt(i) == ',') {
                n++;
            }
        }
        return n;
    }

    private static void parseRow(Table t, String line, int lineNo) {
        int fields = countFields(line);
        if (t.cols < 0) {
            if (fields < 2) {
                throw new InvalidDataException(t.source + ":" + lineNo
                        + ": one field; a row needs a label and at least one feature");
            }
            t.cols = fields - 1;
            t.colsLine = lineNo;
        } else if (fields != t.cols + 1) {
            throw new InvalidDataException(t.source + ":" + lineNo + ": expected " + (t.cols + 1)
                    + " fields (a label and " + t.cols + " features, as on line " + t.colsLine + "), found " + fields);
        }
        if ((long) t.size + t.cols > Dataset.MAX_ARRAY) {
            throw new InvalidDataException(t.source + ":" + lineNo + ": more than " + Dataset.MAX_ARRAY
                    + " feature values in one file, more than a Java array can hold");
        }
        if (t.size + t.cols > t.values.length) {
            t.values = Arrays.copyOf(t.values,
                    (int) Math.min(Dataset.MAX_ARRAY, Math.max((long) t.values.length * 2, (long) t.size + t.cols)));
        }
        if (t.rows == t.labels.length) {
            t.labels = Arrays.copyOf(t.labels, (int) Math.min(Dataset.MAX_ARRAY, 2L * t.labels.length));
        }
        int start = 0;
        for (int field = 0; field <= t.cols; field++) {
            int end = line.indexOf(',', start);
            if (end < 0) {
                end = line.length();
            }
            if (field == 0) {
                t.labels[t.rows] = parseLabel(t, line, start, end, lineNo);
            } else {
                float v = parseNumber(line, start, end);
                if (Float.isNaN(v)) {
                    throw new InvalidDataException(t.source + ":" + lineNo + ": field " + (field + 1) + " '"
                            + clip(line.substring(start, end).strip()) + "' is not a number");
                }
                if (Float.isInfinite(v)) {
                    throw new InvalidDataException(t.source + ":" + lineNo + ": field " + (field + 1) + " is "
                            + clip(line.substring(start, end).strip()) + ", too large for a float");
                }
                t.values[t.size++] = v;
            }
            start = end + 1;
        }
        t.rows++;
    }

    private static int parseLabel(Table t, String line, int start, int end, int lineNo) {
        int s = start;
        int e = end;
        while (s < e && isBlank(line.charAt(s))) {
            s++;
        }
        while (e > s && isBlank(line.charAt(e - 1))) {
            e--;
        }
        long v = 0;
        boolean ok = s < e;
        for (int i = s; i < e && ok; i++) {
            char c = line.charAt(i);
            if (c < '0' || c > '9') {
                ok = false;
            } else {
                v = v * 10 + (c - '0');
                ok = v < MAX_CLASSES;
            }
        }
        if (!ok) {
            throw new InvalidDataException(t.source + ":" + lineNo + ": label '"
                    + clip(line.substring(start, end).strip()) + "' is not an integer in [0, " + MAX_CLASSES + ")");
        }
        t.maxLabel = Math.max(t.maxLabel, (int) v);
        return (int) v;
    }

    /**
     * Parses a plain decimal number ({@code [+-]digits[.digits][(e|E)[+-]digits]}, blanks around it ignored).
     *
     * @return the value, or NaN if the text is anything else (so NaN itself is never accepted)
     */
    static float parseNumber(String s, int start, int end) {
        while (start < end && isBlank(s.charAt(start))) {
            start++;
        }
        while (end > start && isBlank(s.charAt(end - 1))) {
            end--;
        }
        int i = start;
        if (i < end && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            i++;
        }
        int intDigits = 0;
        int intValue = 0;
        while (i < end && isDigit(s.charAt(i))) {
            if (intDigits < 9) {
                intValue = intValue * 10 + (s.charAt(i) - '0');
            }
            intDigits++;
            i++;
        }
        if (i == end && intDigits > 0 && intDigits < 9 && s.charAt(start) != '-' && s.charAt(start) != '+') {
            // the common case (0..255 pixels, labels); exact without going through a string
            return intValue;
        }
        int fracDigits = 0;
        if (i < end && s.charAt(i) == '.') {
            i++;
            while (i < end && isDigit(s.charAt(i))) {
                fracDigits++;
                i++;
            }
        }
        if (intDigits + fracDigits == 0) {
            return Float.NaN;
        }
        if (i < end && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < end && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            int expDigits = 0;
            while (i < end && isDigit(s.charAt(i))) {
                expDigits++;
                i++;
            }
            if (expDigits == 0) {
                return Float.NaN;
            }
        }
        if (i != end) {
            return Float.NaN;
        }
        // a large exponent gives an infinity, which the callers' range check rejects
        return Float.parseFloat(s.substring(start, end));
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    private static String clip(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
