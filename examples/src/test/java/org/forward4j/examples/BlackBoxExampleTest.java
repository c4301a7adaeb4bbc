package org.forward4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.forward4j.core.Forward4j;
import org.forward4j.core.train.TrainingResult;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BlackBoxExampleTest {

    @ParameterizedTest
    @CsvSource({"spsa,8", "rge,9"})
    void aBlackBoxObjectiveTrainsToTheTrueWeights(String estimator, int queriesPerPoint) {
        BlackBoxExample.AbsoluteErrorRegression o = new BlackBoxExample.AbsoluteErrorRegression(10, 1024, 3);
        Forward4j f4j = Forward4j.builder().set("estimator", estimator).set("queries-per-point",
                        Integer.toString(queriesPerPoint)).set("batch-size", "32").set("epochs", "30")
                .set("learning-rate", "0.05").set("estimator.scale", "0.01").set("progress", "false").build();
        TrainingResult r = f4j.trainer(o, null, new float[10]).fit();
        double initial = 0;
        double dist = 0;
        for (int k = 0; k < 10; k++) {
            initial += o.truth()[k] * o.truth()[k];
            double d = r.parameters()[k] - o.truth()[k];
            dist += d * d;
        }
        // starts at |truth| ~ 2.2 away; a converged run ends within a few percent of it
        assertThat(Math.sqrt(dist)).as("distance to truth, %s", estimator).isLessThan(0.1 * Math.sqrt(initial));
        assertThat(r.trainingQueries()).isEqualTo(30L * (1024 / 32) * 32 * queriesPerPoint);
        assertThat(r.last().trainLoss()).isLessThan(0.1);
    }
}
