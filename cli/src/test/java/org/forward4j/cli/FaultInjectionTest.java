package org.forward4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.MapBinder;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import org.forward4j.allocator.Allocation;
import org.forward4j.allocator.AllocationRequest;
import org.forward4j.allocator.QueryAllocator;
import org.forward4j.allocator.spi.QueryAllocatorProvider;
import org.forward4j.core.Forward4j;
import org.forward4j.core.train.Trainer;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.spi.GradientEstimatorProvider;
import org.forward4j.plugin.Forward4jException;
import org.forward4j.plugin.NonFiniteLossException;
import org.forward4j.plugin.PluginContractException;
import org.forward4j.plugin.Settings;
import org.junit.jupiter.api.Test;

/** Faulty objectives and plugins are rejected with a message naming them, and the trainer's state stays valid. */
class FaultInjectionTest {

    /** A quadratic black box whose behaviour on a query can be changed. */
    static final class Faulty implements Objective {
        long calls;
        long throwAt = -1;
        int nanRow = -1;

        @Override
        public int dimension() {
            return 4;
        }

        @Override
        public int size() {
            return 16;
        }

        @Override
        public void losses(float[] p, int[] rows, double[] out) {
            for (int k = 0; k < rows.length; k++) {
                if (++calls == throwAt) {
                    throw new IllegalStateException("sensor offline at query " + calls);
                }
                double s = 0;
                for (float v : p) {
                    s += (v - rows[k] * 0.1) * (v - rows[k] * 0.1);
                }
                out[k] = rows[k] == nanRow ? Double.NaN : s;
            }
        }

        @Override
        public String toString() {
            return "faulty-objective";
        }
    }

    private static Forward4j.Builder base() {
        return Forward4j.builder().environment(Map.of()).systemProperties(new Properties()).set("batch-size", "4")
                .set("queries-per-point", "4").set("epochs", "1").set("progress", "false");
    }

    @Test
    void anObjectiveThatThrowsOnTheKthQueryIsReportedAndTheStateStaysValid() {
        Faulty o = new Faulty();
        o.throwAt = 40;
        Trainer t = base().build().trainer(o, null, new float[4]);
        assertThatThrownBy(() -> t.fit()).isInstanceOf(Forward4jException.class)
                .hasMessageContaining("Step 2 (epoch 1) failed while estimator 'spsa' with allocator 'uniform' "
                        + "evaluated faulty-objective")
                .hasMessageContaining("sensor offline at query 40")
                .hasMessageContaining("Nothing of the step was applied (parameters, optimiser, allocator and step counter are "
                        + "as before it)");
        float[] before = t.parameters();
        assertThat(t.step()).isEqualTo(2);
        assertThat(t.trainingQueries()).isEqualTo(2 * 16);
        o.throwAt = -1;
        t.fit(); // continues from the failed step
        assertThat(t.step()).isEqualTo(4);
        assertThat(t.parameters()).isNotEqualTo(before);
    }

    @Test
    void nonFiniteLossesFailFastNamingThePointOrAreSkippedAndCounted() {
        Faulty o = new Faulty();
        o.nanRow = 5;
        Trainer fail = base().build().trainer(o, null, new float[4]);
        assertThatThrownBy(() -> fail.fit()).isInstanceOf(NonFiniteLossException.class)
                .hasMessageContaining("loss NaN for data row 5")
                .hasMessageContaining("parameters were not updated")
                .hasMessageContaining("non-finite=skip");
        for (float v : fail.parameters()) {
            assertThat(v).isFinite();
        }
        Trainer skip = base().set("non-finite", "skip").build().trainer(o, null, new float[4]);
        var r = skip.fit();
        assertThat(r.skippedSteps()).isEqualTo(1);
        assertThat(r.steps()).isEqualTo(4);
        for (float v : r.parameters()) {
            assertThat(v).isFinite();
        }
    }

    /** An allocator provider whose allocations are broken in a configurable way. */
    static final class BrokenAllocatorProvider implements QueryAllocatorProvider {
        static Function<AllocationRequest, int[]> behaviour;

        @Override
        public String name() {
            return "broken";
        }

        @Override
        public int spiVersion() {
            return SPI_VERSION;
        }

        @Override
        public QueryAllocator create(Settings settings) {
            return r -> new Allocation(behaviour.apply(r));
        }
    }

