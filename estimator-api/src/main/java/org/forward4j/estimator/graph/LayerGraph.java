package org.forward4j.estimator.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.plugin.InvalidConfigurationException;

/**
 * A native model beyond the MLP: a sequence of {@link Block}s of {@link Layer}s (residual branches inside), from an
 * input shape to the logits of {@code classes} classes, trained with softmax cross-entropy. Construction checks
 * every shape and names, so a graph that exists can run.
 *
 * <p>Flat parameter layout: every layer's tensors ({@link Layer#parameters}) in graph order, each row-major. An MLP
 * written as a graph ({@link #mlp}) has exactly {@link DenseNetwork}'s layout.
 */
public final class LayerGraph {

    private final Shape input;
    private final List<Block> blocks;
    private final int classes;
    private final List<Tensor> tensors;
    private final Map<String, Tensor> byName;
    private final int parameters;

    /**
     * A parameter tensor placed in the flat layout.
     *
     * @param spec name, shape and role
     * @param block the index of the block that owns it
     * @param offset its first index in the flat parameter vector
     */
    public record Tensor(ParameterSpec spec, int block, int offset) {

        /**
         * The tensor's name.
         *
         * @return for example {@code blocks.1.attn.q.weight}
         */
        public String name() {
            return spec.name();
        }

        /**
         * The number of values.
         *
         * @return the size
         */
        public int size() {
            return spec.size();
        }
    }

    /**
     * Builds and checks a graph.
     *
     * @param input the shape of one data row
     * @param blocks the blocks, in order (copied)
     * @param classes the number of classes; the last layer must output a vector of this length
     * @throws InvalidConfigurationException naming the first layer whose input does not fit, a repeated tensor name,
     *     or an output that is not the class vector
     */
    public LayerGraph(Shape input, List<Block> blocks, int classes) {
        this.input = input;
        this.blocks = List.copyOf(blocks);
        this.classes = classes;
        if (this.blocks.isEmpty()) {
            throw new InvalidConfigurationException("A layer graph needs at least one block");
        }
        List<Tensor> all = new ArrayList<>();
        Map<String, Tensor> names = new LinkedHashMap<>();
        Shape s = input;
        int offset = 0;
        Set<String> blockNames = new HashSet<>();
        for (int b = 0; b < this.blocks.size(); b++) {
            Block block = this.blocks.get(b);
            if (!blockNames.add(block.name())) {
                throw new InvalidConfigurationException("Two blocks are named '" + block.name() + "'");
            }
            for (Layer l : block.layers()) {
                try {
                    for (ParameterSpec p : l.parameters(s)) {
                        Tensor t = new Tensor(p, b, offset);
                        if (names.put(p.name(), t) != null) {
                            throw new InvalidConfigurationException("Two parameter tensors are named '" + p.name()
                                    + "'; give every layer its own name");
                        }
                        all.add(t);
                        offset = Math.addExact(offset, p.size());
                    }
                    s = l.output(s);
                } catch (IllegalArgumentException | ArithmeticException e) {
                    throw new InvalidConfigurationException("Block '" + block.name() + "': " + e.getMessage());
                }
            }
        }
        if (s.rank() != 1 || s.dim(0) != classes) {
            throw new InvalidConfigurationException("The graph ends in shape " + s + " but must end in the " + classes
                    + " class logits (a vector); end it with a linear layer to " + classes);
        }
        this.tensors = Collections.unmodifiableList(all);
        this.byName = Collections.unmodifiableMap(names);
        this.parameters = offset;
    }

