package org.forward4j.backend.cpu;

import java.util.List;
import org.forward4j.estimator.graph.Block;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.graph.Layer;
import org.forward4j.estimator.graph.LayerGraph;
import org.forward4j.estimator.graph.ParameterSpec;
import org.forward4j.estimator.graph.Shape;
import org.forward4j.estimator.graph.Trainable;
import org.forward4j.noise.NoiseStream;

/**
 * Tiny layer graphs that exercise every layer kind with odd sizes (stride 2, padding, several heads, residuals,
 * class token and mean pooling), with seeded parameters and data: the fixtures of the graph backend tests.
 */
final class TinyGraphs {

    /** Names of the graphs, each built by {@link #graph}. */
    static final List<String> NAMES = List.of("mlp", "conv", "pool", "residual-conv", "layernorm", "vit",
            "vit-mean");

    private TinyGraphs() {
    }

    /**
     * A tiny graph.
     *
     * @param name one of {@link #NAMES}
     * @return the graph
     */
    static LayerGraph graph(String name) {
        Shape img = Shape.image(2, 7, 6);
        return switch (name) {
            // a plain MLP written as a graph, tanh between
            case "mlp" -> new LayerGraph(Shape.vector(5), List.of(
                    new Block("l0", List.of(new Layer.Linear("l0", 5, 7), new Layer.Act(Layer.Act.Fn.TANH))),
                    new Block("l1", List.of(new Layer.Linear("l1", 7, 4), new Layer.Act(Layer.Act.Fn.RELU))),
                    new Block("head", List.of(new Layer.Linear("head", 4, 3)))), 3);
            // stride 2 and padding 1 on an odd image, then stride 1 without padding and a non-square kernel area
            case "conv" -> new LayerGraph(img, List.of(
                    new Block("conv1", List.of(new Layer.Conv2d("conv1", 2, 3, 3, 2, 1),
                            new Layer.Act(Layer.Act.Fn.RELU))),
                    new Block("conv2", List.of(new Layer.Conv2d("conv2", 3, 4, 2, 1, 0),
                            new Layer.Act(Layer.Act.Fn.TANH))),
                    new Block("head", List.of(new Layer.Flatten(), new Layer.Linear("head", 4 * 3 * 2, 3)))), 3);
            // max pooling with overlapping windows, average pooling with stride 2
            case "pool" -> new LayerGraph(img, List.of(
                    new Block("conv1", List.of(new Layer.Conv2d("conv1", 2, 3, 3, 1, 1),
                            new Layer.Act(Layer.Act.Fn.RELU), new Layer.Pool2d(Layer.Pool2d.Kind.MAX, 2, 1))),
                    new Block("conv2", List.of(new Layer.Conv2d("conv2", 3, 4, 3, 1, 1),
                            new Layer.Pool2d(Layer.Pool2d.Kind.AVG, 2, 2))),
                    new Block("fc", List.of(new Layer.Flatten(), new Layer.Linear("fc", 4 * 3 * 2, 6),
                            new Layer.Act(Layer.Act.Fn.GELU))),
                    new Block("head", List.of(new Layer.Linear("head", 6, 3)))), 3);
            // a residual branch around a same-size convolution
            case "residual-conv" -> new LayerGraph(img, List.of(
                    new Block("stem", List.of(new Layer.Conv2d("stem", 2, 3, 3, 2, 1))),
                    new Block("res", List.of(new Layer.Residual(List.of(new Layer.Act(Layer.Act.Fn.RELU),
                            new Layer.Conv2d("res", 3, 3, 3, 1, 1))))),
                    new Block("head", List.of(new Layer.Flatten(), new Layer.Linear("head", 3 * 4 * 3, 3)))), 3);
            // layer norm on vectors, inside and outside a residual branch
            case "layernorm" -> new LayerGraph(Shape.vector(6), List.of(
                    new Block("in", List.of(new Layer.Linear("in", 6, 5), new Layer.LayerNorm("ln0", 5))),
                    new Block("res", List.of(new Layer.Residual(List.of(new Layer.LayerNorm("ln1", 5),
                            new Layer.Linear("fc", 5, 5), new Layer.Act(Layer.Act.Fn.GELU))))),
                    new Block("head", List.of(new Layer.Linear("head", 5, 3)))), 3);
            // patch embedding, class token, position embedding, 2 and 3 heads, class pooling
            case "vit" -> new LayerGraph(Shape.image(2, 4, 6), List.of(
                    new Block("embed", List.of(new Layer.PatchEmbed("embed", 2, 2, 6), new Layer.ClassToken("cls", 6),
                            new Layer.PositionEmbed("pos", 7, 6))),
                    new Block("blocks.0", List.of(
                            new Layer.Residual(List.of(new Layer.LayerNorm("blocks.0.ln1", 6),
                                    new Layer.Attention("blocks.0.attn", 6, 2))),
                            new Layer.Residual(List.of(new Layer.LayerNorm("blocks.0.ln2", 6),
                                    new Layer.Linear("blocks.0.mlp1", 6, 8), new Layer.Act(Layer.Act.Fn.GELU),
                                    new Layer.Linear("blocks.0.mlp2", 8, 6))))),
                    new Block("blocks.1", List.of(new Layer.Residual(List.of(new Layer.LayerNorm("blocks.1.ln1", 6),
                            new Layer.Attention("blocks.1.attn", 6, 3))))),
                    new Block("norm", List.of(new Layer.LayerNorm("norm", 6),
                            new Layer.TokenPool(Layer.TokenPool.Kind.CLASS))),
                    new Block("head", List.of(new Layer.Linear("head", 6, 3)))), 3);
            // no class token, mean pooling, one head
            case "vit-mean" -> new LayerGraph(Shape.image(1, 6, 3), List.of(
                    new Block("embed", List.of(new Layer.PatchEmbed("embed", 1, 3, 4),
                            new Layer.PositionEmbed("pos", 2, 4))),
                    new Block("blocks.0", List.of(new Layer.Residual(List.of(new Layer.LayerNorm("blocks.0.ln1", 4),
                            new Layer.Attention("blocks.0.attn", 4, 1))))),
                    new Block("head", List.of(new Layer.TokenPool(Layer.TokenPool.Kind.MEAN),
                            new Layer.Linear("head", 4, 3)))), 3);
            default -> throw new IllegalArgumentException("no tiny graph " + name);
        };
    }

