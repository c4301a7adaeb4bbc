package org.forward4j.estimator.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.Networks;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.InvalidConfigurationException;
import org.junit.jupiter.api.Test;

/** Shapes, layout, selections and the reference forward of layer graphs, checked against hand computations. */
class LayerGraphTest {

    private static float[] gaussian(int n, int seed, float scale) {
        float[] v = new float[n];
        new NoiseStream(seed, 0, 3, 3).fill(NoiseStream.Distribution.GAUSSIAN, v, 0, n, 0);
        for (int i = 0; i < n; i++) {
            v[i] *= scale;
        }
        return v;
    }

    @Test
    void anMlpGraphHasTheDenseNetworksLayoutAndLosses() {
        DenseNetwork net = new DenseNetwork(new int[] {5, 4, 3}, Activation.TANH);
        LayerGraph g = LayerGraph.mlp(net);
        assertThat(g.parameterCount()).isEqualTo(net.dimension());
        assertThat(g.tensor("layers.1.weight").offset()).isEqualTo(net.weightOffset(1));
        assertThat(g.tensor("layers.1.bias").offset()).isEqualTo(net.biasOffset(1));
        assertThat(g.asDenseNetwork()).contains(net);
        float[] theta = gaussian(net.dimension(), 1, 0.5f);
        float[] x = gaussian(5 * 7, 2, 1f);
        int[] y = {0, 1, 2, 0, 1, 2, 0};
        GraphObjective o = GraphObjective.of(g, theta, Trainable.select("all", g), x, y);
        double[] got = new double[7];
        o.losses(theta, new int[] {0, 1, 2, 3, 4, 5, 6}, got);
        double[] want = new double[7];
        Networks.objective(net, x, y).losses(theta, new int[] {0, 1, 2, 3, 4, 5, 6}, want);
        assertThat(got).containsExactly(want, within(1e-6));
    }

