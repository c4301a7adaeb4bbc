package org.forward4j.core.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.AbstractModule;
import com.google.inject.Module;
import com.google.inject.multibindings.MapBinder;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.forward4j.allocator.Allocation;
import org.forward4j.allocator.AllocationRequest;
import org.forward4j.allocator.PointStatistics;
import org.forward4j.allocator.QueryAllocator;
import org.forward4j.allocator.optimal.NeymanQueryAllocatorProvider;
import org.forward4j.allocator.spi.AllocatorCapability;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.backend.Backend;
import org.forward4j.backend.spi.BackendProvider;
import org.forward4j.core.Forward4j;
import org.forward4j.core.model.Mlp;
import org.forward4j.estimator.Activation;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.Settings;
import org.forward4j.plugin.UnsupportedCapabilityException;
import org.junit.jupiter.api.Test;

/**
 * The engine trains without any native library (the pure-Java {@code reference} backend, no ND4J on this module's
 * classpath), reads the capabilities plugins declare, and applies each step atomically.
 */
class TrainerTest {

    private static final long SEED = 5;
    private static final DenseNetwork NET = Mlp.network(8, new int[] {6}, 3, Activation.TANH);

    /** 96 points of 8 features labelled by a fixed linear rule, and 48 test points. */
    private static NetworkObjective data(int n, int seed) {
        float[] x = new float[n * 8];
        new NoiseStream(seed, 0, 1, 0).fill(NoiseStream.Distribution.GAUSSIAN, x, 0, x.length, 0);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            double a = x[i * 8] + x[i * 8 + 1] - x[i * 8 + 2];
            y[i] = a < -0.5 ? 0 : a < 0.5 ? 1 : 2;
        }
        return Networks.objective(NET, x, y);
    }

    private static Forward4j.Builder engine() {
        return Forward4j.builder().environment(Map.of()).systemProperties(new Properties()).set("backend", "reference")
                .set("batch-size", "16").set("queries-per-point", "8").set("seed", Long.toString(SEED))
                .set("learning-rate", "0.01").set("progress", "false");
    }

    @Test
    void nd4jIsNotOnTheEnginesClasspath() {
        assertThatThrownBy(() -> Class.forName("org.nd4j.linalg.factory.Nd4j"))
                .isInstanceOf(ClassNotFoundException.class);
    }

    @Test
    void trainsWithThePureJavaBackendSpendingExactlyTheBudget() {
        NetworkObjective train = data(96, 1);
        NetworkObjective test = data(48, 2);
        for (String[] combo : new String[][] {{"lr", "optimal"}, {"spsa", "uniform"}}) {
            Forward4j f4j = engine().set("estimator", combo[0]).set("allocator", combo[1]).set("epochs", "3").build();
            try (Trainer t = f4j.trainer(train, test, Mlp.initialParameters(NET, SEED))) {
                TrainingResult r = t.fit();
                assertThat(r.steps()).as("%s/%s: 3 epochs of 6 batches", combo[0], combo[1]).isEqualTo(18);
                assertThat(r.trainingQueries()).isEqualTo(18L * 16 * 8);
                assertThat(r.records()).hasSize(4);
                assertThat(r.last().testLoss()).as("%s/%s: test loss after training, seed %d", combo[0], combo[1],
                        SEED).isLessThan(r.records().get(0).testLoss());
                assertThat(r.provenance()).containsEntry("backend", "plain Java (reference)");
            }
        }
    }

    @Test
    void anEstimatorWithoutBlackBoxIsRefusedOnABlackBoxBeforeAnyQuery() {
        Objective box = new Objective() {
            @Override
            public int dimension() {
                return 2;
            }

            @Override
            public int size() {
                return 32;
            }

            @Override
            public void losses(float[] params, int[] rows, double[] out) {
                throw new AssertionError("no query may run");
            }

            @Override
            public String toString() {
                return "box";
            }
        };
        assertThatThrownBy(() -> engine().set("estimator", "lr").build().trainer(box, null, new float[2]))
                .isInstanceOf(UnsupportedCapabilityException.class)
                .hasMessage("Estimator 'lr' needs a native network objective (activation noise), but box is a black "
                        + "box; use spsa or rge");
    }

    @Test
    void aBackendWithoutActivationNoiseIsRefusedForLr() {
        BackendProvider weightsOnly = new BackendProvider() {
            @Override
            public String name() {
                return "weights-only";
            }

            @Override
            public int spiVersion() {
                return SPI_VERSION;
            }

            @Override
            public Availability availability() {
                return new Availability(true, false, "test");
            }

            @Override
            public Backend create(Settings settings) {
                return new Backend() {
                    @Override
                    public String device() {
                        return "test";
                    }

                    @Override
                    public QueryEvaluator evaluator(Objective objective) {
                        return new ReferenceQueryEvaluator(objective);
                    }
                };
            }
        };
        Module m = new AbstractModule() {
            @Override
            protected void configure() {
                MapBinder.newMapBinder(binder(), String.class, BackendProvider.class).addBinding("weights-only")
                        .toInstance(weightsOnly);
            }
        };
        Forward4j f4j = engine().module(m).set("backend", "weights-only").set("estimator", "lr").build();
        assertThatThrownBy(() -> f4j.trainer(data(96, 1), null, Mlp.initialParameters(NET, SEED)))
                .isInstanceOf(UnsupportedCapabilityException.class)
                .hasMessage("Estimator 'lr' needs activation-noise plans, which backend 'weights-only' does not run; "
                        + "use backend=cpu or a weight-perturbation estimator (spsa, rge)");
    }

    /** Neyman allocation whose {@code observe} can be made to fail once, and which may hide that it learns. */
    static final class Flaky implements QueryAllocatorProvider {
        static long failAt = -1;
        static int observed;
        static boolean declareLearning = true;

        @Override
        public String name() {
            return "flaky";
        }

        @Override
        public int spiVersion() {
            return SPI_VERSION;
        }

        @Override
        public Set<AllocatorCapability> capabilities() {
            return declareLearning ? Set.of(AllocatorCapability.LEARNS_FROM_STATISTICS) : Set.of();
        }

        @Override
        public QueryAllocator create(Settings settings) {
            QueryAllocator neyman = new NeymanQueryAllocatorProvider().create(settings);
            return new QueryAllocator() {
                @Override
                public Allocation allocate(AllocationRequest request) {
                    return neyman.allocate(request);
                }

                @Override
                public void observe(PointStatistics statistics) {
                    observed++;
                    neyman.observe(statistics);
                    if (statistics.step() == failAt) {
                        failAt = -1;
                        throw new IllegalStateException("statistics store unavailable");
                    }
                }

                @Override
                public Map<String, double[]> saveState() {
                    return neyman.saveState();
                }

                @Override
                public void restoreState(Map<String, double[]> state) {
                    neyman.restoreState(state);
                }
            };
        }
    }

    private static Forward4j flaky() {
        return engine().module(new AbstractModule() {
            @Override
            protected void configure() {
                MapBinder.newMapBinder(binder(), String.class, QueryAllocatorProvider.class).addBinding("flaky")
                        .to(Flaky.class);
            }
        }).set("allocator", "flaky").set("estimator", "lr").set("epochs", "2").build();
    }

    @Test
    void onlyAllocatorsThatDeclareLearningAreObserved() {
        try {
            for (boolean learns : new boolean[] {true, false}) {
                Flaky.declareLearning = learns;
                Flaky.observed = 0;
                try (Trainer t = flaky().trainer(data(96, 1), null, Mlp.initialParameters(NET, SEED))) {
                    t.fit();
                }
                assertThat(Flaky.observed).as("observe calls when LEARNS_FROM_STATISTICS is %s",
                        learns ? "declared" : "not declared").isEqualTo(learns ? 12 : 0);
            }
        } finally {
            Flaky.declareLearning = true;
        }
    }

    @Test
    void aStepWhoseObserveFailsIsNotAppliedAndARetryAppliesItOnce() {
        Flaky.failAt = -1;
        float[] expected;
        try (Trainer uninterrupted = flaky().trainer(data(96, 1), null, Mlp.initialParameters(NET, SEED))) {
            expected = uninterrupted.fit().parameters();
        }
        Flaky.failAt = 7;
        try (Trainer t = flaky().trainer(data(96, 1), null, Mlp.initialParameters(NET, SEED))) {
            assertThatThrownBy(t::fit).hasMessageContaining("Step 7 (epoch 2) failed")
                    .hasMessageContaining("statistics store unavailable")
                    .hasMessageContaining("Nothing of the step was applied");
            assertThat(t.step()).as("the step counter stays at the failed step").isEqualTo(7);
            assertThat(t.trainingQueries()).as("queries of applied steps only").isEqualTo(7L * 16 * 8);
            Checkpoint before = t.snapshot();
            assertThat(before.step()).isEqualTo(7);
            TrainingResult r = t.fit();
            assertThat(r.steps()).isEqualTo(12);
            assertThat(r.parameters()).as("retrying applies the failed step exactly once").containsExactly(expected);
        } finally {
            Flaky.failAt = -1;
        }
    }
}
