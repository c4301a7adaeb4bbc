package org.forward4j.core.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.forward4j.estimator.graph.Block;
import org.forward4j.estimator.graph.Layer;
import org.forward4j.estimator.graph.LayerGraph;
import org.forward4j.estimator.graph.ParameterSpec;
import org.forward4j.estimator.graph.Shape;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.InvalidConfigurationException;

/**
 * Ready-made layer graphs for images (the fine-tuning experiment's small CNN and small vision transformer) and their
 * seeded initialisation. Custom graphs are built from {@link Layer}s directly, or read from a model file.
 */
public final class Graphs {

    private Graphs() {
    }

    /**
     * A small convolutional network: two 3x3 convolutions (with ReLU and 2x2 max pooling), a dense hidden layer and
     * a linear head. Blocks {@code conv1}, {@code conv2}, {@code fc}, {@code head}.
     *
     * @param image the input {@code [C, H, W]}; H and W divisible by 4
     * @param channels channels of the first convolution (the second has twice as many)
     * @param hidden width of the dense hidden layer
     * @param classes number of classes
     * @return the graph
     */
    public static LayerGraph cnn(Shape image, int channels, int hidden, int classes) {
        int c = image.dim(0);
        int h = image.dim(1) / 4;
        int w = image.dim(2) / 4;
        List<Block> blocks = List.of(
                new Block("conv1", List.of(new Layer.Conv2d("conv1", c, channels, 3, 1, 1),
                        new Layer.Act(Layer.Act.Fn.RELU), new Layer.Pool2d(Layer.Pool2d.Kind.MAX, 2, 2))),
                new Block("conv2", List.of(new Layer.Conv2d("conv2", channels, 2 * channels, 3, 1, 1),
                        new Layer.Act(Layer.Act.Fn.RELU), new Layer.Pool2d(Layer.Pool2d.Kind.MAX, 2, 2))),
                new Block("fc", List.of(new Layer.Flatten(), new Layer.Linear("fc", 2 * channels * h * w, hidden),
                        new Layer.Act(Layer.Act.Fn.RELU))),
                new Block("head", List.of(new Layer.Linear("head", hidden, classes))));
        return new LayerGraph(image, blocks, classes);
    }

    /**
     * A small vision transformer: patch embedding, class token and position embedding (block {@code embed}),
     * {@code depth} pre-norm transformer blocks ({@code blocks.i}: layer norm and multi-head attention, then layer
     * norm and a GELU MLP of width {@code 2 dim}, each residual), a final layer norm and class-token pooling
     * ({@code norm}) and a linear head ({@code head}).
     *
     * @param image the input {@code [C, H, W]}
     * @param patch patch size, dividing H and W
     * @param dim token width
     * @param depth number of transformer blocks
     * @param heads attention heads, dividing dim
     * @param classes number of classes
     * @return the graph
     */
    public static LayerGraph vit(Shape image, int patch, int dim, int depth, int heads, int classes) {
        int tokens = (image.dim(1) / patch) * (image.dim(2) / patch) + 1;
        List<Block> blocks = new ArrayList<>();
        blocks.add(new Block("embed", List.of(new Layer.PatchEmbed("embed", image.dim(0), patch, dim),
                new Layer.ClassToken("cls", dim), new Layer.PositionEmbed("pos", tokens, dim))));
        for (int i = 0; i < depth; i++) {
            String b = "blocks." + i;
            blocks.add(new Block(b, List.of(
                    new Layer.Residual(List.of(new Layer.LayerNorm(b + ".ln1", dim),
                            new Layer.Attention(b + ".attn", dim, heads))),
                    new Layer.Residual(List.of(new Layer.LayerNorm(b + ".ln2", dim),
                            new Layer.Linear(b + ".mlp1", dim, 2 * dim), new Layer.Act(Layer.Act.Fn.GELU),
                            new Layer.Linear(b + ".mlp2", 2 * dim, dim))))));
        }
        blocks.add(new Block("norm", List.of(new Layer.LayerNorm("norm", dim),
                new Layer.TokenPool(Layer.TokenPool.Kind.CLASS))));
        blocks.add(new Block("head", List.of(new Layer.Linear("head", dim, classes))));
        return new LayerGraph(image, blocks, classes);
    }

