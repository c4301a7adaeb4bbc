package org.forward4j.backprop;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.forward4j.backend.cpu.Nd4jArrays;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.graph.Layer;
import org.forward4j.estimator.graph.LayerGraph;
import org.forward4j.estimator.graph.Shape;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;

/**
 * The SameDiff graph of a {@link GraphObjective}'s {@link LayerGraph}: every layer kind with the semantics written
 * on it (the function {@link org.forward4j.estimator.graph.GraphForward} computes in plain Java), then the batch-mean
 * softmax cross-entropy. The trainable tensors are SameDiff variables named as the graph names them
 * ({@code conv1.weight}, {@code blocks.0.attn.q.weight}); frozen tensors are constants, so autodiff differentiates
 * exactly θ and an optimiser can only move θ.
 *
 * <p>Every tensor keeps its flat-layout shape ({@code [out, in]} for a linear map, {@code [out, in, k, k]} for a
 * convolution), so converting θ to and from the variables is a copy per tensor. Each row enters as the flat
 * {@value #FEATURES} placeholder {@code [batch, input size]} and is reshaped to the graph's input shape; the batch
 * dimension stays free. How each kind is built:
 * <ul>
 *   <li>linear: {@code h W^T + b} on {@code [batch, in]}, tokens folded into the batch ({@code [batch T, in]});</li>
 *   <li>conv2d: the zero-padded input's patches ({@code im2col}) times the {@code [out, in k k]} view of the
 *       weights; patch embedding: the same with kernel and stride {@code patch} and its {@code [dim, C p p]} weight
 *       (the patch values are ordered channel, row, column), the output {@code [batch, dim, H/p, W/p]} read as
 *       row-major tokens;</li>
 *   <li>pooling: SameDiff's max or average pooling without padding;</li>
 *   <li>layer norm, GELU (tanh form): written out from elementary ops, so they are the documented formulas and not a
 *       library's variant;</li>
 *   <li>attention: per head {@code softmax(Q K^T / sqrt(dh)) V} as batched matrix products over
 *       {@code [batch heads, T, dh]}, the softmax written out as {@code exp(s - max) / sum};</li>
 *   <li>class token: concatenated in front of the tokens; position embedding and residuals: broadcast adds.</li>
 * </ul>
 */
final class LayerGraphSd {

    /** Placeholder of the flat features, {@code [batch, input size]}. */
    static final String FEATURES = MlpGraph.FEATURES;
    /** Placeholder of the one-hot labels, {@code [batch, classes]}. */
    static final String LABELS = MlpGraph.LABELS;
    /** The batch-mean loss, a scalar. */
    static final String LOSS = MlpGraph.LOSS;
    /** The logits, {@code [batch, classes]}. */
    static final String LOGITS = "logits";

    private final SameDiff sd;
    private final GraphObjective objective;
    private final List<String> variables;
    private final DataType type;

    private LayerGraphSd(SameDiff sd, GraphObjective objective, List<String> variables, DataType type) {
        this.sd = sd;
        this.objective = objective;
        this.variables = variables;
        this.type = type;
    }

    /**
     * Builds the graph with θ's tensors as variables and the frozen tensors, taken from the objective, as constants.
     *
     * @param objective the model and its trainable selection
     * @param theta the trainable values in θ's layout ({@code objective.dimension()} values)
     * @param type FLOAT for training; DOUBLE lets tests compare gradients precisely
     * @return the graph, its loss variable marked and its backward graph built
     */
    static LayerGraphSd build(GraphObjective objective, float[] theta, DataType type) {
        if (theta.length != objective.dimension()) {
            throw new IllegalArgumentException("theta has " + theta.length + " values but the objective has "
                    + objective.dimension() + " trainable parameters");
        }
        LayerGraph g = objective.graph();
        float[] full = objective.expand(theta);
        SameDiff sd = SameDiff.create();
        List<String> vars = new ArrayList<>();
        Builder b = new Builder(sd, objective, full, type, vars);
        SDVariable x = sd.placeHolder(FEATURES, type, -1, g.input().size());
        SDVariable y = sd.placeHolder(LABELS, type, -1, g.classes());
        Shape s = g.input();
        SDVariable h = s.rank() == 1 ? x : x.reshape(batchShape(s));
        for (var block : g.blocks()) {
            for (Layer l : block.layers()) {
                h = b.layer(l, h, s);
                s = l.output(s);
            }
        }
        SDVariable logits = sd.identity(LOGITS, h);
        sd.loss.softmaxCrossEntropy(LOSS, y, logits, null, LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT, 0.0);
        sd.setLossVariables(LOSS);
        if (!vars.isEmpty()) {
            MlpGraph.createGradientFunctionQuietly(sd);
        }
        return new LayerGraphSd(sd, objective, List.copyOf(vars), type);
    }