    @Test
    void invalidAllocationsAreRejectedNamingTheAllocator() {
        Forward4j f = base().set("allocator", "broken").module(new AbstractModule() {
            @Override
            protected void configure() {
                MapBinder.newMapBinder(binder(), String.class, QueryAllocatorProvider.class).addBinding("broken")
                        .to(BrokenAllocatorProvider.class);
            }
        }).build();
        BrokenAllocatorProvider.behaviour = r -> {
            int[] a = new int[r.batchSize()];
            Arrays.fill(a, 1);
            return a;
        };
        Trainer t = f.trainer(new Faulty(), null, new float[4]);
        assertThatThrownBy(() -> t.fit()).isInstanceOf(PluginContractException.class)
                .hasMessage("Allocator 'broken' allocated 4 draws but the budget is exactly 8");
        assertThat(t.step()).isZero();
        BrokenAllocatorProvider.behaviour = r -> new int[] {3, 3, 3, -1};
        assertThatThrownBy(() -> f.trainer(new Faulty(), null, new float[4]).fit())
                .isInstanceOf(PluginContractException.class)
                .hasMessageContaining("Allocator 'broken' gave point 3 -1 draws, outside [1, 8]");
        BrokenAllocatorProvider.behaviour = r -> new int[] {2, 2, 2, 1, 1};
        assertThatThrownBy(() -> f.trainer(new Faulty(), null, new float[4]).fit())
                .isInstanceOf(PluginContractException.class)
                .hasMessage("Allocator 'broken' returned 5 entries for a batch of 4 points");
    }

    /** An estimator whose gradient has the wrong length. */
    static final class ShortGradientProvider implements GradientEstimatorProvider {
        @Override
        public String name() {
            return "short-gradient";
        }

        @Override
        public int spiVersion() {
            return SPI_VERSION;
        }

        @Override
        public java.util.Set<org.forward4j.estimator.spi.EstimatorCapability> capabilities() {
            return java.util.Set.of(org.forward4j.estimator.spi.EstimatorCapability.BLACK_BOX);
        }

        @Override
        public GradientEstimator create(Settings settings) {
            return new GradientEstimator() {
                @Override
                public EstimatorCost cost() {
                    return new EstimatorCost(1, 0);
                }

                @Override
                public boolean independentPerPoint() {
                    return true;
                }

                @Override
                public EstimationStep begin(StepContext ctx) {
                    return new EstimationStep() {
                        long queries;

                        @Override
                        public void run(int[] draws, boolean include) {
                            for (int d : draws) {
                                queries += d;
                            }
                            ctx.evaluator().evaluate(ctx.theta(), new org.forward4j.estimator.WeightPlan(ctx.seed(),
                                    ctx.step(), org.forward4j.noise.NoiseStream.Distribution.GAUSSIAN,
                                    java.util.List.of(new org.forward4j.estimator.WeightQuery(0, 0f,
                                            rowsFor(ctx.rows(), draws)))));
                        }

                        @Override
                        public double[] proxies() {
                            return new double[ctx.batchSize()];
                        }

                        @Override
                        public GradientEstimate finish() {
                            int b = ctx.batchSize();
                            return new GradientEstimate(new float[3], new int[b], new double[b], new double[b],
                                    queries);
                        }
                    };
                }
            };
        }

        private static int[] rowsFor(int[] rows, int[] draws) {
            return java.util.stream.IntStream.range(0, rows.length)
                    .flatMap(i -> java.util.stream.IntStream.range(0, draws[i]).map(j -> rows[i])).toArray();
        }
    }

    @Test
    void aWrongLengthGradientIsRejectedNamingTheEstimator() {
        Forward4j f = base().set("estimator", "short-gradient").module(new AbstractModule() {
            @Override
            protected void configure() {
                MapBinder.newMapBinder(binder(), String.class, GradientEstimatorProvider.class)
                        .addBinding("short-gradient").to(ShortGradientProvider.class);
            }
        }).build();
        Trainer t = f.trainer(new Faulty(), null, new float[4]);
        assertThatThrownBy(() -> t.fit()).isInstanceOf(PluginContractException.class)
                .hasMessage("Estimator 'short-gradient' returned a gradient of length 3 for 4 parameters");
        assertThat(t.parameters()).containsOnly(0f);
    }
}
