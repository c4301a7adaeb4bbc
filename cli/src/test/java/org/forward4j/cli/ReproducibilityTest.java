package org.forward4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.forward4j.cli.Runs;
import org.forward4j.core.Forward4j;
import org.forward4j.core.train.TrainingResult;
import org.forward4j.datasets.DatasetSplit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Same seed and settings give bit-identical parameters, whatever the number of worker threads. */
class ReproducibilityTest {

    private static float[] train(String estimator, String allocator, String extraKey, String extraValue, int threads) {
        Map<String, String> o = new java.util.LinkedHashMap<>(Map.of("estimator", estimator, "allocator", allocator,
                "epochs", "3", "train-limit", "320", "test-limit", "200", "batch-size", "32", "progress", "false",
                "seed", "7", "backend.threads", Integer.toString(threads)));
        o.put("queries-per-point", estimator.equals("lr") ? "4" : "8");
        if (!extraKey.isEmpty()) {
            o.put(extraKey, extraValue);
        }
        Forward4j f4j = Forward4j.builder().setAll(o).build();
        DatasetSplit split = Runs.data(f4j.training(), System.err).split();
        TrainingResult r = Runs.train(f4j, split, null);
        assertThat(r.steps()).isEqualTo(30);
        return r.parameters();
    }

    @ParameterizedTest
    @CsvSource({"spsa,uniform,,", "spsa,optimal,estimator.directions,per-point", "rge,neyman,,", "lr,optimal,,"})
    void sameSeedGivesBitIdenticalParametersWithOneAndTwoThreads(String estimator, String allocator, String key,
                                                                 String value) {
        String k = key == null ? "" : key;
        float[] one = train(estimator, allocator, k, value, 1);
        float[] two = train(estimator, allocator, k, value, 2);
        assertThat(two).as("1 vs 2 threads").isEqualTo(one);
    }
}