    /** {@code [-1, dims...]}: the batch dimension free. */
    private static long[] batchShape(Shape s) {
        long[] out = new long[s.rank() + 1];
        out[0] = -1;
        for (int i = 0; i < s.rank(); i++) {
            out[i + 1] = s.dim(i);
        }
        return out;
    }

    /** Adds the ops of each layer kind. */
    private static final class Builder {
        private final SameDiff sd;
        private final GraphObjective objective;
        private final float[] full;
        private final DataType type;
        private final List<String> vars;

        Builder(SameDiff sd, GraphObjective objective, float[] full, DataType type, List<String> vars) {
            this.sd = sd;
            this.objective = objective;
            this.full = full;
            this.type = type;
            this.vars = vars;
        }

        /** A tensor of the graph: a variable when trainable, else a constant; in its flat-layout shape. */
        SDVariable tensor(String name) {
            LayerGraph.Tensor t = objective.graph().tensor(name);
            int[] shape = t.spec().shape();
            long[] s = new long[shape.length];
            for (int i = 0; i < shape.length; i++) {
                s[i] = shape[i];
            }
            INDArray a = Nd4jArrays.fromRange(full, t.offset(), t.size(), s);
            if (type != DataType.FLOAT) {
                a = a.castTo(type);
            }
            if (objective.isTrainable(name)) {
                vars.add(name);
                return sd.var(name, a);
            }
            return sd.constant(name, a);
        }

        SDVariable layer(Layer l, SDVariable x, Shape s) {
            if (l instanceof Layer.Linear lin) {
                return linear(lin.name(), lin.in(), lin.out(), x, s);
            } else if (l instanceof Layer.Conv2d c) {
                return conv(x, s, tensor(c.name() + ".weight"), tensor(c.name() + ".bias"), c.out(), c.kernel(),
                        c.stride(), c.padding());
            } else if (l instanceof Layer.Pool2d p) {
                Pooling2DConfig cfg = Pooling2DConfig.builder().kH(p.kernel()).kW(p.kernel()).sH(p.stride())
                        .sW(p.stride()).pH(0).pW(0).dH(1).dW(1).paddingMode(PaddingMode.VALID).isNHWC(false).build();
                return p.kind() == Layer.Pool2d.Kind.MAX ? sd.cnn.maxPooling2d(x, cfg) : sd.cnn.avgPooling2d(x, cfg);
            } else if (l instanceof Layer.Flatten) {
                return s.rank() == 1 ? x : x.reshape(-1, s.size());
            } else if (l instanceof Layer.LayerNorm ln) {
                return layerNorm(ln, x, s);
            } else if (l instanceof Layer.Act a) {
                return switch (a.fn()) {
                    case RELU -> sd.nn.relu(x, 0);
                    case TANH -> sd.math.tanh(x);
                    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
                    case GELU -> x.mul(0.5).mul(sd.math.tanh(x.add(x.mul(x).mul(x).mul(0.044715))
                            .mul(Layer.Act.GELU_C)).add(1.0));
                };
            } else if (l instanceof Layer.PatchEmbed pe) {
                int p = pe.patch();
                SDVariable out = conv(x, s, tensor(pe.name() + ".weight"), tensor(pe.name() + ".bias"), pe.dim(), p,
                        p, 0);
                int tokens = (s.dim(1) / p) * (s.dim(2) / p);
                return out.reshape(-1, pe.dim(), tokens).permute(0, 2, 1);
            } else if (l instanceof Layer.ClassToken ct) {
                SDVariable first = x.get(SDIndex.all(), SDIndex.interval(0, 1), SDIndex.all());
                SDVariable token = sd.zerosLike(first).add(tensor(ct.name() + ".token").reshape(1, 1, ct.dim()));
                return sd.concat(1, token, x);
            } else if (l instanceof Layer.PositionEmbed pe) {
                return x.add(tensor(pe.name() + ".embedding").reshape(1, pe.tokens(), pe.dim()));
            } else if (l instanceof Layer.Attention at) {
                return attention(at, x, s);
            } else if (l instanceof Layer.TokenPool tp) {
                return tp.kind() == Layer.TokenPool.Kind.CLASS ? x.get(SDIndex.all(), SDIndex.point(0), SDIndex.all())
                        : x.mean(1);
            } else {
                Layer.Residual r = (Layer.Residual) l;
                SDVariable h = x;
                Shape t = s;
                for (Layer inner : r.body()) {
                    h = layer(inner, h, t);
                    t = inner.output(t);
                }
                return x.add(h);
            }
        }

