package org.forward4j.estimator.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.forward4j.estimator.CountingQueryEvaluator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.junit.jupiter.api.Test;

/**
 * The counting evaluator hands estimators a graph objective they can use (an activation-noise estimator needs its
 * sites), and still counts the rows evaluated behind its back.
 */
class CountedGraphObjectiveTest {

    @Test
    void theGuardIsAGraphObjectiveThatCountsDirectRows() {
        LayerGraph g = new LayerGraph(Shape.vector(3), List.of(new Block("a", List.of(new Layer.Linear("a", 3, 4),
                new Layer.Act(Layer.Act.Fn.TANH))), new Block("head", List.of(new Layer.Linear("head", 4, 2)))), 2);
        float[] p = new float[g.parameterCount()];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) Math.sin(i + 1.0);
        }
        float[] x = {0.1f, 0.2f, -0.3f, 1f, -1f, 0.5f};
        GraphObjective o = GraphObjective.of(g, p, Trainable.select("head", g), x, new int[] {0, 1});
        CountingQueryEvaluator counting = new CountingQueryEvaluator(new ReferenceQueryEvaluator(o));
        assertThat(counting.objective()).isInstanceOf(GraphObjective.class);
        GraphObjective seen = (GraphObjective) counting.objective();
        assertThat(seen.sites()).extracting(GraphObjective.Site::name).containsExactly("head");
        assertThat(seen.dimension()).isEqualTo(o.dimension());
        double[] direct = new double[2];
        seen.losses(o.initial(), new int[] {0, 1}, direct);
        double[] want = new double[2];
        o.losses(o.initial(), new int[] {0, 1}, want);
        assertThat(direct).containsExactly(want);
        assertThat(counting.directRows()).isEqualTo(2);
        assertThat(counting.queries()).isZero();
    }
}
