package org.forward4j.backprop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.forward4j.core.model.Mlp;
import org.forward4j.core.train.EvalRecord;
import org.forward4j.core.train.TrainingConfig;
import org.forward4j.datasets.Dataset;
import org.forward4j.datasets.DatasetSplit;
import org.forward4j.datasets.Datasets;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.InvalidDataException;
import org.forward4j.plugin.Settings;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.schedule.StepSchedule;

/** Backprop on bundled MNIST: it learns, records like the forward trainer, and is reproducible. */
class BackpropReferenceTest {

    private static DatasetSplit mnist;
    private static DenseNetwork net;

    @BeforeAll
    static void data() {
        mnist = Datasets.load("mnist").limit(1000, 500);
        net = Mlp.network(784, new int[] {64}, 10, Activation.RELU);
    }

    private static BackpropReference.Result train(long seed, int epochs, int threads, List<EvalRecord> seen) {
        Dataset tr = mnist.train();
        Dataset te = mnist.test();
        return BackpropReference.train(net, Mlp.initialParameters(net, seed), tr.features(), tr.labels(),
                te.features(), te.labels(), epochs, 16, new Adam(3e-3), seed, threads,
                seen == null ? null : seen::add);
    }

    @Test
    void learnsBundledMnistAndRecordsEveryEpoch() {
        long seed = 1;
        List<EvalRecord> seen = new ArrayList<>();
        BackpropReference.Result r = train(seed, 2, 1, seen);
        assertThat(r.records()).as("records handed to the listener").isEqualTo(seen).hasSize(3);
        EvalRecord start = r.records().get(0);
        assertThat(start.epoch()).isZero();
        assertThat(start.trainLoss()).isNaN();
        assertThat(start.testAccuracy()).as("seed %d: untrained", seed).isLessThan(0.3);
        // 1000 rows / 16 = 62 steps per epoch, the 8 rows left over are dropped as the forward trainer does
        assertThat(r.records().get(1).step()).isEqualTo(62);
        assertThat(r.steps()).isEqualTo(124);
        assertThat(r.rowsProcessed()).isEqualTo(124 * 16);
        assertThat(r.last().queries()).as("rows processed, not queries").isEqualTo(124 * 16);
        assertThat(r.last().epoch()).isEqualTo(2);
        assertThat(r.records().get(2).trainLoss()).isLessThan(r.records().get(1).trainLoss());
        assertThat(r.last().wallSeconds()).isGreaterThan(r.records().get(1).wallSeconds())
                .isGreaterThan(0);
        // 500 test rows: the standard error at ~86% is 1.6 points, so 80% is more than 3 below the expectation
        assertThat(r.last().testAccuracy()).as("seed %d: test accuracy after 2 epochs", seed).isGreaterThan(0.80);
        org.forward4j.estimator.EvaluationMetrics again;
        try (org.forward4j.backend.Backend cpu = new org.forward4j.backend.cpu.CpuBackendProvider()
                .create(org.forward4j.plugin.Settings.empty())) {
            again = cpu.evaluator(org.forward4j.estimator.Networks.objective(net, mnist.test().features(),
                    mnist.test().labels())).evaluateClean(r.parameters());
        }
        assertThat(again.accuracy()).as("final parameters are the ones scored").isEqualTo(r.last().testAccuracy());
        assertThat(r.memory().peakHeapBytes()).isPositive();
        assertThat(r.memory().peakRssBytes()).isGreaterThanOrEqualTo(r.memory().baselineRssBytes()).isPositive();
        assertThat(r.threads()).isEqualTo(1);
    }

    @Test
    void sameSeedGivesBitIdenticalRunsOnOneThread() {
        long seed = 5;
        BackpropReference.Result a = train(seed, 1, 1, null);
        BackpropReference.Result b = train(seed, 1, 1, null);
        assertThat(b.parameters()).as("seed %d", seed).containsExactly(a.parameters());
        assertThat(b.last().trainLoss()).isEqualTo(a.last().trainLoss());
        assertThat(b.last().testLoss()).isEqualTo(a.last().testLoss());
        BackpropReference.Result other = train(seed + 1, 1, 1, null);
        assertThat(other.parameters()).as("another seed changes initialisation and order")
                .isNotEqualTo(a.parameters());
    }

    @Test
    void invalidSetupsFailWithOneClearMessage() {
        Dataset tr = mnist.train();
        float[] theta = Mlp.initialParameters(net, 1);
        assertThatThrownBy(() -> BackpropReference.train(net, new float[3], tr.features(), tr.labels(), null, null,
                0, 2000, 1e-3, 1, null))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Backprop reference: initial parameters have length 3 but mlp 784-64-10 (relu) has "
                        + "50890 parameters; epochs=0 must be at least 1; batch-size=2000 must be between 1 and "
                        + "the 1000 training rows");
        assertThatThrownBy(() -> BackpropReference.train(net, theta, tr.features(), tr.labels(),
                mnist.test().features(), null, 1, 16, 1e-3, 1, null))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("Give both test features and test labels, or neither (got features only)");
        assertThatThrownBy(() -> BackpropReference.train(net, theta, new float[784 * 2], new int[] {1, 10}, null,
                null, 1, 1, 1e-3, 1, null))
                .isInstanceOf(InvalidDataException.class)
                .hasMessage("Label 10 of row 1 is outside [0, 10) for mlp 784-64-10 (relu)");
    }

    @Test
    void updaterFollowsTheTrainingConfig() {
        IUpdater adam = BackpropReference.updater(config("learning-rate", "0.002"));
        assertThat(adam).isInstanceOf(Adam.class);
        assertThat(((Adam) adam).getLearningRate()).isEqualTo(0.002);
        IUpdater sgd = BackpropReference.updater(config("optimizer", "sgd", "learning-rate", "0.1"));
        assertThat(sgd).isInstanceOf(Sgd.class);
        assertThat(((Sgd) sgd).getLearningRate()).isEqualTo(0.1);
        IUpdater momentum = BackpropReference.updater(config("optimizer", "momentum", "momentum", "0.8"));
        assertThat(momentum).isInstanceOf(Nesterovs.class);
        assertThat(((Nesterovs) momentum).getMomentum()).isEqualTo(0.8);
        IUpdater stepped = BackpropReference.updater(config("schedule", "step", "schedule-epochs", "2"));
        assertThat(((Adam) stepped).getLearningRateSchedule()).isInstanceOf(StepSchedule.class);
        assertThat(stepped.getLearningRate(0, 2)).isEqualTo(0.5e-3);
    }

    private static TrainingConfig config(String... keyValues) {
        String[] prefixed = new String[keyValues.length];
        for (int i = 0; i < keyValues.length; i++) {
            prefixed[i] = i % 2 == 0 ? "forward4j." + keyValues[i] : keyValues[i];
        }
        return TrainingConfig.from(Settings.of(prefixed));
    }
}
