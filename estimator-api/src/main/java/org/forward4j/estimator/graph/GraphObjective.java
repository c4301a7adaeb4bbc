package org.forward4j.estimator.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.Objective;
import org.forward4j.plugin.InvalidDataException;

/**
 * A {@link LayerGraph} over labelled data, with some of its parameter tensors trainable and the rest frozen at given
 * values: the native objective of fine-tuning. The optimisation variable θ is the trainable tensors only, laid out in
 * graph order ({@link #dimension()} is their size): estimators perturb only them, and frozen parameters are never
 * perturbed. Per-row loss is the softmax cross-entropy of the graph's logits.
 *
 * <p>Noise sites (for activation-noise estimators, docs/method.md §8): every linear layer (attention projections
 * included), convolution, patch embedding or layer norm with at least one trainable tensor, numbered in graph order;
 * site {@code s} is tensor {@code s} of an {@link org.forward4j.estimator.ActivationPlan}'s noise streams, of
 * which the first {@link Site#noisy()} values are used (the rest of the output cannot reach the loss). The
 * frozen prefix, the leading blocks without a trainable tensor, is the same for every query of a data point, so
 * backends compute it once per point and step.
 */
public final class GraphObjective implements Objective {

    private final LayerGraph graph;
    private final float[] parameters;
    private final boolean[] trainable;
    private final int[] thetaOffset;
    private final int dimension;
    private final float[] features;
    private final int[] labels;
    private final List<Site> sites;
    private final Map<String, Integer> siteByLayer;
    private final int frozenPrefix;
    /** Live leading tokens of each site-capable layer's output ({@link LiveTokens}). */
    private final Map<String, Integer> liveTokens;
    /** Told the number of rows of every {@link #losses} call, or null. */
    private final java.util.function.IntConsumer lossRows;

    /**
     * A noise site: a layer whose output an activation-noise estimator perturbs.
     *
     * @param index its number (the noise stream's tensor)
     * @param layer the layer: {@link Layer.Linear}, {@link Layer.Conv2d}, {@link Layer.PatchEmbed} or
     *     {@link Layer.LayerNorm}
     * @param block the block it is in
     * @param in its input shape
     * @param out its output shape (the noise stream covers {@code out.size()} values)
     * @param noisy how many leading output values can change the loss and get noise: {@code out.size()}, except
     *     for token outputs after the last attention, where only the class token's values reach the pooled head
     *     (the rest stay 0: noise there would only add variance)
     */
    public record Site(int index, Layer layer, int block, Shape in, Shape out, int noisy) {

        /**
         * The layer's name.
         *
         * @return the name its tensors start with
         */
        public String name() {
            if (layer instanceof Layer.Linear l) {
                return l.name();
            } else if (layer instanceof Layer.Conv2d c) {
                return c.name();
            } else if (layer instanceof Layer.PatchEmbed p) {
                return p.name();
            }
            return ((Layer.LayerNorm) layer).name();
        }
    }

    private GraphObjective(LayerGraph graph, float[] parameters, boolean[] trainable, float[] features,
                           int[] labels, java.util.function.IntConsumer lossRows) {
        this.lossRows = lossRows;
        this.graph = graph;
        this.parameters = parameters;
        this.trainable = trainable;
        this.features = features;
        this.labels = labels;
        List<LayerGraph.Tensor> tensors = graph.tensors();
        this.thetaOffset = new int[tensors.size()];
        int d = 0;
        int prefix = graph.blocks().size();
        for (int t = 0; t < tensors.size(); t++) {
            if (trainable[t]) {
                thetaOffset[t] = d;
                d += tensors.get(t).size();
                prefix = Math.min(prefix, tensors.get(t).block());
            } else {
                thetaOffset[t] = -1;
            }
        }
        this.dimension = d;
        this.frozenPrefix = prefix;
        List<Site> found = new ArrayList<>();
        Map<String, Integer> index = new HashMap<>();
        this.liveTokens = LiveTokens.of(graph);
        List<Shape> shapes = graph.blockShapes();
        for (int b = 0; b < graph.blocks().size(); b++) {
            Shape s = shapes.get(b);
            for (Layer l : graph.blocks().get(b).layers()) {
                s = collectSites(l, b, s, found, index);
            }
        }
        this.sites = Collections.unmodifiableList(found);
        this.siteByLayer = Map.copyOf(index);
    }

