package org.forward4j.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.InvalidDataException;
import org.junit.jupiter.api.Test;

class DatasetTest {

    private static Dataset small() {
        return new Dataset("s", new float[] {0f, 0.5f, 1f, 0.25f, 0.75f, 0.125f}, 3, 2, new int[] {1, 0, 1}, 2);
    }

    @Test
    void exposesShapeValuesAndCounts() {
        Dataset d = small();
        assertThat(d.name()).isEqualTo("s");
        assertThat(d.rows()).isEqualTo(3);
        assertThat(d.cols()).isEqualTo(2);
        assertThat(d.classes()).isEqualTo(2);
        assertThat(d.feature(1, 1)).isEqualTo(0.25f);
        assertThat(d.label(2)).isEqualTo(1);
        assertThat(d.classCounts()).containsExactly(1, 2);
        float[] row = new float[4];
        d.copyRow(2, row, 1);
        assertThat(row).containsExactly(0f, 0.75f, 0.125f, 0f);
        assertThat(d).hasToString("Dataset[s: 3 x 2, 2 classes]");
    }

    @Test
    void copiesArraysInAndOut() {
        float[] f = {0.5f, 0.5f};
        int[] l = {0};
        Dataset d = new Dataset("c", f, 1, 2, l, 1);
        f[0] = 0.9f;
        l[0] = 7;
        d.features()[1] = 0.9f;
        d.labels()[0] = 7;
        assertThat(d.features()).containsExactly(0.5f, 0.5f);
        assertThat(d.labels()).containsExactly(0);
    }

    @Test
    void rejectsInvalidContents() {
        assertThatThrownBy(() -> new Dataset("x", new float[] {0f, Float.NaN}, 1, 2, new int[] {0}, 1))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("Dataset 'x': feature 1 of row 0 is NaN; features must be finite numbers");
        assertThatThrownBy(() -> new Dataset("x", new float[] {0f, 0f, 0f, Float.NEGATIVE_INFINITY}, 2, 2,
                new int[] {0, 0}, 1)).isInstanceOf(InvalidDataException.class)
                .hasMessage("Dataset 'x': feature 1 of row 1 is -Infinity; features must be finite numbers");
        assertThatThrownBy(() -> new Dataset("x", new float[] {0f, 0f}, 1, 2, new int[] {2}, 2))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("Dataset 'x': label 2 of row 0 is outside [0, 2)");
        assertThatThrownBy(() -> new Dataset("x", new float[] {0f, 0f}, 1, 2, new int[] {-1}, 2))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("Dataset 'x': label -1 of row 0 is outside [0, 2)");
        assertThatThrownBy(() -> new Dataset("x", new float[3], 2, 2, new int[2], 1))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("Dataset 'x': 2 rows x 2 cols = 4 values expected, but features holds 3");
        assertThatThrownBy(() -> new Dataset("x", new float[4], 2, 2, new int[3], 1))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("Dataset 'x': 2 rows but 3 labels");
        assertThatThrownBy(() -> new Dataset("x", new float[0], 0, 2, new int[0], 1))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("Dataset 'x': rows, cols and classes must be at least 1, got rows=0, cols=2, classes=1");
        assertThatThrownBy(() -> new Dataset(" ", new float[1], 1, 1, new int[1], 1))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("A dataset needs a non-blank name, got ' '");
    }

    @Test
    void subsetKeepsTheFirstRows() {
        Dataset d = small();
        Dataset two = d.subset(2);
        assertThat(two.rows()).isEqualTo(2);
        assertThat(two.name()).isEqualTo("s[:2]");
        assertThat(two.features()).containsExactly(0f, 0.5f, 1f, 0.25f);
        assertThat(two.labels()).containsExactly(1, 0);
        assertThat(two.classes()).isEqualTo(2);
        assertThat(d.subset(3)).isSameAs(d);
        assertThat(d.subset(100)).isSameAs(d);
        assertThatThrownBy(() -> d.subset(0))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("A dataset limit must be at least 1, got 0 for 's'");
    }

    @Test
    void splitChecksCompatibilityAndLimits() {
        Dataset a = small();
        Dataset other = new Dataset("o", new float[3], 1, 3, new int[1], 2);
        assertThatThrownBy(() -> new DatasetSplit(a, other))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("Training set Dataset[s: 3 x 2, 2 classes] and test set Dataset[o: 1 x 3, 2 classes] "
                        + "must have the same number of features and classes");
        DatasetSplit split = new DatasetSplit(a, a.subset(1));
        assertThat(split.limit(10, 10)).isSameAs(split);
        DatasetSplit limited = split.limit(2, 1);
        assertThat(limited.train().rows()).isEqualTo(2);
        assertThat(limited.test().rows()).isEqualTo(1);
    }
}