    /**
     * A selection with a frozen prefix for each graph: its last blocks by name.
     *
     * @param name the graph
     * @return a {@code names:} selection
     */
    static String namedTail(String name) {
        return switch (name) {
            case "mlp" -> "names:l1\\.bias|head\\..*";
            case "conv", "pool", "residual-conv", "layernorm" -> "names:head\\.weight";
            case "vit" -> "names:blocks\\.1\\..*|head\\..*";
            default -> "names:head\\..*";
        };
    }

    /**
     * Seeded parameters: Gaussian times 0.5, layer-norm scales 1 plus Gaussian times 0.2.
     *
     * @param g the graph
     * @param seed the seed
     * @return the full parameter vector
     */
    static float[] parameters(LayerGraph g, long seed) {
        float[] p = gaussian(g.parameterCount(), seed, 0.5f);
        for (LayerGraph.Tensor t : g.tensors()) {
            if (t.spec().role() == ParameterSpec.Role.SCALE) {
                for (int k = t.offset(); k < t.offset() + t.size(); k++) {
                    p[k] = 1f + 0.4f * p[k];
                }
            }
        }
        return p;
    }

    /**
     * Seeded Gaussian values.
     *
     * @param n how many
     * @param seed the seed
     * @param scale their standard deviation
     * @return the values
     */
    static float[] gaussian(int n, long seed, float scale) {
        float[] v = new float[n];
        new NoiseStream(seed, 4, 4, 4).fill(NoiseStream.Distribution.GAUSSIAN, v, 0, n, 0);
        for (int i = 0; i < n; i++) {
            v[i] *= scale;
        }
        return v;
    }

    /**
     * An objective on seeded data.
     *
     * @param graph the graph's name
     * @param selection the trainable selection
     * @param rows data rows
     * @param seed seeds parameters and data
     * @return the objective
     */
    static GraphObjective objective(String graph, String selection, int rows, long seed) {
        LayerGraph g = graph(graph);
        float[] x = gaussian(rows * g.input().size(), seed + 1000, 1f);
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = (i * 7 + 3) % g.classes();
        }
        return GraphObjective.of(g, parameters(g, seed), Trainable.select(selection, g), x, labels);
    }
}
