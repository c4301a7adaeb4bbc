package org.forward4j.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.plugin.InvalidConfigurationException;
import org.junit.jupiter.api.Test;

class QueryThroughputTest {

    /** 40 rows of a tiny 6-5-3 network: fast, but the same code paths as MNIST. */
    private static NetworkObjective tiny() {
        int rows = 40;
        int in = 6;
        float[] x = new float[rows * in];
        int[] y = new int[rows];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < in; k++) {
                x[r * in + k] = ((r * 7 + k * 3) % 11) / 11f;
            }
            y[r] = r % 3;
        }
        return Networks.objective(new DenseNetwork(new int[] {in, 5, 3}, Activation.RELU), x, y);
    }

    @Test
    void stepsSpendTheBudgetAndThePlainPassCoversTheSameRows() {
        try (QueryThroughput qt = new QueryThroughput(tiny(), 8, 2, 3)) {
            for (String spec : new String[] {"lr", "spsa", "spsa:directions=per-point", "rge"}) {
                EstimatorVariant v = EstimatorVariant.parse(spec);
                int draws = qt.drawsFor(v, 16);
                assertThat(draws).as(spec).isEqualTo(spec.equals("rge") ? 15 : 8);
                QueryThroughput.EstimatorRun run = qt.estimator(v, draws);
                assertThat(run.queriesPerStep()).as(spec).isEqualTo(8 * 16);
                GradientEstimate g = run.step();
                assertThat(g.queries()).as(spec).isEqualTo(8 * 16);
                assertThat(g.gradient()).as(spec).hasSize(qt.network().dimension());
            }
            QueryThroughput.PlainForward plain = qt.plainForward(600);
            double[][] losses = plain.run();
            assertThat(losses).hasNumberOfRows(3);
            assertThat(losses[0]).hasSize(QueryThroughput.CHUNK_ROWS);
            assertThat(losses[2]).hasSize(600 - 2 * QueryThroughput.CHUNK_ROWS);
            // the batch repeated: row k and row k + B have the same clean loss
            assertThat(losses[0][8]).isEqualTo(losses[0][0]);
            assertThat(qt.shape()).isEqualTo("6-5-3");
        }
    }

    @Test
    void budgetsThatDoNotDivideIntoDrawsAreRejected() {
        try (QueryThroughput qt = new QueryThroughput(tiny(), 8, 1, 3)) {
            assertThatThrownBy(() -> qt.drawsFor(EstimatorVariant.parse("spsa"), 3))
                    .isInstanceOf(InvalidConfigurationException.class)
                    .hasMessage("3 queries per point do not fit estimator 'spsa': each point costs 0 fixed queries "
                            + "and each draw 2; choose a budget that leaves a positive multiple of 2");
        }
    }

    @Test
    void shapesMustFitTheData() {
        assertThat(QueryThroughput.parseShape("784-256-10", 784, 10).sizes()).containsExactly(784, 256, 10);
        assertThatThrownBy(() -> QueryThroughput.parseShape("780-10", 784, 10))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Shape '780-10' must start with the data's 784 inputs and end with its 10 classes, e.g. "
                        + "784-256-10");
        assertThatThrownBy(() -> QueryThroughput.parseShape("784-x-10", 784, 10))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Shape '784-x-10' is not a list of layer widths joined by '-', e.g. 784-256-10");
    }
}
