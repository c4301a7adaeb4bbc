package org.forward4j.backprop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.forward4j.backend.cpu.Nd4jSetup;
import org.forward4j.core.model.Graphs;
import org.forward4j.core.model.Mlp;
import org.forward4j.core.train.EvalRecord;
import org.forward4j.datasets.DatasetSplit;
import org.forward4j.datasets.Datasets;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.graph.LayerGraph;
import org.forward4j.estimator.graph.Trainable;
import org.forward4j.plugin.InvalidConfigurationException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Backprop training of layer graphs: an MLP written as a graph trains exactly as the MLP reference does, a preset
 * CNN learns bundled MNIST, and fine-tuning moves the selected tensors only.
 */
class GraphBackpropTest {

    private static DatasetSplit mnist;

    @BeforeAll
    static void data() {
        Nd4jSetup.init();
        mnist = Datasets.load("mnist").limit(960, 300);
    }

    private static GraphObjective objective(LayerGraph g, float[] full, String trainable, boolean test) {
        var d = test ? mnist.test() : mnist.train();
        return GraphObjective.of(g, full, Trainable.select(trainable, g), d.features(), d.labels());
    }

    @Test
    void anMlpAsAGraphHasTheMlpGraphsLossAndGradient() {
        DenseNetwork net = new DenseNetwork(new int[] {6, 5, 4}, Activation.TANH);
        float[] p = TinyGraphs.gaussian(net.dimension(), 40, 0.5);
        float[] x = TinyGraphs.gaussian(6 * 7, 41, 1.0);
        int[] y = {0, 1, 2, 3, 0, 1, 2};
        LayerGraph g = LayerGraph.mlp(net);
        GraphObjective o = GraphObjective.of(g, p, Trainable.select("all", g), x, y);
        int[] rows = TinyGraphs.range(7);
        double[] graph = LayerGraphSd.build(o, p, DataType.DOUBLE).gradient(rows);
        var mlp = MlpGraph.build(net, p, DataType.DOUBLE);
        double[] want = MlpGraph.gradient(mlp, net, MlpGraph.batch(x, y, rows, 6, 4, DataType.DOUBLE));
        assertThat(graph).containsExactly(want, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(LayerGraphSd.build(o, p, DataType.FLOAT).loss(rows))
                .isEqualTo(MlpGraph.loss(MlpGraph.build(net, p, DataType.FLOAT),
                        MlpGraph.batch(x, y, rows, 6, 4, DataType.FLOAT)));
    }

    @Test
    void anMlpAsAGraphTrainsBitForBitAsTheMlpReference() {
        DenseNetwork net = Mlp.network(784, new int[] {32}, 10, Activation.RELU);
        float[] init = Mlp.initialParameters(net, 3);
        LayerGraph g = LayerGraph.mlp(net);
        BackpropReference.Result mlp = BackpropReference.train(net, init, mnist.train().features(),
                mnist.train().labels(), mnist.test().features(), mnist.test().labels(), 2, 32, new Adam(3e-3), 3, 1,
                null);
        BackpropReference.Result graph = BackpropReference.train(objective(g, init, "all", false),
                objective(g, init, "all", true), init, 2, 32, new Adam(3e-3), 3, 1, null);
        assertThat(graph.parameters()).as("seed 3: parameters after 2 epochs").containsExactly(mlp.parameters());
        assertThat(graph.last().trainLoss()).isEqualTo(mlp.last().trainLoss());
        assertThat(graph.last().testAccuracy()).isEqualTo(mlp.last().testAccuracy());
        assertThat(graph.steps()).isEqualTo(mlp.steps()).isEqualTo(60);
    }

    @Test
    void theCnnPresetLearnsBundledMnist() {
        long seed = 1;
        LayerGraph g = Graphs.preset("cnn", 10);
        float[] init = Graphs.initialParameters(g, seed);
        List<EvalRecord> seen = new ArrayList<>();
        BackpropReference.Result r = BackpropReference.train(objective(g, init, "all", false),
                objective(g, init, "all", true), init, 2, 32, new Adam(2e-3), seed, 1, seen::add);
        assertThat(r.records()).isEqualTo(seen).hasSize(3);
        assertThat(r.records().get(0).testAccuracy()).as("seed %d: untrained", seed).isLessThan(0.3);
        // 300 test rows: at ~85% the standard error is 2 points, so 70% is far below the expectation
        assertThat(r.last().testAccuracy()).as("seed %d: test accuracy after 2 epochs on 960 rows", seed)
                .isGreaterThan(0.70);
        assertThat(r.parameters()).hasSize(g.parameterCount());
        GraphObjective test = objective(g, r.parameters(), "all", true);
        assertThat(Networks.metrics(test, test.initial()).accuracy()).as("the returned parameters are the ones scored")
                .isEqualTo(r.last().testAccuracy());
    }

    @Test
    void fineTuningMovesTheSelectedTensorsOnly() {
        long seed = 2;
        LayerGraph g = Graphs.preset("vit", 10);
        float[] init = Graphs.initialParameters(g, seed);
        String trainable = "head,biases";
        GraphObjective train = objective(g, init, trainable, false);
        BackpropReference.Result r = BackpropReference.train(train, objective(g, init, trainable, true),
                train.initial(), 1, 32, new Adam(1e-2), seed, 1, null);
        boolean[] on = Trainable.select(trainable, g);
        for (int t = 0; t < on.length; t++) {
            LayerGraph.Tensor tensor = g.tensors().get(t);
            float[] before = java.util.Arrays.copyOfRange(init, tensor.offset(), tensor.offset() + tensor.size());
            float[] after = java.util.Arrays.copyOfRange(r.parameters(), tensor.offset(),
                    tensor.offset() + tensor.size());
            if (on[t]) {
                assertThat(after).as("%s trains", tensor.name()).isNotEqualTo(before);
            } else {
                assertThat(after).as("%s is frozen", tensor.name()).containsExactly(before);
            }
        }
        assertThat(r.last().testLoss()).as("seed %d: test loss after fine-tuning", seed)
                .isLessThan(r.records().get(0).testLoss());
    }

    @Test
    void aMismatchedSetupIsOneMessage() {
        LayerGraph g = Graphs.preset("cnn", 10);
        float[] init = Graphs.initialParameters(g, 1);
        GraphObjective train = objective(g, init, "head", false);
        assertThatThrownBy(() -> BackpropReference.train(train, objective(g, init, "all", true), new float[3], 0, 4000,
                new Adam(1e-3), 1, 1, null))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Backprop reference: initial parameters have length 3 but " + g + " has 650 trainable "
                        + "parameters; the test objective must have the training objective's graph and trainable "
                        + "selection; epochs=0 must be at least 1; batch-size=4000 must be between 1 and the 960 "
                        + "training rows");
    }
}
