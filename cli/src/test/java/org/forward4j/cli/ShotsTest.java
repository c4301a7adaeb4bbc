package org.forward4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.forward4j.datasets.Dataset;
import org.forward4j.datasets.Datasets;
import org.forward4j.plugin.InvalidConfigurationException;
import org.junit.jupiter.api.Test;

/** K rows per class, a subset fixed by the data, K and the seed. */
class ShotsTest {

    private static final Dataset TRAIN = Datasets.load("mnist").train();

    private static Set<String> rows(Dataset d) {
        Set<String> out = new HashSet<>();
        float[] row = new float[d.cols()];
        for (int r = 0; r < d.rows(); r++) {
            d.copyRow(r, row, 0);
            out.add(d.label(r) + ":" + java.util.Arrays.hashCode(row));
        }
        return out;
    }

    @Test
    void kRowsOfEveryClassFromTheTrainingSplit() {
        Dataset s = Shots.select(TRAIN, 7, 3);
        assertThat(s.rows()).isEqualTo(70);
        assertThat(s.classCounts()).containsOnly(7);
        assertThat(s.classes()).isEqualTo(TRAIN.classes());
        assertThat(rows(TRAIN)).containsAll(rows(s));
        assertThat(s.name()).isEqualTo(TRAIN.name() + "[shots=7, seed=3]");
    }

    @Test
    void theSeedFixesTheSubsetAndAnotherSeedDrawsAnother() {
        Set<String> a = rows(Shots.select(TRAIN, 5, 11));
        assertThat(rows(Shots.select(TRAIN, 5, 11))).isEqualTo(a);
        Set<String> b = rows(Shots.select(TRAIN, 5, 12));
        Set<String> common = new HashSet<>(a);
        common.retainAll(b);
        // 50 of 8,000 rows: two seeds share about 50 * 50 / 800 = 3 rows of each other's 50
        assertThat(common.size()).as("rows both seeds drew").isLessThan(15);
    }

    @Test
    void aClassWithTooFewRowsIsNamed() {
        Dataset small = TRAIN.subset(60);
        int[] counts = small.classCounts();
        int min = java.util.Arrays.stream(counts).min().orElseThrow();
        assertThatThrownBy(() -> Shots.select(small, min + 1, 1)).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("shots=" + (min + 1) + " is larger than the " + min
                        + " training rows of class ")
                .hasMessageEndingWith("; lower shots (or raise train-limit)");
    }
}
