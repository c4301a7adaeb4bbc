package org.forward4j.backprop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.forward4j.backend.cpu.Nd4jSetup;
import org.forward4j.core.model.Mlp;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.noise.NoiseStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.MultiDataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.learning.config.Adam;

/** The SameDiff graph computes forward4j's MLP loss, its exact gradient, and SameDiff's own training update. */
class MlpGraphTest {

    private static final long SEED = 20240611L;

    @BeforeAll
    static void nd4j() {
        Nd4jSetup.init();
    }

    /** Gaussian values from the test's Philox stream; tensor tells apart the uses. */
    private static float[] gaussian(int n, int tensor, float scale) {
        float[] v = new float[n];
        new NoiseStream(SEED, 7, 0, tensor).fill(NoiseStream.Distribution.GAUSSIAN, v, 0, n, 0);
        for (int i = 0; i < n; i++) {
            v[i] *= scale;
        }
        return v;
    }

    /** Parameters with non-zero biases, so a bias landing in the wrong place shows. */
    private static float[] parameters(DenseNetwork net) {
        float[] theta = Mlp.initialParameters(net, SEED);
        float[] noise = gaussian(theta.length, 1, 0.3f);
        for (int l = 0; l < net.layers(); l++) {
            for (int k = net.biasOffset(l); k < net.biasOffset(l) + net.out(l); k++) {
                theta[k] = noise[k];
            }
        }
        return theta;
    }