    /**
     * The graph of a {@link DenseNetwork}: one block per dense layer ({@code layers.l}, a linear layer named
     * {@code layers.l} and, but for the last, the hidden activation), with the network's exact parameter layout.
     *
     * @param network the MLP
     * @return the graph
     */
    public static LayerGraph mlp(DenseNetwork network) {
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < network.layers(); l++) {
            List<Layer> layers = new ArrayList<>();
            layers.add(new Layer.Linear("layers." + l, network.in(l), network.out(l)));
            if (l < network.layers() - 1) {
                switch (network.activation()) {
                    case RELU -> layers.add(new Layer.Act(Layer.Act.Fn.RELU));
                    case TANH -> layers.add(new Layer.Act(Layer.Act.Fn.TANH));
                    case IDENTITY -> { }
                }
            }
            blocks.add(new Block("layers." + l, layers));
        }
        return new LayerGraph(Shape.vector(network.in(0)), blocks, network.classes());
    }

    /**
     * The input shape.
     *
     * @return one data row's shape
     */
    public Shape input() {
        return input;
    }

    /**
     * The blocks.
     *
     * @return an unmodifiable list
     */
    public List<Block> blocks() {
        return blocks;
    }

    /**
     * The number of classes.
     *
     * @return the length of the logit vector
     */
    public int classes() {
        return classes;
    }

    /**
     * Every parameter tensor in layout order.
     *
     * @return an unmodifiable list
     */
    public List<Tensor> tensors() {
        return tensors;
    }

    /**
     * A tensor by name.
     *
     * @param name the tensor's name
     * @return the tensor, or null if the graph has none of that name
     */
    public Tensor tensor(String name) {
        return byName.get(name);
    }

    /**
     * The number of parameters (all of them, trainable or not).
     *
     * @return the flat vector's length
     */
    public int parameterCount() {
        return parameters;
    }

    /**
     * The shape entering each block, and after the last ({@code blocks().size() + 1} entries).
     *
     * @return the shapes
     */
    public List<Shape> blockShapes() {
        List<Shape> out = new ArrayList<>();
        Shape s = input;
        out.add(s);
        for (Block b : blocks) {
            for (Layer l : b.layers()) {
                s = l.output(s);
            }
            out.add(s);
        }
        return out;
    }

    /**
     * The {@link DenseNetwork} this graph is, if it is a plain MLP (vector input, one linear layer per block, the
     * same activation after each but the last) so that the MLP engines can run it with the same numbers.
     *
     * @return the network, or empty
     */
    public java.util.Optional<DenseNetwork> asDenseNetwork() {
        if (input.rank() != 1) {
            return java.util.Optional.empty();
        }
        int[] sizes = new int[blocks.size() + 1];
        sizes[0] = input.dim(0);
        Layer.Act.Fn fn = null;
        boolean identity = false;
        for (int b = 0; b < blocks.size(); b++) {
            List<Layer> ls = blocks.get(b).layers();
            if (!(ls.get(0) instanceof Layer.Linear lin) || !lin.name().equals("layers." + b)) {
                return java.util.Optional.empty();
            }
            sizes[b + 1] = lin.out();
            boolean last = b == blocks.size() - 1;
            if (last && ls.size() != 1) {
                return java.util.Optional.empty();
            }
            if (!last) {
                if (ls.size() == 1) {
                    identity = true;
                } else if (ls.size() == 2 && ls.get(1) instanceof Layer.Act a && a.fn() != Layer.Act.Fn.GELU) {
                    if (fn != null && fn != a.fn()) {
                        return java.util.Optional.empty();
                    }
                    fn = a.fn();
                } else {
                    return java.util.Optional.empty();
                }
            }
        }
        if (identity && fn != null) {
            return java.util.Optional.empty();
        }
        org.forward4j.estimator.Activation act = fn == null ? org.forward4j.estimator.Activation.IDENTITY
                : fn == Layer.Act.Fn.RELU ? org.forward4j.estimator.Activation.RELU
                : org.forward4j.estimator.Activation.TANH;
        return java.util.Optional.of(new DenseNetwork(sizes, act));
    }

    @Override
    public String toString() {
        return "graph " + input + " -> " + blocks.size() + " blocks -> " + classes + " classes ("
                + String.format(java.util.Locale.ROOT, "%,d", parameters) + " parameters)";
    }
}
