package org.forward4j.backprop;

import static org.assertj.core.api.Assertions.assertThat;

import org.forward4j.backend.cpu.Nd4jSetup;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.graph.GraphForward;
import org.forward4j.estimator.graph.GraphObjective;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The SameDiff graph of a layer graph computes what the plain-Java reference forward computes (every layer kind,
 * per-row losses within 1e-5 relative), its gradient is the derivative of that function (central finite differences
 * in double), and frozen tensors are constants that never appear in θ.
 */
class LayerGraphSdTest {

    @BeforeAll
    static void nd4j() {
        Nd4jSetup.init();
    }

    @ParameterizedTest
    @EnumSource(TinyGraphs.Kind.class)
    void lossesEqualTheReferenceForward(TinyGraphs.Kind kind) {
        int n = 9;
        GraphObjective o = TinyGraphs.objective(kind, "all", n);
        float[] theta = o.initial();
        LayerGraphSd sd = LayerGraphSd.build(o, theta, DataType.FLOAT);
        assertThat(sd.theta()).as("θ round trip").containsExactly(theta);
        double[] logits = sd.logits(TinyGraphs.range(n));
        float[] full = o.expand(theta);
        int c = o.graph().classes();
        double worst = 0;
        double mean = 0;
        for (int r = 0; r < n; r++) {
            float[] ref = GraphForward.logits(o, full, r, null, null);
            double want = Networks.softmaxCrossEntropy(ref, 0, c, o.labels()[r]);
            float[] got = new float[c];
            for (int k = 0; k < c; k++) {
                got[k] = (float) logits[r * c + k];
            }
            double have = Networks.softmaxCrossEntropy(got, 0, c, o.labels()[r]);
            worst = Math.max(worst, Math.abs(have - want) / Math.max(1e-3, Math.abs(want)));
            mean += want / n;
        }
        double batch = sd.loss(TinyGraphs.range(n));
        System.out.printf("parity %s: largest relative per-row loss difference %.2e over %d rows, batch loss %.6f "
                + "vs %.6f (seed %d)%n", kind, worst, n, batch, mean, TinyGraphs.SEED);
        assertThat(worst).as("%s, seed %d: per-row loss, SameDiff vs GraphForward", kind, TinyGraphs.SEED)
                .isLessThan(1e-5);
        assertThat(Math.abs(batch - mean) / mean).as("%s: batch-mean loss", kind).isLessThan(1e-5);
    }

    /**
     * The gradient is the derivative of the graph's own loss: central differences of the double-precision SameDiff
     * loss with steps of 1e-6 (the forward test above ties that loss to the reference forward; differences of the
     * float reference forward itself are too coarse near the kinks of ReLU and max pooling).
     */
    @ParameterizedTest
    @EnumSource(TinyGraphs.Kind.class)
    void gradientMatchesFiniteDifferencesOfTheGraphsLoss(TinyGraphs.Kind kind) {
        int n = 5;
        int[] rows = TinyGraphs.range(n);
        GraphObjective o = TinyGraphs.objective(kind, "all", n);
        LayerGraphSd sd = LayerGraphSd.build(o, o.initial(), DataType.DOUBLE);
        double[] g = sd.gradient(rows);
        double h = 1e-6;
        double worst = 0;
        for (String name : sd.variables()) {
            org.nd4j.linalg.api.ndarray.INDArray a = sd.sameDiff().getArrForVarName(name);
            org.nd4j.linalg.api.ndarray.INDArray flat = a.reshape(a.length());
            for (int k = 0; k < a.length(); k++) {
                double keep = flat.getDouble(k);
                flat.putScalar(k, keep + h);
                double up = sd.loss(rows);
                flat.putScalar(k, keep - h);
                double down = sd.loss(rows);
                flat.putScalar(k, keep);
                double fd = (up - down) / (2 * h);
                double gk = g[o.thetaOffset(name) + k];
                worst = Math.max(worst, Math.abs(gk - fd) / Math.max(1e-2, Math.abs(fd)));
            }
        }
        System.out.printf("gradient %s: largest relative difference to central differences %.2e over %d "
                + "parameters (seed %d)%n", kind, worst, g.length, TinyGraphs.SEED);
        assertThat(worst).as("%s, seed %d: autodiff vs central differences", kind, TinyGraphs.SEED)
                .isLessThan(1e-6);
    }

    @ParameterizedTest
    @CsvSource({"VIT, head", "VIT, biases", "CNN, last:2", "VIT, names:b0\\.attn\\.(q|v)\\.weight|cls\\.token"})
    void frozenTensorsAreConstantsAndTheGradientCoversThetaOnly(TinyGraphs.Kind kind, String trainable) {
        int n = 4;
        GraphObjective all = TinyGraphs.objective(kind, "all", n);
        GraphObjective some = TinyGraphs.objective(kind, trainable, n);
        LayerGraphSd sd = LayerGraphSd.build(some, some.initial(), DataType.DOUBLE);
        for (String v : sd.variables()) {
            assertThat(some.isTrainable(v)).as(v).isTrue();
        }
        assertThat(sd.variables().size()).isLessThan(all.graph().tensors().size());
        double[] g = sd.gradient(TinyGraphs.range(n));
        double[] gAll = LayerGraphSd.build(all, all.initial(), DataType.DOUBLE).gradient(TinyGraphs.range(n));
        assertThat(g).hasSize(some.dimension());
        for (var t : some.graph().tensors()) {
            int at = some.thetaOffset(t.name());
            if (at < 0) {
                continue;
            }
            int from = all.thetaOffset(t.name());
            for (int k = 0; k < t.size(); k++) {
                assertThat(g[at + k]).as("%s[%d] of %s", t.name(), k, trainable)
                        .isCloseTo(gAll[from + k], org.assertj.core.data.Offset.offset(1e-9));
            }
        }
    }
}