    private static int[] labels(int n, int classes) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = (i * 7 + 3) % classes;
        }
        return y;
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    /** The batch-mean loss in double precision, written out independently of forward4j's code. */
    private static double referenceLoss(DenseNetwork net, double[] theta, float[] x, int[] y) {
        double total = 0;
        for (int r = 0; r < y.length; r++) {
            double[] h = new double[net.in(0)];
            for (int i = 0; i < h.length; i++) {
                h[i] = x[r * h.length + i];
            }
            for (int l = 0; l < net.layers(); l++) {
                double[] z = new double[net.out(l)];
                for (int o = 0; o < z.length; o++) {
                    double s = theta[net.biasOffset(l) + o];
                    for (int i = 0; i < h.length; i++) {
                        s += theta[net.weightOffset(l) + o * net.in(l) + i] * h[i];
                    }
                    boolean hidden = l < net.layers() - 1;
                    z[o] = !hidden ? s : switch (net.activation()) {
                        case RELU -> Math.max(0, s);
                        case TANH -> Math.tanh(s);
                        case IDENTITY -> s;
                    };
                }
                h = z;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (double v : h) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (double v : h) {
                sum += Math.exp(v - max);
            }
            total += max + Math.log(sum) - h[y[r]];
        }
        return total / y.length;
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void gradientMatchesCentralFiniteDifferences(Activation activation) {
        DenseNetwork net = new DenseNetwork(new int[] {5, 4, 3, 3}, activation);
        float[] theta = parameters(net);
        int n = 6;
        float[] x = gaussian(n * 5, 2, 1f);
        int[] y = labels(n, 3);
        SameDiff sd = MlpGraph.build(net, theta, DataType.DOUBLE);
        double[] g = MlpGraph.gradient(sd, net, MlpGraph.batch(x, y, range(n), 5, 3, DataType.DOUBLE));
        double[] t = new double[theta.length];
        for (int k = 0; k < t.length; k++) {
            t[k] = theta[k];
        }
        double h = 1e-6;
        double maxError = 0;
        for (int k = 0; k < t.length; k++) {
            double keep = t[k];
            t[k] = keep + h;
            double up = referenceLoss(net, t, x, y);
            t[k] = keep - h;
            double down = referenceLoss(net, t, x, y);
            t[k] = keep;
            double fd = (up - down) / (2 * h);
            // central differences are exact to O(h^2) ~ 1e-12 plus rounding ~ 1e-16 / h ~ 1e-10
            maxError = Math.max(maxError, Math.abs(g[k] - fd) / Math.max(1, Math.abs(fd)));
        }
        assertThat(maxError).as("seed %d, %s: largest relative gradient error over %d parameters", SEED,
                activation, t.length).isLessThan(1e-7);
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void forwardLossEqualsForward4jLossAndLayoutRoundTrips(Activation activation) {
        // non-square layers: a transposed or column-major W would change the values, not only fail on shapes
        DenseNetwork net = new DenseNetwork(new int[] {7, 5, 4, 3}, activation);
        float[] theta = parameters(net);
        int n = 9;
        float[] x = gaussian(n * 7, 3, 1f);
        int[] y = labels(n, 3);
        SameDiff sd = MlpGraph.build(net, theta, DataType.FLOAT);
        assertThat(MlpGraph.parameters(sd, net)).as("flat layout round trip").containsExactly(theta);
        double graphLoss = MlpGraph.loss(sd, MlpGraph.batch(x, y, range(n), 7, 3, DataType.FLOAT));
        NetworkObjective objective = Networks.objective(net, x, y);
        double[] losses = new double[n];
        objective.losses(theta, range(n), losses);
        double mean = 0;
        for (double l : losses) {
            mean += l / n;
        }
        assertThat(graphLoss).as("seed %d, %s: SameDiff vs Networks.loss", SEED, activation)
                .isCloseTo(mean, within(1e-5 * Math.max(1, mean)));
        assertThat(graphLoss).as("seed %d, %s: SameDiff vs the plain-Java clean evaluation", SEED, activation)
                .isCloseTo(org.forward4j.estimator.Networks.metrics(objective, theta).loss(),
                        within(1e-5 * Math.max(1, mean)));
    }

    @Test
    void stepsMakeExactlySameDiffsFitUpdate() {
        DenseNetwork net = new DenseNetwork(new int[] {6, 5, 4}, Activation.RELU);
        float[] theta = parameters(net);
        int rows = 40;
        float[] x = gaussian(rows * 6, 4, 1f);
        int[] y = labels(rows, 4);
        SameDiff fitted = MlpGraph.build(net, theta, DataType.FLOAT);
        fitted.setTrainingConfig(new org.nd4j.autodiff.samediff.TrainingConfig.Builder().updater(new Adam(1e-2))
                .dataSetFeatureMapping(MlpGraph.FEATURES).dataSetLabelMapping(MlpGraph.LABELS).build());
        SameDiff stepped = MlpGraph.build(net, theta, DataType.FLOAT);
        GraphTrainer trainer = new GraphTrainer(stepped, net, new Adam(1e-2));
        for (int epoch = 0; epoch < 3; epoch++) {
            EpochBatches batches = new EpochBatches(x, y, 6, 4, 8, SEED, epoch);
            fitted.fit(new Iterator(batches), 1);
            for (int s = 0; s < batches.batches(); s++) {
                trainer.step(batches.batch(s), epoch);
            }
        }
        assertThat(trainer.iterations()).isEqualTo(15);
        assertThat(MlpGraph.parameters(stepped, net)).as("seed %d: parameters after 3 epochs", SEED)
                .containsExactly(MlpGraph.parameters(fitted, net))
                .isNotEqualTo(theta);
    }

    @Test
    void epochBatchesFollowTheTrainersOrderAndDropThePartialBatch() {
        int[] y = labels(23, 3);
        EpochBatches batches = new EpochBatches(new float[23 * 2], y, 2, 3, 5, SEED, 4);
        int[] order = org.forward4j.core.train.Trainer.permutation(23, SEED, 4);
        assertThat(batches.batches()).isEqualTo(4);
        List<Integer> seen = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            for (int r : batches.rows(s)) {
                seen.add(r);
            }
        }
        for (int i = 0; i < 20; i++) {
            assertThat(seen.get(i)).isEqualTo(order[i]);
        }
        Map<String, INDArray> b = batches.batch(1);
        assertThat(b.get(MlpGraph.LABELS).shape()).containsExactly(5, 3);
        assertThat(b.get(MlpGraph.LABELS).getFloat(0, y[order[5]])).isEqualTo(1f);
        assertThat(b.get(MlpGraph.LABELS).sumNumber().intValue()).isEqualTo(5);
    }

    /** Feeds an epoch's batches to SameDiff's fit. */
    private static final class Iterator implements MultiDataSetIterator {
        private static final long serialVersionUID = 1L;
        private final transient EpochBatches batches;
        private int next;

        Iterator(EpochBatches batches) {
            this.batches = batches;
        }

        @Override
        public boolean hasNext() {
            return next < batches.batches();
        }

        @Override
        public MultiDataSet next() {
            Map<String, INDArray> b = batches.batch(next++);
            return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {b.get(MlpGraph.FEATURES)},
                    new INDArray[] {b.get(MlpGraph.LABELS)});
        }

        @Override
        public MultiDataSet next(int num) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void setPreProcessor(MultiDataSetPreProcessor preProcessor) {
            throw new UnsupportedOperationException();
        }

        @Override
        public MultiDataSetPreProcessor getPreProcessor() {
            return null;
        }

        @Override
        public boolean resetSupported() {
            return true;
        }

        @Override
        public boolean asyncSupported() {
            return false;
        }

        @Override
        public void reset() {
            next = 0;
        }
    }
}
