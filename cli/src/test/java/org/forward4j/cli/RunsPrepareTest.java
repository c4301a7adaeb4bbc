package org.forward4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.forward4j.core.model.Mlp;
import org.forward4j.core.train.TrainingConfig;
import org.forward4j.datasets.DatasetSplit;
import org.forward4j.datasets.Datasets;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.plugin.Settings;
import org.junit.jupiter.api.Test;

/**
 * The MLP of {@code hidden} keeps its own engines and seeded start, so its numbers are those of forward4j before
 * layer graphs; a selection or a preset trains a graph objective.
 */
class RunsPrepareTest {

    private static final DatasetSplit DATA = Datasets.load("mnist").limit(200, 50);

    private static TrainingConfig config(String... keyValues) {
        String[] prefixed = new String[keyValues.length];
        for (int i = 0; i < keyValues.length; i++) {
            prefixed[i] = i % 2 == 0 ? "forward4j." + keyValues[i] : keyValues[i];
        }
        return TrainingConfig.from(Settings.of(prefixed));
    }

    @Test
    void thePlainMlpIsANetworkObjectiveFromTheSeededStart() {
        TrainingConfig t = config("hidden", "32", "seed", "9");
        Runs.Prepared run = Runs.prepare(t, DATA);
        DenseNetwork net = Mlp.network(784, new int[] {32}, 10, org.forward4j.estimator.Activation.RELU);
        assertThat(run.graph()).isNull();
        assertThat(run.train()).isInstanceOf(NetworkObjective.class);
        assertThat(((NetworkObjective) run.train()).network()).isEqualTo(net);
        assertThat(run.initial()).containsExactly(Mlp.initialParameters(net, 9));
        assertThat(run.full(run.initial())).isSameAs(run.initial());
        assertThat(run.model().source()).isEqualTo("mlp");
    }

    @Test
    void aSelectionOrAPresetTrainsTheSelectedTensorsOfAGraph() {
        Runs.Prepared head = Runs.prepare(config("hidden", "32", "trainable", "head"), DATA);
        assertThat(head.train()).isInstanceOf(GraphObjective.class);
        assertThat(head.train().dimension()).isEqualTo(33 * 10);
        assertThat(head.full(head.initial())).hasSize(784 * 32 + 32 + 330);
        Runs.Prepared vit = Runs.prepare(config("model", "vit", "trainable", "biases"), DATA);
        assertThat(vit.graph().graph().blocks()).hasSize(5);
        assertThat(vit.model().network()).isNull();
        assertThat(vit.train().dimension()).isLessThan(vit.model().graph().parameterCount());
    }
}
