package org.forward4j.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.forward4j.plugin.InvalidDataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvTest {

    @TempDir
    Path dir;

    private Path file(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    private DatasetSplit load(Path train, Path test) {
        return Datasets.load("csv:" + train + "," + test);
    }

    @Test
    void readsUnitValuesAsTheyAre() throws IOException {
        Path train = file("train.csv", "0,0.5,1\n2, 0.25 ,0\n\n1,1e-1,.5\r\n");
        Path test = file("test.csv", "1,0,0");
        DatasetSplit s = load(train, test);
        assertThat(s.train().name()).isEqualTo("csv:" + train + "," + test + "/train");
        assertThat(s.train().rows()).isEqualTo(3);
        assertThat(s.train().cols()).isEqualTo(2);
        assertThat(s.train().classes()).isEqualTo(3);
        assertThat(s.train().features()).containsExactly(0.5f, 1f, 0.25f, 0f, 0.1f, 0.5f);
        assertThat(s.train().labels()).containsExactly(0, 2, 1);
        assertThat(s.test().features()).containsExactly(0f, 0f);
    }

    @Test
    void readsValuesExactlyAsWrittenWithAHeader() throws IOException {
        Path train = file("train.csv", "\uFEFFlabel,p0,p1\n3,255,0\n1,17,1\n");
        Path test = file("test.csv", "label,p0,p1\n0,1,0\n");
        DatasetSplit s = load(train, test);
        // no silent rescaling: bytes stay bytes, the user picks a scaling (FeatureScaler) explicitly
        assertThat(s.train().features()).containsExactly(255f, 0f, 17f, 1f);
        assertThat(s.test().features()).containsExactly(1f, 0f);
        assertThat(s.train().classes()).isEqualTo(4);
        assertThat(s.test().classes()).isEqualTo(4);
    }

    @Test
    void acceptsAnyFiniteRangeAndMixedFractions() throws IOException {
        Path train = file("train.csv", "0,0.5,-3\n1,200,1e3\n");
        Path test = file("test.csv", "0,-0.25,16\n");
        DatasetSplit s = load(train, test);
        assertThat(s.train().features()).containsExactly(0.5f, -3f, 200f, 1000f);
        assertThat(s.test().features()).containsExactly(-0.25f, 16f);
    }

    @Test
    void rejectsRaggedRows() throws IOException {
        Path train = file("train.csv", "0,1,0,1\n1,0,1\n");
        Path test = file("test.csv", "0,1,0,1\n");
        assertThatThrownBy(() -> load(train, test))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage(train + ":2: expected 4 fields (a label and 3 features, as on line 1), found 3");
        Path header = file("header.csv", "label,a,b\n0,1,0,1\n");
        assertThatThrownBy(() -> load(header, test))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage(header + ":2: expected 3 fields (a label and 2 features, as on line 1), found 4");
        Path narrow = file("narrow.csv", "0,1\n");
        assertThatThrownBy(() -> load(test, narrow))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage(narrow + ":1: 1 features per row, but " + test + ":1 has 3; train and test need the same "
                        + "columns");
    }

    @Test
    void rejectsValuesThatAreNotPlainFiniteNumbers() throws IOException {
        Path ok = file("ok.csv", "0,1\n");
        String[][] cases = {
            {"NaN", "field 2 'NaN' is not a number"},
            {"Infinity", "field 2 'Infinity' is not a number"},
            {"0x1p-2", "field 2 '0x1p-2' is not a number"},
            {"1f", "field 2 '1f' is not a number"},
            {"", "field 2 '' is not a number"},
            {"1e", "field 2 '1e' is not a number"},
            {"1e99", "field 2 is 1e99, too large for a float"},
            {"-4e38", "field 2 is -4e38, too large for a float"},
        };
        for (String[] c : cases) {
            Path bad = file("bad.csv", "0,0\n1," + c[0] + "\n");
            assertThatThrownBy(() -> load(bad, ok)).as(c[0])
                    .isInstanceOf(InvalidDataException.class)
                    .hasMessage(bad + ":2: " + c[1]);
        }
    }

    @Test
    void rejectsBadLabels() throws IOException {
        Path ok = file("ok.csv", "0,1\n");
        String[] labels = {"1.5", "-1", "x", "65536", "99999999999999999999"};
        for (String label : labels) {
            Path bad = file("bad.csv", "0,0\n" + label + ",1\n");
            assertThatThrownBy(() -> load(bad, ok)).as(label)
                    .isInstanceOf(InvalidDataException.class)
                    .hasMessage(bad + ":2: label '" + label + "' is not an integer in [0, 65536)");
        }
        // an empty first label is a bad row, not a header
        Path empty = file("empty-label.csv", ",0.5\n");
        assertThatThrownBy(() -> load(empty, ok))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage(empty + ":1: label '' is not an integer in [0, 65536)");
    }

    @Test
    void rejectsEmptyFilesAndHeaderOnlyFiles() throws IOException {
        Path ok = file("ok.csv", "0,1\n");
        for (String content : new String[] {"", "\n\n  \n", "label,x\n"}) {
            Path empty = file("empty.csv", content);
            assertThatThrownBy(() -> load(ok, empty)).as("'%s'", content)
                    .isInstanceOf(InvalidDataException.class)
                    .hasMessage(empty + ": no data rows (the file is empty, blank or only a header)");
        }
        Path one = file("one.csv", "3\n");
        assertThatThrownBy(() -> load(one, ok))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage(one + ":1: one field; a row needs a label and at least one feature");
    }

    @Test
    void rejectsTextThatIsNotUtf8AndMissingFiles() throws IOException {
        Path ok = file("ok.csv", "0,1\n");
        Path latin = Files.write(dir.resolve("latin.csv"), new byte[] {'0', ',', '1', '\n', '1', ',', (byte) 0xE9});
        assertThatThrownBy(() -> load(latin, ok))
                .isInstanceOf(InvalidDataException.class)
                .hasMessageStartingWith(latin + ": not UTF-8 text at or after line 2");
        Path absent = dir.resolve("absent.csv");
        assertThatThrownBy(() -> load(ok, absent))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage(absent + ": no such file");
    }
}
