package org.forward4j.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.forward4j.estimator.GradientEstimate;
import org.forward4j.plugin.InvalidConfigurationException;
import org.junit.jupiter.api.Test;

class GraphThroughputTest {

    @Test
    void stepsOnPresetGraphsSpendTheBudgetAndTrainOnlyTheSelection() {
        for (String model : new String[] {"cnn", "vit"}) {
            try (GraphThroughput gt = new GraphThroughput(model, "last:2", 4, 2, 3)) {
                assertThat(gt.shape()).isEqualTo(model + " trainable=last:2");
                assertThat(gt.objective().frozenPrefix()).as(model).isEqualTo(
                        gt.objective().graph().blocks().size() - 2);
                for (String spec : new String[] {"lr", "spsa"}) {
                    EstimatorVariant v = EstimatorVariant.parse(spec);
                    int draws = gt.drawsFor(v, 4);
                    GraphThroughput.Steps run = gt.estimator(v, draws);
                    assertThat(run.queriesPerStep()).as("%s %s", model, spec).isEqualTo(4 * 4);
                    GradientEstimate g = run.step();
                    assertThat(g.queries()).isEqualTo(4 * 4);
                    assertThat(g.gradient()).as("θ is the trainable tensors only")
                            .hasSize(gt.objective().dimension());
                }
                gt.plainForward(300).run();
            }
        }
    }

    @Test
    void unknownModelsAndSelectionsAreRejected() {
        assertThatThrownBy(() -> new GraphThroughput("resnet", "all", 4, 1, 1))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("model=resnet is not a preset");
        assertThatThrownBy(() -> new GraphThroughput("cnn", "last:9", 4, 1, 1))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("K must be in 1..4");
    }
}