    /**
     * A named preset for 28 x 28 single-channel images (MNIST, Fashion-MNIST): {@code cnn} (channels 8, hidden 64)
     * or {@code vit} (patch 7, width 32, depth 2, 2 heads).
     *
     * @param name the preset's name
     * @param classes number of classes
     * @return the graph
     * @throws InvalidConfigurationException for an unknown name
     */
    public static LayerGraph preset(String name, int classes) {
        Shape image = Shape.image(1, 28, 28);
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "cnn" -> cnn(image, 8, 64, classes);
            case "vit" -> vit(image, 7, 32, 2, 2, classes);
            default -> throw new InvalidConfigurationException("model=" + name + " is not a preset; use cnn or vit "
                    + "(28 x 28 single-channel images), or an MLP with --hidden");
        };
    }

    /**
     * The architecture JSON of a graph: the {@code architecture} a model file stores for it (type {@code graph};
     * docs/model-format.md), and what {@link #fromJson} and {@code --model FILE.json} read.
     *
     * @param graph the graph
     * @return compact JSON; the same graph always gives the same string
     */
    public static String toJson(LayerGraph graph) {
        return Architecture.toJson(graph);
    }

    /**
     * Reads an architecture JSON, so a graph can be described in a file instead of Java. An {@code mlp}
     * architecture gives its {@link LayerGraph#mlp} graph.
     *
     * @param json an architecture object, as {@link #toJson} writes it
     * @return the graph
     * @throws InvalidConfigurationException with one message naming the problem: invalid JSON, an unknown type,
     *     layer kind or field, a missing or invalid field, or layers whose shapes do not fit
     */
    public static LayerGraph fromJson(String json) {
        try {
            return Architecture.parse(json).graph();
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigurationException("Invalid architecture: " + e.getMessage());
        }
    }

    /**
     * Reads an architecture JSON file (for {@code --model FILE.json}).
     *
     * @param file the file
     * @return the graph
     * @throws InvalidConfigurationException naming the file when it is missing, unreadable or not a valid
     *     architecture
     */
    public static LayerGraph read(java.nio.file.Path file) {
        String text;
        try {
            text = java.nio.file.Files.readString(file, java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new InvalidConfigurationException("Model architecture file " + file + " does not exist");
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            throw new InvalidConfigurationException("Cannot read the model architecture file " + file + ": " + e);
        }
        try {
            return Architecture.parse(text).graph();
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigurationException("Model architecture file " + file + ": " + e.getMessage());
        }
    }

    /**
     * Seeded initial parameters: weights of linear layers, convolutions and patch embeddings normal with standard
     * deviation {@code sqrt(1 / fan_in)} ({@code sqrt(2 / fan_in)} when a ReLU follows in the same block), biases
     * and layer-norm shifts 0, layer-norm scales 1, class tokens and position embeddings normal with standard
     * deviation 0.02. Tensor t is drawn from the Philox stream {@code (seed, step -1, draw 1, tensor t)}, so a graph
     * initialises the same everywhere.
     *
     * @param graph the graph
     * @param seed the run's seed
     * @return the full parameter vector
     */
    public static float[] initialParameters(LayerGraph graph, long seed) {
        float[] theta = new float[graph.parameterCount()];
        List<LayerGraph.Tensor> tensors = graph.tensors();
        for (int t = 0; t < tensors.size(); t++) {
            LayerGraph.Tensor tensor = tensors.get(t);
            ParameterSpec spec = tensor.spec();
            int n = tensor.size();
            switch (spec.role()) {
                case BIAS, SHIFT -> { }
                case SCALE -> java.util.Arrays.fill(theta, tensor.offset(), tensor.offset() + n, 1f);
                case EMBEDDING, WEIGHT -> {
                    new NoiseStream(seed, Mlp.INIT_STEP, 1, t).fill(NoiseStream.Distribution.GAUSSIAN, theta,
                            tensor.offset(), n, 0);
                    int[] shape = spec.shape();
                    double std;
                    if (spec.role() == ParameterSpec.Role.EMBEDDING) {
                        std = 0.02;
                    } else {
                        int fanIn = n / shape[0];
                        std = Math.sqrt((reluFollows(graph, tensor) ? 2.0 : 1.0) / fanIn);
                    }
                    for (int k = tensor.offset(); k < tensor.offset() + n; k++) {
                        theta[k] *= (float) std;
                    }
                }
            }
        }
        return theta;
    }

    /** Whether a ReLU comes later in the weight's block (He initialisation then keeps the activations' scale). */
    private static boolean reluFollows(LayerGraph graph, LayerGraph.Tensor tensor) {
        for (Layer l : graph.blocks().get(tensor.block()).layers()) {
            if (l instanceof Layer.Act a && a.fn() == Layer.Act.Fn.RELU) {
                return true;
            }
        }
        return false;
    }
}
