package org.forward4j.backprop;

import java.util.List;
import org.forward4j.estimator.graph.Block;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.graph.Layer;
import org.forward4j.estimator.graph.LayerGraph;
import org.forward4j.estimator.graph.Shape;
import org.forward4j.estimator.graph.Trainable;
import org.forward4j.noise.NoiseStream;

/**
 * Tiny layer graphs that together use every layer kind with its options (convolution with stride and padding, max
 * and average pooling, flatten, layer norm, ReLU, tanh and GELU, patch embedding, class token, position embedding,
 * two-head attention, class and mean token pooling, residual branches), seeded parameters of moderate size (biases,
 * norm scales and shifts included, so a tensor landing in the wrong place shows) and seeded data.
 */
final class TinyGraphs {

    /** Seed of every parameter and data value here. */
    static final long SEED = 20261207L;

    private TinyGraphs() {
    }

    /** The graphs, by name. */
    enum Kind {
        /** conv2d (stride 2, padding 1) + ReLU + max pooling, conv2d (no padding) + tanh + average pooling. */
        CNN,
        /** linear, layer norm, GELU, linear, tanh, linear on a vector. */
        DENSE,
        /** patch embedding, class token, position embedding, pre-norm attention (2 heads) and GELU MLP, class pool. */
        VIT,
        /** patch embedding, position embedding, attention (2 heads) with a residual, ReLU, mean pool. */
        MEAN_POOL;

        LayerGraph graph() {
            return switch (this) {
                case CNN -> new LayerGraph(Shape.image(2, 7, 7), List.of(
                        new Block("c1", List.of(new Layer.Conv2d("c1", 2, 3, 3, 2, 1),
                                new Layer.Act(Layer.Act.Fn.RELU), new Layer.Pool2d(Layer.Pool2d.Kind.MAX, 2, 1))),
                        new Block("c2", List.of(new Layer.Conv2d("c2", 3, 4, 2, 1, 0),
                                new Layer.Act(Layer.Act.Fn.TANH), new Layer.Pool2d(Layer.Pool2d.Kind.AVG, 2, 2))),
                        new Block("head", List.of(new Layer.Flatten(), new Layer.Linear("head", 4, 3)))), 3);
                case DENSE -> new LayerGraph(Shape.vector(6), List.of(
                        new Block("l1", List.of(new Layer.Linear("l1", 6, 5), new Layer.LayerNorm("ln", 5),
                                new Layer.Act(Layer.Act.Fn.GELU))),
                        new Block("l2", List.of(new Layer.Linear("l2", 5, 4), new Layer.Act(Layer.Act.Fn.TANH))),
                        new Block("head", List.of(new Layer.Linear("head", 4, 3)))), 3);
                case VIT -> new LayerGraph(Shape.image(1, 4, 6), List.of(
                        new Block("embed", List.of(new Layer.PatchEmbed("embed", 1, 2, 4),
                                new Layer.ClassToken("cls", 4), new Layer.PositionEmbed("pos", 7, 4))),
                        new Block("b0", List.of(
                                new Layer.Residual(List.of(new Layer.LayerNorm("b0.ln1", 4),
                                        new Layer.Attention("b0.attn", 4, 2))),
                                new Layer.Residual(List.of(new Layer.LayerNorm("b0.ln2", 4),
                                        new Layer.Linear("b0.mlp1", 4, 6), new Layer.Act(Layer.Act.Fn.GELU),
                                        new Layer.Linear("b0.mlp2", 6, 4))))),
                        new Block("norm", List.of(new Layer.LayerNorm("norm", 4),
                                new Layer.TokenPool(Layer.TokenPool.Kind.CLASS))),
                        new Block("head", List.of(new Layer.Linear("head", 4, 3)))), 3);
                case MEAN_POOL -> new LayerGraph(Shape.image(2, 4, 4), List.of(
                        new Block("embed", List.of(new Layer.PatchEmbed("embed", 2, 2, 4),
                                new Layer.PositionEmbed("pos", 4, 4))),
                        new Block("b0", List.of(new Layer.Residual(List.of(new Layer.Attention("b0.attn", 4, 2))),
                                new Layer.Act(Layer.Act.Fn.RELU), new Layer.TokenPool(Layer.TokenPool.Kind.MEAN))),
                        new Block("head", List.of(new Layer.Linear("head", 4, 3)))), 3);
            };
        }
    }

    /** Gaussian values of the test's Philox stream, times a scale; {@code tensor} tells the uses apart. */
    static float[] gaussian(int n, int tensor, double scale) {
        float[] v = new float[n];
        new NoiseStream(SEED, 11, 0, tensor).fill(NoiseStream.Distribution.GAUSSIAN, v, 0, n, 0);
        for (int i = 0; i < n; i++) {
            v[i] = (float) (v[i] * scale);
        }
        return v;
    }

    /**
     * Full parameters: every tensor normal with standard deviation {@code 1.2 / sqrt(fan-in)} for weights and 0.3
     * otherwise, layer-norm scales around 1.
     */
    static float[] parameters(LayerGraph g) {
        float[] p = gaussian(g.parameterCount(), 1, 1.0);
        for (LayerGraph.Tensor t : g.tensors()) {
            int[] shape = t.spec().shape();
            double std = switch (t.spec().role()) {
                case WEIGHT -> 1.2 / Math.sqrt((double) t.size() / shape[0]);
                default -> 0.3;
            };
            for (int k = t.offset(); k < t.offset() + t.size(); k++) {
                p[k] = (float) (p[k] * std + (t.spec().role() == org.forward4j.estimator.graph.ParameterSpec.Role.SCALE
                        ? 1.0 : 0.0));
            }
        }
        return p;
    }

    /** {@code n} rows of standard normal features and labels {@code (7 i + 3) mod classes}. */
    static GraphObjective objective(Kind kind, String trainable, int n) {
        LayerGraph g = kind.graph();
        float[] x = gaussian(n * g.input().size(), 2 + kind.ordinal(), 1.0);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = (7 * i + 3) % g.classes();
        }
        return GraphObjective.of(g, parameters(g), Trainable.select(trainable, g), x, y);
    }

    static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }
}
