package org.forward4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.forward4j.cli.Runs;
import org.forward4j.core.Forward4j;
import org.forward4j.core.train.Trainer;
import org.forward4j.core.train.TrainingResult;
import org.forward4j.datasets.DatasetSplit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A real Spark cluster in this JVM ({@code local[2]}: two executor threads, tasks serialised as on a cluster): the
 * same seed gives the same parameters on the cluster as the single-machine trainer, bit for bit, with seed replay
 * (spsa, rge; shared and per-point directions; with a pilot round) and with gradient reduction (lr).
 */
class SparkLocalTest {

    private static JavaSparkContext jsc;

    @BeforeAll
    static void start() {
        jsc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("forward4j-test")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"));
    }

    @AfterAll
    static void stop() {
        if (jsc != null) {
            jsc.stop();
        }
    }

    static Map<String, String> small(String estimator, String allocator) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("estimator", estimator);
        m.put("allocator", allocator);
        m.put("hidden", "16");
        m.put("batch-size", "32");
        m.put("epochs", "1");
        m.put("train-limit", "192");
        m.put("test-limit", "100");
        m.put("progress", "false");
        m.put("seed", "3");
        m.put("learning-rate", "1e-2");
        return m;
    }

    static Forward4j engine(Map<String, String> settings) {
        return Forward4j.builder().environment(Map.of()).systemProperties(new Properties()).setAll(settings).build();
    }

    /** The parameters after the run, on one machine and on the cluster, and the cluster's exchange statistics. */
    record Pair(float[] local, float[] cluster, ExchangeStats stats, boolean replay) {
    }

    static Pair both(JavaSparkContext context, Map<String, String> settings) {
        return both(context, settings, null);
    }

    /** As above; {@code atStep} runs with the cluster backend after each step (to disturb the executors). */
    static Pair both(JavaSparkContext context, Map<String, String> settings,
                     java.util.function.BiConsumer<Long, SparkBackend> atStep) {
        Forward4j f4j = engine(settings);
        DatasetSplit split = Runs.data(f4j.training(), System.err).split();
        TrainingResult local;
        try (Trainer t = Runs.trainer(f4j, split)) {
            local = t.fit();
        }
        RunnerSettings rs = RunnerSettings.from(f4j.config());
        Cluster cluster = Cluster.attach(context, rs);
        TrainingResult remote;
        boolean replay;
        SparkRunner.Run run = SparkRunner.start(cluster, rs, f4j, split);
        try (Trainer t = run.trainer()) {
            remote = t.fit(new org.forward4j.core.train.TrainingListener() {
                @Override
                public void stepFinished(StepProgress progress) {
                    if (atStep != null) {
                        atStep.accept(progress.step(), run.backend());
                    }
                }
            });
            replay = run.backend().trainEvaluator().replaying();
        }
        assertThat(remote.trainingQueries()).isEqualTo(local.trainingQueries());
        return new Pair(local.parameters(), remote.parameters(), cluster.stats, replay);
    }

    static void assertBitIdentical(float[] want, float[] got, String what) {
        assertThat(got).as(what).hasSameSizeAs(want);
        for (int k = 0; k < want.length; k++) {
            if (Float.floatToRawIntBits(want[k]) != Float.floatToRawIntBits(got[k])) {
                throw new AssertionError(what + ": parameter " + k + " is " + got[k] + " on the cluster but "
                        + want[k] + " on one machine");
            }
        }
    }

    @ParameterizedTest(name = "{0}:{2} {1}")
    @CsvSource({"spsa,uniform,shared", "spsa,optimal,per-point", "rge,neyman,shared", "spsa,uniform,shared-rademacher"})
    void seedReplayEndsWithTheSingleMachineParametersBitForBit(String estimator, String allocator, String mode) {
        Map<String, String> s = small(estimator, allocator);
        s.put("estimator.directions", mode.startsWith("shared") ? "shared" : "per-point");
        if (mode.endsWith("rademacher")) {
            s.put("estimator.distribution", "rademacher");
        }
        s.put("queries-per-point", estimator.equals("rge") ? "5" : "8");
        Pair p = both(jsc, s);
        assertBitIdentical(p.local(), p.cluster(), estimator + " " + allocator + " " + mode);
        assertThat(p.replay()).as("seed replay in use").isTrue();
        // 192 rows / 32 = 6 steps, each one job (two with a pilot round), parameters never fetched after the start
        Map<Long, ExchangeStats.Step> steps = p.stats().steps();
        assertThat(steps).hasSize(6);
        for (Map.Entry<Long, ExchangeStats.Step> e : steps.entrySet()) {
            if (e.getKey() > 0) {
                assertThat(e.getValue().fetched()).as("broadcast bytes fetched at step %d", e.getKey()).isZero();
            }
        }
    }

    @ParameterizedTest(name = "lr {0}")
    @CsvSource({"uniform", "optimal"})
    void gradientReductionEndsWithTheSingleMachineParametersBitForBit(String allocator) {
        Map<String, String> s = small("lr", allocator);
        s.put("queries-per-point", "8");
        Pair p = both(jsc, s);
        assertBitIdentical(p.local(), p.cluster(), "lr " + allocator);
        assertThat(p.replay()).as("lr has no direction terms: parameters are broadcast").isFalse();
        // a step is an evaluation job and a reduction job (twice with a pilot round); the chunks' terms come back
        long d = 784 * 16 + 16 + 16 * 10 + 10;
        for (ExchangeStats.Step step : p.stats().steps().values()) {
            assertThat(step.jobs()).isEqualTo(allocator.equals("uniform") ? 2 : 4);
            assertThat(step.up()).as("bytes up, at least one gradient of %d floats", d).isGreaterThan(4 * d);
        }
    }

    @org.junit.jupiter.api.Test
    void anExecutorThatLostItsStateRebuildsItsReplicaFromTheBaseByReplayingTheLoggedUpdates() {
        Map<String, String> s = small("spsa", "uniform");
        s.put("queries-per-point", "8");
        s.put("epochs", "2");
        s.put("runner.rebase-every", "4");
        // after 7 steps the executors forget everything, as a replacement executor knows nothing: the next step
        // must rebuild the replica from the base of step 4 and replay the updates of steps 4, 5 and 6
        Pair p = both(jsc, s, (step, backend) -> {
            if (step == 7) {
                ExecutorRuntime.forget(backend.runId());
            }
        });
        assertBitIdentical(p.local(), p.cluster(), "spsa with executor state lost after step 7");
        ExchangeStats.Step rebuilt = p.stats().steps().get(7L);
        assertThat(rebuilt.jobs()).as("the stale answer and the rerun with the full log").isEqualTo(2);
        assertThat(rebuilt.fetched()).as("the base (parameters and Adam moments) was fetched")
                .isGreaterThanOrEqualTo(3L * 4 * (784 * 16 + 16 + 16 * 10 + 10));
        for (long step : List.of(5L, 6L, 8L, 9L)) {
            assertThat(p.stats().steps().get(step).jobs()).as("jobs at step %d", step).isEqualTo(1);
        }
    }

    /** Mean bytes exchanged per step, the first step (start-up) left out. */
    static double bytesPerStep(ExchangeStats stats) {
        return stats.steps().entrySet().stream().filter(e -> e.getKey() > 0)
                .mapToLong(e -> e.getValue().bytes()).average().orElseThrow();
    }

    @org.junit.jupiter.api.Test
    void bytesPerStepAreConstantInTheModelSizeForSeedReplayAndLinearForGradientReduction() {
        double[] replay = new double[2];
        double[] reduction = new double[2];
        String[] hidden = {"16", "160"}; // 12,730 and 127,210 parameters
        for (int k = 0; k < 2; k++) {
            Map<String, String> s = small("spsa", "uniform");
            s.put("hidden", hidden[k]);
            s.put("queries-per-point", "8");
            replay[k] = bytesPerStep(both(jsc, s).stats());
            Map<String, String> l = small("lr", "uniform");
            l.put("hidden", hidden[k]);
            l.put("queries-per-point", "8");
            reduction[k] = bytesPerStep(both(jsc, l).stats());
        }
        System.out.printf(java.util.Locale.ROOT, "bytes/step: seed replay %.0f / %.0f, gradient reduction %.0f / %.0f "
                + "(hidden 16 / 160)%n", replay[0], replay[1], reduction[0], reduction[1]);
        assertThat(replay[1]).as("seed replay: the same bytes for a 10x larger model").isCloseTo(replay[0],
                org.assertj.core.data.Percentage.withPercentage(1));
        assertThat(replay[0]).as("seed replay: scalars only").isLessThan(20_000);
        assertThat(reduction[1] / reduction[0]).as("gradient reduction grows with the model").isBetween(8.0, 11.0);
    }

    @org.junit.jupiter.api.Test
    void aReplicaThatDiffersByOneBitStopsTheRunWithAClearError() {
        Map<String, String> s = small("spsa", "uniform");
        s.put("queries-per-point", "8");
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> both(jsc, s, (step, backend) -> {
            if (step == 3) { // after 3 steps, flip the lowest bit of one parameter of the executors' replica:
                // the update of step 2 applied to it gives parameters whose hash the driver rejects at step 3
                try {
                    java.lang.reflect.Field runs = ExecutorRuntime.class.getDeclaredField("RUNS");
                    runs.setAccessible(true);
                    Object rt = ((Map<?, ?>) runs.get(null)).get(backend.runId());
                    java.lang.reflect.Field replica = ExecutorRuntime.class.getDeclaredField("replica");
                    replica.setAccessible(true);
                    float[] p = (float[]) replica.get(rt);
                    p[17] = Float.intBitsToFloat(Float.floatToRawIntBits(p[17]) ^ 1);
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
            }
        }));
        assertThat(thrown).isNotNull();
        assertThat(thrown).hasStackTraceContaining("runner spark: at step 3 the executor")
                .hasStackTraceContaining("evaluated with parameters that differ from the driver's");
    }
}
