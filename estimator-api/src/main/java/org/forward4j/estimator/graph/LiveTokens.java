package org.forward4j.estimator.graph;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which tokens of each layer's output can change the loss: a backward pass over the graph. After class-token
 * pooling only token 0 reaches the head, so in the layers between the last attention and the pooling (the last
 * block's output projection and MLP, the final layer norm) and in the last attention's query projection, the other
 * tokens' outputs are dead. Noise there cannot move the loss; it only adds zero-mean terms to activation-noise
 * estimates (docs/method.md §8), so {@link GraphObjective.Site#noisy()} leaves it out.
 *
 * <p>The live tokens of a sequence are always a leading run {@code 0..m-1} here: pooling keeps token 0, attention
 * makes every input token live, a class token shifts the run by one, and per-token layers keep it. {@link #ALL}
 * stands for every token (and for outputs that are not token sequences).
 */
final class LiveTokens {

    /** Every token is live. */
    static final int ALL = Integer.MAX_VALUE;

    private LiveTokens() {
    }

    /**
     * The live leading tokens of the output of every layer that can be a noise site.
     *
     * @param graph the graph
     * @return the count per layer name ({@link #ALL}: every token)
     */
    static Map<String, Integer> of(LayerGraph graph) {
        Map<String, Integer> live = new HashMap<>();
        List<Shape> shapes = graph.blockShapes();
        int m = ALL;
        for (int b = graph.blocks().size() - 1; b >= 0; b--) {
            m = back(graph.blocks().get(b).layers(), shapes.get(b), m, live);
        }
        return live;
    }

    /** The live tokens of a layer sequence's input, given those of its output. */
    private static int back(List<Layer> layers, Shape in, int m, Map<String, Integer> live) {
        Shape[] inputs = new Shape[layers.size()];
        Shape s = in;
        for (int i = 0; i < layers.size(); i++) {
            inputs[i] = s;
            s = layers.get(i).output(s);
        }
        int out = m;
        for (int i = layers.size() - 1; i >= 0; i--) {
            out = back(layers.get(i), inputs[i], out, live);
        }
        return out;
    }

    /** The live tokens of one layer's input, given those of its output. */
    private static int back(Layer l, Shape in, int m, Map<String, Integer> live) {
        boolean tokens = in.rank() == 2;
        if (l instanceof Layer.Residual r) {
            // the skip passes the output's live tokens on; the body needs its own
            return Math.max(m, back(r.body(), in, m, live));
        } else if (l instanceof Layer.Attention a) {
            List<Layer.Linear> p = a.projections();
            int all = m == 0 ? 0 : ALL;
            live.put(p.get(0).name(), m);
            live.put(p.get(1).name(), all);
            live.put(p.get(2).name(), all);
            live.put(p.get(3).name(), m);
            return all;
        } else if (l instanceof Layer.TokenPool tp) {
            return tp.kind() == Layer.TokenPool.Kind.CLASS ? 1 : ALL;
        } else if (l instanceof Layer.ClassToken) {
            return m == ALL ? ALL : Math.max(0, m - 1);
        } else if (l instanceof Layer.Linear lin) {
            live.put(lin.name(), m);
            return tokens ? m : ALL;
        } else if (l instanceof Layer.LayerNorm n) {
            live.put(n.name(), m);
            return tokens ? m : ALL;
        } else if (l instanceof Layer.PatchEmbed pe) {
            live.put(pe.name(), m);
            return ALL;
        } else if (l instanceof Layer.Conv2d c) {
            live.put(c.name(), ALL);
            return ALL;
        } else if (l instanceof Layer.Act || l instanceof Layer.PositionEmbed) {
            return tokens ? m : ALL;
        }
        // pooling and flattening of images
        return ALL;
    }
}