        SDVariable linear(String name, int in, int out, SDVariable x, Shape s) {
            SDVariable w = tensor(name + ".weight");
            SDVariable b = tensor(name + ".bias");
            if (s.rank() == 1) {
                return sd.mmul(x, w, false, true, false).add(b);
            }
            int tokens = s.dim(0);
            SDVariable flat = x.reshape(-1, in);
            return sd.mmul(flat, w, false, true, false).add(b).reshape(-1, tokens, out);
        }

        /**
         * A convolution as one matrix product: the input's patches ({@code im2col}, {@code [C k k, batch H' W']})
         * times the weights viewed as {@code [out, C k k]} (the flat layout's row order is channel, row, column, as
         * {@code im2col} orders a patch). Besides reproducing the layer's semantics exactly, this trains faster than
         * SameDiff's {@code conv2d} in ND4J 1.0.0-M2.1 (its backward op took 7 times its forward; the product's
         * backward is two matrix products, and no input gradient is computed for the first layer).
         */
        SDVariable conv(SDVariable x, Shape in, SDVariable weight, SDVariable bias, int out, int kernel, int stride,
                        int padding) {
            Conv2DConfig cfg = Conv2DConfig.builder().kH(kernel).kW(kernel).sH(stride).sW(stride).pH(padding)
                    .pW(padding).dH(1).dW(1).paddingMode(PaddingMode.VALID).dataFormat("NCHW").build();
            int oh = (in.dim(1) + 2 * padding - kernel) / stride + 1;
            int ow = (in.dim(2) + 2 * padding - kernel) / stride + 1;
            int k = in.dim(0) * kernel * kernel;
            int p = oh * ow;
            // [B, C, k, k, H', W'] -> [B, C k k, H' W'] -> [C k k, B, H' W'] -> [C k k, B H' W']
            SDVariable cols = sd.cnn.im2Col(x, cfg).reshape(-1, k, p).permute(1, 0, 2).reshape(k, -1);
            SDVariable y = sd.mmul(weight.reshape(out, k), cols).add(bias.reshape(out, 1));
            // [out, B H' W'] -> [out, B, H' W'] -> [B, out, H' W'] -> [B, out, H', W']
            return y.reshape(out, -1, p).permute(1, 0, 2).reshape(-1, out, oh, ow);
        }

        SDVariable layerNorm(Layer.LayerNorm ln, SDVariable x, Shape s) {
            int last = s.rank();
            SDVariable centred = x.sub(x.mean(true, last));
            SDVariable var = centred.mul(centred).mean(true, last);
            SDVariable xhat = centred.div(sd.math.sqrt(var.add(Layer.LayerNorm.EPS)));
            return xhat.mul(tensor(ln.name() + ".weight")).add(tensor(ln.name() + ".bias"));
        }