    private Shape collectSites(Layer l, int block, Shape in, List<Site> found, Map<String, Integer> index) {
        if (l instanceof Layer.Residual r) {
            Shape s = in;
            for (Layer inner : r.body()) {
                s = collectSites(inner, block, s, found, index);
            }
            return in;
        }
        if (l instanceof Layer.Attention a) {
            for (Layer.Linear p : a.projections()) {
                addSite(p, p.name(), block, in, found, index);
            }
            return in;
        }
        if (l instanceof Layer.Linear lin) {
            addSite(l, lin.name(), block, in, found, index);
        } else if (l instanceof Layer.Conv2d c) {
            addSite(l, c.name(), block, in, found, index);
        } else if (l instanceof Layer.PatchEmbed p) {
            addSite(l, p.name(), block, in, found, index);
        } else if (l instanceof Layer.LayerNorm n) {
            addSite(l, n.name(), block, in, found, index);
        }
        return l.output(in);
    }

    private void addSite(Layer l, String name, int block, Shape in, List<Site> found, Map<String, Integer> index) {
        boolean any = false;
        for (ParameterSpec p : l.parameters(in)) {
            any |= isTrainable(p.name());
        }
        if (any) {
            Shape out = l.output(in);
            int noisy = out.size();
            if (out.rank() == 2) {
                noisy = Math.min(liveTokens.getOrDefault(name, LiveTokens.ALL), out.dim(0)) * out.last();
            }
            index.put(name, found.size());
            found.add(new Site(found.size(), l, block, in, out, noisy));
        }
    }