    @Test
    void shapesAreCheckedWithTheLayerNamed() {
        assertThatThrownBy(() -> new LayerGraph(Shape.image(1, 8, 8), List.of(new Block("b", List.of(
                new Layer.Linear("fc", 64, 3)))), 3))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Block 'b': linear 'fc' (64 -> 3) cannot take input [1, 8, 8]: it needs a vector or tokens "
                        + "of width 64");
        assertThatThrownBy(() -> new LayerGraph(Shape.vector(4), List.of(new Block("b", List.of(
                new Layer.Linear("fc", 4, 5)))), 3))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("must end in the 3 class");
        assertThatThrownBy(() -> new LayerGraph(Shape.vector(4), List.of(new Block("a", List.of(
                new Layer.Linear("fc", 4, 4))), new Block("b", List.of(new Layer.Linear("fc", 4, 3)))), 3))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("named 'fc.weight'");
    }

    private static LayerGraph tinyVit() {
        Shape image = Shape.image(2, 4, 4);
        return new LayerGraph(image, List.of(
                new Block("embed", List.of(new Layer.PatchEmbed("embed", 2, 2, 6), new Layer.ClassToken("cls", 6),
                        new Layer.PositionEmbed("pos", 5, 6))),
                new Block("blocks.0", List.of(new Layer.Residual(List.of(new Layer.LayerNorm("ln", 6),
                        new Layer.Attention("attn", 6, 2))))),
                new Block("head", List.of(new Layer.TokenPool(Layer.TokenPool.Kind.MEAN), new Layer.Linear("fc", 6, 3)))),
                3);
    }

    @Test
    void selectionsPickTheirTensorsAndTheFrozenPrefix() {
        LayerGraph g = tinyVit();
        float[] p = gaussian(g.parameterCount(), 4, 0.3f);
        float[] x = gaussian(2 * 16 * 3, 5, 1f);
        int[] y = {0, 1, 2};
        GraphObjective head = GraphObjective.of(g, p, Trainable.select("head", g), x, y);
        assertThat(head.dimension()).isEqualTo(6 * 3 + 3);
        assertThat(head.frozenPrefix()).isEqualTo(2);
        assertThat(head.sites()).extracting(GraphObjective.Site::name).containsExactly("fc");
        GraphObjective last2 = GraphObjective.of(g, p, Trainable.select("last:2", g), x, y);
        assertThat(last2.sites()).extracting(GraphObjective.Site::name)
                .containsExactly("ln", "attn.q", "attn.k", "attn.v", "attn.o", "fc");
        assertThat(last2.frozenPrefix()).isEqualTo(1);
        GraphObjective biases = GraphObjective.of(g, p, Trainable.select("biases", g), x, y);
        assertThat(biases.dimension()).isEqualTo(6 + 6 + 4 * 6 + 3);
        GraphObjective named = GraphObjective.of(g, p, Trainable.select("names:attn\\.(q|v)\\.weight", g), x, y);
        assertThat(named.dimension()).isEqualTo(2 * 36);
        float[] theta = named.initial();
        assertThat(named.expand(theta)).containsExactly(p);
        assertThatThrownBy(() -> Trainable.select("last:4", g)).hasMessageContaining("K must be in 1..3");
        assertThatThrownBy(() -> Trainable.select("bias", g)).hasMessageContaining("(did you mean 'biases'?)");
        assertThatThrownBy(() -> Trainable.select("names:nothing", g)).hasMessageContaining("matches no tensor");
    }

    /**
     * Noise goes only where it can change the loss: after the last attention of a class-pooled transformer only the
     * class token reaches the head, so the query and output projections, the MLP and the layer norms after it are
     * noisy at token 0 alone; keys and values feed every token's mixture and stay noisy everywhere, and so does
     * everything before the last attention. A mean-pooled graph keeps every token.
     */
    @Test
    void siteNoiseCoversOnlyTheTokensThatReachTheLoss() {
        java.util.function.Function<Layer.TokenPool.Kind, LayerGraph> vit = pool -> new LayerGraph(
                Shape.image(1, 4, 4), List.of(
                new Block("embed", List.of(new Layer.PatchEmbed("embed", 1, 2, 4), new Layer.ClassToken("cls", 4),
                        new Layer.PositionEmbed("pos", 5, 4))),
                block("b0"), block("b1"),
                new Block("norm", List.of(new Layer.LayerNorm("norm", 4), new Layer.TokenPool(pool))),
                new Block("head", List.of(new Layer.Linear("head", 4, 3)))), 3);
        LayerGraph g = vit.apply(Layer.TokenPool.Kind.CLASS);
        GraphObjective o = GraphObjective.of(g, gaussian(g.parameterCount(), 4, 0.3f),
                Trainable.select("all", g), gaussian(2 * 16, 5, 1f), new int[] {0, 1});
        java.util.Map<String, Integer> noisy = new java.util.LinkedHashMap<>();
        for (GraphObjective.Site site : o.sites()) {
            noisy.put(site.name(), site.noisy());
            assertThat(site.noisy()).as(site.name()).isLessThanOrEqualTo(site.out().size());
        }
        // 5 tokens: 4 patches and the class token; width 4, MLP width 8
        assertThat(noisy).containsExactly(java.util.Map.entry("embed", 16),
                java.util.Map.entry("b0.ln1", 20), java.util.Map.entry("b0.attn.q", 20),
                java.util.Map.entry("b0.attn.k", 20), java.util.Map.entry("b0.attn.v", 20),
                java.util.Map.entry("b0.attn.o", 20), java.util.Map.entry("b0.ln2", 20),
                java.util.Map.entry("b0.mlp1", 40), java.util.Map.entry("b0.mlp2", 20),
                java.util.Map.entry("b1.ln1", 20), java.util.Map.entry("b1.attn.q", 4),
                java.util.Map.entry("b1.attn.k", 20), java.util.Map.entry("b1.attn.v", 20),
                java.util.Map.entry("b1.attn.o", 4), java.util.Map.entry("b1.ln2", 4),
                java.util.Map.entry("b1.mlp1", 8), java.util.Map.entry("b1.mlp2", 4),
                java.util.Map.entry("norm", 4), java.util.Map.entry("head", 3));
        LayerGraph mean = vit.apply(Layer.TokenPool.Kind.MEAN);
        GraphObjective m = GraphObjective.of(mean, gaussian(mean.parameterCount(), 4, 0.3f),
                Trainable.select("all", mean), gaussian(2 * 16, 5, 1f), new int[] {0, 1});
        assertThat(m.sites()).allSatisfy(site -> assertThat(site.noisy()).as(site.name())
                .isEqualTo(site.out().size()));
    }

    private static Block block(String b) {
        return new Block(b, List.of(
                new Layer.Residual(List.of(new Layer.LayerNorm(b + ".ln1", 4), new Layer.Attention(b + ".attn", 4, 2))),
                new Layer.Residual(List.of(new Layer.LayerNorm(b + ".ln2", 4), new Layer.Linear(b + ".mlp1", 4, 8),
                        new Layer.Act(Layer.Act.Fn.GELU), new Layer.Linear(b + ".mlp2", 8, 4)))));
    }

    @Test
    void theReferenceAttentionMatchesAHandComputation() {
        // one head, two tokens of width 2, identity projections: softmax(QK^T / sqrt 2) V
        LayerGraph g = new LayerGraph(Shape.tokens(2, 2), List.of(new Block("a", List.of(
                new Layer.Attention("attn", 2, 1), new Layer.TokenPool(Layer.TokenPool.Kind.CLASS),
                new Layer.Linear("fc", 2, 2)))), 2);
        float[] p = new float[g.parameterCount()];
        for (String m : new String[] {"q", "k", "v", "o"}) {
            int w = g.tensor("attn." + m + ".weight").offset();
            p[w] = 1f;
            p[w + 3] = 1f;
        }
        int fc = g.tensor("fc.weight").offset();
        p[fc] = 1f;
        p[fc + 3] = 1f;
        float[] x = {1f, 0f, 0f, 2f};
        GraphObjective o = GraphObjective.of(g, p, Trainable.select("all", g), x, new int[] {0});
        float[] logits = GraphForward.logits(o, p, 0, null, null);
        double s00 = 1 / Math.sqrt(2);
        double s01 = 0;
        double a = Math.exp(s00) / (Math.exp(s00) + Math.exp(s01));
        assertThat(logits[0]).isCloseTo((float) (a * 1 + (1 - a) * 0), within(1e-6f));
        assertThat(logits[1]).isCloseTo((float) (a * 0 + (1 - a) * 2), within(1e-6f));
    }
}
