package org.forward4j.backend.opencl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.forward4j.backend.Backend;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.estimator.graph.Block;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.graph.Layer;
import org.forward4j.estimator.graph.LayerGraph;
import org.forward4j.estimator.graph.Shape;
import org.forward4j.estimator.graph.Trainable;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.UnsupportedCapabilityException;
import org.forward4j.tck.Vectors;
import org.junit.jupiter.api.Test;

/**
 * Layer graphs on {@code opencl}: refused up front with the first uncovered layer named, unless the graph is an MLP
 * trained whole, which runs as that network with the reference's results.
 */
class GraphRefusalTest {

    private static GraphObjective objective(LayerGraph g, String trainable) {
        float[] p = new float[g.parameterCount()];
        new NoiseStream(3, 1, 1, 1).fill(NoiseStream.Distribution.GAUSSIAN, p, 0, p.length, 0);
        for (int i = 0; i < p.length; i++) {
            p[i] *= 0.4f;
        }
        int n = 7;
        float[] x = new float[n * g.input().size()];
        new NoiseStream(4, 1, 1, 1).fill(NoiseStream.Distribution.GAUSSIAN, x, 0, x.length, 0);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % g.classes();
        }
        return GraphObjective.of(g, p, Trainable.select(trainable, g), x, y);
    }

    private static LayerGraph cnn() {
        return new LayerGraph(Shape.image(1, 6, 6), List.of(
                new Block("conv1", List.of(new Layer.Conv2d("conv1", 1, 2, 3, 1, 1), new Layer.Act(Layer.Act.Fn.RELU))),
                new Block("head", List.of(new Layer.Flatten(), new Layer.Linear("head", 72, 3)))), 3);
    }

    private static LayerGraph vit() {
        return new LayerGraph(Shape.image(1, 4, 4), List.of(
                new Block("embed", List.of(new Layer.PatchEmbed("embed", 1, 2, 4))),
                new Block("head", List.of(new Layer.TokenPool(Layer.TokenPool.Kind.MEAN),
                        new Layer.Linear("head", 4, 3)))), 3);
    }

    @Test
    void graphsBeyondTheMlpKernelsAreRefusedNamingTheFirstUncoveredLayer() {
        assertThatThrownBy(() -> GraphSupport.asNetwork(objective(cnn(), "all")))
                .isInstanceOf(UnsupportedCapabilityException.class)
                .hasMessage("The opencl backend runs MLPs only; conv2d 'conv1' (1 -> 2, kernel 3, stride 1, padding 1) "
                        + "in block 'conv1' is not covered; use backend=cpu");
        assertThatThrownBy(() -> GraphSupport.asNetwork(objective(vit(), "head")))
                .isInstanceOf(UnsupportedCapabilityException.class)
                .hasMessage("The opencl backend runs MLPs only; patch embedding 'embed' (1 channels, patch 2, width 4) "
                        + "in block 'embed' is not covered; use backend=cpu");
        LayerGraph gelu = new LayerGraph(Shape.vector(4), List.of(
                new Block("layers.0", List.of(new Layer.Linear("layers.0", 4, 5), new Layer.Act(Layer.Act.Fn.GELU))),
                new Block("layers.1", List.of(new Layer.Linear("layers.1", 5, 3)))), 3);
        assertThatThrownBy(() -> GraphSupport.asNetwork(objective(gelu, "all")))
                .isInstanceOf(UnsupportedCapabilityException.class)
                .hasMessage("The opencl backend runs MLPs only; gelu in block 'layers.0' is not covered; use "
                        + "backend=cpu");
        LayerGraph renamed = new LayerGraph(Shape.vector(4), List.of(
                new Block("a", List.of(new Layer.Linear("a", 4, 3)))), 3);
        assertThatThrownBy(() -> GraphSupport.asNetwork(objective(renamed, "all")))
                .isInstanceOf(UnsupportedCapabilityException.class)
                .hasMessageContaining("not in the MLP form its kernels take");
    }

    @Test
    void anMlpGraphWithFrozenTensorsIsRefusedNamingThem() {
        LayerGraph mlp = LayerGraph.mlp(new DenseNetwork(new int[] {4, 5, 3}, Activation.TANH));
        assertThatThrownBy(() -> GraphSupport.asNetwork(objective(mlp, "last:1")))
                .isInstanceOf(UnsupportedCapabilityException.class)
                .hasMessage("The opencl backend trains every parameter of an MLP, but 2 tensors are frozen "
                        + "(layers.0.weight, layers.0.bias); use trainable=all or backend=cpu");
    }

    @Test
    void theBackendRefusesUpFrontAndRunsAnMlpGraphLikeTheReference() {
        Fixtures.assumeOpenCl();
        try (Backend b = Fixtures.backend("chunk-rows", "3")) {
            assertThatThrownBy(() -> b.evaluator(objective(cnn(), "all")))
                    .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("conv2d 'conv1'");
            GraphObjective o = objective(LayerGraph.mlp(new DenseNetwork(new int[] {4, 5, 3}, Activation.RELU)),
                    "all");
            QueryEvaluator e = b.evaluator(o);
            assertThat(e.objective()).isSameAs(o);
            ReferenceQueryEvaluator ref = new ReferenceQueryEvaluator(o);
            float[] theta = o.initial();
            WeightPlan wp = new WeightPlan(1, 2, NoiseStream.Distribution.GAUSSIAN, List.of(
                    new WeightQuery(0, 1e-2f, new int[] {0, 1, 2, 3, 4, 5, 6}), new WeightQuery(1, 0f, new int[] {2})));
            double[][] want = ref.evaluate(theta, wp);
            double[][] got = e.evaluate(theta, wp);
            for (int q = 0; q < want.length; q++) {
                for (int k = 0; k < want[q].length; k++) {
                    assertThat(Fixtures.close(got[q][k], want[q][k], 1e-5)).as("query %d row %d", q, k).isTrue();
                }
            }
            ActivationPlan ap = new ActivationPlan(1, 2, 0.05f, new int[] {0, 0, 3, 3, 6}, new int[] {0, 0, 1, 1, 2},
                    new boolean[] {false, true, false, true, false});
            double[] w = {0.3, -0.2, 1.0, 0.5, -0.7};
            float[] gRef = new float[o.dimension()];
            float[] gGot = new float[o.dimension()];
            try (ActivationPass r = ref.evaluate(theta, ap); ActivationPass g = e.evaluate(theta, ap)) {
                double[] lr = r.losses();
                double[] lg = g.losses();
                for (int k = 0; k < lr.length; k++) {
                    assertThat(Fixtures.close(lg[k], lr[k], 1e-5)).as("activation query %d", k).isTrue();
                }
                r.accumulateGradient(w, gRef);
                g.accumulateGradient(w, gGot);
            }
            assertThat(Vectors.relativeDistance(gGot, gRef)).isLessThanOrEqualTo(1e-5);
        }
    }
}