    /**
     * A fine-tuning objective.
     *
     * @param graph the architecture
     * @param parameters the full parameter vector ({@link LayerGraph#parameterCount()} values): the frozen tensors'
     *     values, and the trainable tensors' starting values (copied)
     * @param trainable one flag per tensor ({@link Trainable#select})
     * @param features row-major {@code [n, graph.input().size()]} (not copied)
     * @param labels n labels in {@code [0, graph.classes())} (not copied)
     * @return the objective
     * @throws InvalidDataException if a length or a label does not fit the graph
     */
    public static GraphObjective of(LayerGraph graph, float[] parameters, boolean[] trainable, float[] features,
                                    int[] labels) {
        if (parameters.length != graph.parameterCount()) {
            throw new InvalidDataException("The graph has " + graph.parameterCount() + " parameters but "
                    + parameters.length + " values were given");
        }
        if (trainable.length != graph.tensors().size()) {
            throw new InvalidDataException("The trainable selection has " + trainable.length + " flags for "
                    + graph.tensors().size() + " tensors");
        }
        int in = graph.input().size();
        if (labels.length == 0 || (long) labels.length * in != features.length) {
            throw new InvalidDataException("Features have " + features.length + " values for " + labels.length
                    + " labels, but the graph's input " + graph.input() + " needs labels x " + in);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= graph.classes()) {
                throw new InvalidDataException("Label " + labels[i] + " of row " + i + " is outside [0, "
                        + graph.classes() + ") for " + graph);
            }
        }
        return new GraphObjective(graph, parameters.clone(), trainable.clone(), features, labels, null);
    }

    /**
     * The same objective (model, parameters, selection, data) whose {@link #losses} also reports how many rows each
     * call evaluates. {@link org.forward4j.estimator.CountingQueryEvaluator} hands estimators this instead of the
     * objective it wraps, so that rows evaluated behind the evaluator's back are counted while an activation-noise
     * estimator still sees a {@code GraphObjective} (a plain {@link Objective} guard would hide what it needs).
     *
     * @param rows told the row count of every {@code losses} call
     * @return the observed objective
     */
    public GraphObjective observed(java.util.function.IntConsumer rows) {
        return new GraphObjective(graph, parameters, trainable, features, labels, rows);
    }

    /**
     * The same model and parameters on other data (a test set).
     *
     * @param otherFeatures row-major features
     * @param otherLabels labels
     * @return the objective
     */
    public GraphObjective on(float[] otherFeatures, int[] otherLabels) {
        return of(graph, parameters, trainable, otherFeatures, otherLabels);
    }

    /**
     * The architecture.
     *
     * @return the graph
     */
    public LayerGraph graph() {
        return graph;
    }

    /**
     * Whether a tensor trains.
     *
     * @param tensor its name
     * @return true for a trainable tensor
     */
    public boolean isTrainable(String tensor) {
        LayerGraph.Tensor t = graph.tensor(tensor);
        return t != null && trainable[graph.tensors().indexOf(t)];
    }

    /**
     * A tensor's offset in θ.
     *
     * @param tensor its name
     * @return the offset, or -1 for a frozen tensor
     */
    public int thetaOffset(String tensor) {
        LayerGraph.Tensor t = graph.tensor(tensor);
        return t == null ? -1 : thetaOffset[graph.tensors().indexOf(t)];
    }

    /**
     * The trainable values the objective was built with: where training starts.
     *
     * @return a new θ
     */
    public float[] initial() {
        return gather(parameters);
    }

    /**
     * The full parameters for a θ: the frozen values with θ's tensors in place.
     *
     * @param theta the trainable values
     * @return a new full vector
     */
    public float[] expand(float[] theta) {
        float[] full = parameters.clone();
        expandInto(theta, full);
        return full;
    }

    /**
     * Writes θ's tensors into a full parameter vector (which holds the frozen values).
     *
     * @param theta the trainable values
     * @param full a full vector, updated in place
     */
    public void expandInto(float[] theta, float[] full) {
        List<LayerGraph.Tensor> tensors = graph.tensors();
        for (int t = 0; t < tensors.size(); t++) {
            if (thetaOffset[t] >= 0) {
                System.arraycopy(theta, thetaOffset[t], full, tensors.get(t).offset(), tensors.get(t).size());
            }
        }
    }

    /**
     * The trainable values of a full parameter vector.
     *
     * @param full the full vector
     * @return θ
     */
    public float[] gather(float[] full) {
        float[] theta = new float[dimension];
        List<LayerGraph.Tensor> tensors = graph.tensors();
        for (int t = 0; t < tensors.size(); t++) {
            if (thetaOffset[t] >= 0) {
                System.arraycopy(full, tensors.get(t).offset(), theta, thetaOffset[t], tensors.get(t).size());
            }
        }
        return theta;
    }

    /**
     * The noise sites, in graph order.
     *
     * @return an unmodifiable list
     */
    public List<Site> sites() {
        return sites;
    }

    /**
     * The site of a layer.
     *
     * @param layer the layer's name
     * @return the site's index, or -1 when the layer is not a site
     */
    public int siteIndex(String layer) {
        return siteByLayer.getOrDefault(layer, -1);
    }

    /**
     * How many leading tokens of a layer's output can change the loss ({@link LiveTokens}): with class-token
     * pooling, only the class token after the last attention. A backend may compute only those tokens there (and
     * the last attention's queries only for them); the loss is the same.
     *
     * @param layer a linear, layer-norm, patch-embedding or convolution layer's name (an attention projection's for
     *     attention)
     * @param tokens the tokens of the layer's output
     * @return the live leading tokens, at most {@code tokens}
     */
    public int liveTokens(String layer, int tokens) {
        return Math.min(liveTokens.getOrDefault(layer, LiveTokens.ALL), tokens);
    }

    /**
     * The number of leading blocks without a trainable tensor: their output is the same for every query of a point.
     *
     * @return the frozen prefix's length in blocks
     */
    public int frozenPrefix() {
        return frozenPrefix;
    }

    /**
     * Row-major features.
     *
     * @return the features (read-only)
     */
    public float[] features() {
        return features;
    }

    /**
     * The labels.
     *
     * @return one label per row (read-only)
     */
    public int[] labels() {
        return labels;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public int size() {
        return labels.length;
    }

    /** Evaluates rows one by one in plain Java ({@link GraphForward}); backends batch instead. */
    @Override
    public void losses(float[] theta, int[] rows, double[] out) {
        if (lossRows != null) {
            lossRows.accept(rows.length);
        }
        float[] full = expand(theta);
        for (int k = 0; k < rows.length; k++) {
            float[] logits = GraphForward.logits(this, full, rows[k], null, null);
            out[k] = Networks.softmaxCrossEntropy(logits, 0, logits.length, labels[rows[k]]);
        }
    }

    @Override
    public String toString() {
        return graph + ", " + String.format(java.util.Locale.ROOT, "%,d", dimension) + " trainable, on "
                + labels.length + " rows";
    }
}