        SDVariable attention(Layer.Attention at, SDVariable x, Shape s) {
            List<Layer.Linear> proj = at.projections();
            int tokens = s.dim(0);
            int d = at.dim();
            int heads = at.heads();
            int dh = d / heads;
            SDVariable[] qkv = new SDVariable[3];
            for (int i = 0; i < 3; i++) {
                Layer.Linear p = proj.get(i);
                // [B, T, D] -> [B, T, H, dh] -> [B, H, T, dh] -> [B H, T, dh]
                qkv[i] = linear(p.name(), p.in(), p.out(), x, s).reshape(-1, tokens, heads, dh).permute(0, 2, 1, 3)
                        .reshape(-1, tokens, dh);
            }
            SDVariable scores = sd.mmul(qkv[0], qkv[1], false, true, false).mul(1.0 / Math.sqrt(dh));
            // softmax over the keys written out (exp(s - max) / sum): ND4J 1.0.0-M2.1's softmax op and its backward
            // were the slowest ops of a training step on these small shapes
            SDVariable shifted = sd.math.exp(scores.sub(scores.max(true, 2)));
            SDVariable weights = shifted.div(shifted.sum(true, 2));
            SDVariable mix = sd.mmul(weights, qkv[2]).reshape(-1, heads, tokens, dh).permute(0, 2, 1, 3)
                    .reshape(-1, tokens, d);
            Layer.Linear o = proj.get(3);
            return linear(o.name(), o.in(), o.out(), mix, s);
        }
    }

    /**
     * The underlying SameDiff graph.
     *
     * @return the graph
     */
    SameDiff sameDiff() {
        return sd;
    }

    /**
     * The variables (the trainable tensors), in θ's order.
     *
     * @return tensor names
     */
    List<String> variables() {
        return variables;
    }

    /**
     * The placeholders of some rows of the objective's data.
     *
     * @param rows the rows, in batch order
     * @return features and one-hot labels
     */
    Map<String, INDArray> batch(int[] rows) {
        LayerGraph g = objective.graph();
        return MlpGraph.batch(objective.features(), objective.labels(), rows, g.input().size(), g.classes(), type);
    }

    /**
     * The current variables as θ.
     *
     * @return a new θ in the objective's layout
     */
    float[] theta() {
        float[] theta = new float[objective.dimension()];
        for (String name : variables) {
            float[] v = Nd4jArrays.toFloats(sd.getArrForVarName(name).castTo(DataType.FLOAT));
            System.arraycopy(v, 0, theta, objective.thetaOffset(name), v.length);
        }
        return theta;
    }

    /**
     * The batch-mean loss of some rows.
     *
     * @param rows the rows
     * @return the loss
     */
    double loss(int[] rows) {
        return sd.output(batch(rows), LOSS).get(LOSS).getDouble(0);
    }

    /**
     * The logits of some rows.
     *
     * @param rows the rows
     * @return {@code [rows, classes]}, row-major, in double
     */
    double[] logits(int[] rows) {
        return sd.output(batch(rows), LOGITS).get(LOGITS).dup('c').castTo(DataType.DOUBLE).data().asDouble();
    }

    /**
     * The exact gradient of the batch-mean loss of some rows with respect to θ.
     *
     * @param rows the rows
     * @return {@code d loss / d theta} in θ's layout (zeros when nothing trains)
     */
    double[] gradient(int[] rows) {
        double[] g = new double[objective.dimension()];
        if (variables.isEmpty()) {
            return g;
        }
        Map<String, INDArray> grads = sd.calculateGradients(batch(rows), variables.toArray(new String[0]));
        for (String name : variables) {
            double[] v = grads.get(name).dup('c').castTo(DataType.DOUBLE).data().asDouble();
            System.arraycopy(v, 0, g, objective.thetaOffset(name), v.length);
        }
        return g;
    }
}
