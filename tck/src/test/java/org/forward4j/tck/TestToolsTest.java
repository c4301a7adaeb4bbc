package org.forward4j.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.stream.Stream;
import org.forward4j.estimator.CountingQueryEvaluator;
import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.EstimatorCost;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.estimator.weights.DirectionDraws;
import org.forward4j.estimator.weights.DirectionMode;
import org.forward4j.noise.NoiseStream;
import org.junit.jupiter.api.Test;

/** The kit's tools for plugin tests do what they promise, and their checks fail where they must. */
class TestToolsTest {

    @Test
    void analyticFixturesHaveTheGradientsTheyClaim() {
        for (AnalyticObjective objective : List.of(Fixtures.quadratic(), Fixtures.smooth(), Fixtures.quadratic(3, 2))) {
            int d = objective.dimension();
            float[] theta = new float[d];
            for (int k = 0; k < d; k++) {
                theta[k] = 0.1f * (k + 1);
            }
            for (int row = 0; row < objective.size(); row++) {
                double[] g = objective.gradient(theta, row);
                for (int k = 0; k < d; k++) {
                    // central differences, step 1e-2: truncation error O(1e-4), float rounding far below
                    float[] up = theta.clone();
                    float[] down = theta.clone();
                    up[k] += 0.01f;
                    down[k] -= 0.01f;
                    double[] lu = new double[1];
                    double[] ld = new double[1];
                    objective.losses(up, new int[] {row}, lu);
                    objective.losses(down, new int[] {row}, ld);
                    double fd = (lu[0] - ld[0]) / (up[k] - down[k]);
                    assertThat(g[k]).as("%s, row %d, coordinate %d", objective, row, k).isCloseTo(fd, within(1e-3));
                }
            }
        }
        assertThat(Fixtures.quadratic()).hasToString("the tck quadratic black box (d=8, 10 rows)");
        assertThatThrownBy(() -> Fixtures.quadratic(0, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("d >= 1");
    }

    @Test
    void aCountingObjectiveCountsRowsAndRecordsEveryCall() {
        CountingObjective counting = new CountingObjective(Fixtures.quadratic());
        Objective box = counting.objective();
        assertThat(box).isNotInstanceOf(AnalyticObjective.class);
        box.losses(new float[8], new int[] {1, 2, 3}, new double[3]);
        box.losses(new float[8], new int[] {4}, new double[1]);
        assertThat(box.dimension()).isEqualTo(8);
        assertThat(counting.rows()).isEqualTo(4);
        assertThat(counting.methods()).containsExactlyInAnyOrder("losses", "dimension");
        assertThat(box.toString()).isEqualTo("black box over the tck quadratic black box (d=8, 10 rows)");
        assertThat(counting.methods()).contains("toString");
    }

    @Test
    void aCountingEvaluatorKeepsItsWeightPlansUntilReset() {
        CountingQueryEvaluator evaluator = new CountingQueryEvaluator(new ReferenceQueryEvaluator(Fixtures.quadratic()));
        GradientEstimator estimator = new SampleWeights("tck-sample-weights", false);
        EstimationStep step = estimator.begin(new StepContext(evaluator, Fixtures.quadraticTheta(), new int[] {1, 2},
                5, 3));
        step.run(new int[] {1, 2}, true);
        step.run(new int[] {1, 0}, true);
        step.finish();
        assertThat(evaluator.weightPlans()).hasSize(2);
        assertThat(evaluator.weightPlans().get(0).queries()).extracting(WeightQuery::direction)
                .containsExactly(0, 0, 1, 1);
        assertThat(evaluator.queries()).isEqualTo(2 * 4);
        evaluator.reset();
        assertThat(evaluator.weightPlans()).isEmpty();
    }

    /** Estimate t is {@code (+1 or -1) * (1, 2)}, alternating: mean 0, per-coordinate variance 1 and 4. */
    private static GradientSamples alternating(int n) {
        GradientEstimator fake = new GradientEstimator() {
            @Override
            public EstimatorCost cost() {
                return new EstimatorCost(1, 0);
            }

            @Override
            public boolean independentPerPoint() {
                return true;
            }

            @Override
            public EstimationStep begin(StepContext context) {
                float sign = context.step() % 2 == 0 ? 1f : -1f;
                return new EstimationStep() {
                    @Override
                    public void run(int[] draws, boolean includeInEstimate) {
                    }

                    @Override
                    public double[] proxies() {
                        return new double[] {0};
                    }

                    @Override
                    public GradientEstimate finish() {
                        return new GradientEstimate(new float[] {sign, 2 * sign}, new int[] {1}, new double[1],
                                new double[1], 0);
                    }
                };
            }
        };
        return GradientSamples.draw(fake, new ReferenceQueryEvaluator(Fixtures.quadratic()), new float[8],
                new int[] {0}, 1, n);
    }

    @Test
    void gradientSamplesComputeMeansStandardErrorsAndVariances() {
        GradientSamples samples = alternating(100);
        assertThat(samples.size()).isEqualTo(100);
        assertThat(samples.mean()).containsExactly(0.0, 0.0);
        // sample variance 100/99 and 400/99, over n = 100
        assertThat(samples.standardErrors()[0]).isCloseTo(Math.sqrt(1.0 / 99), within(1e-12));
        assertThat(samples.standardErrors()[1]).isCloseTo(Math.sqrt(4.0 / 99), within(1e-12));
        double[] total = samples.totalVariance();
        assertThat(total[0]).isCloseTo(5.0 * 100 / 99, within(1e-12));
        assertThat(total[1]).as("|g - mean|^2 is 5 for every sample").isCloseTo(0.0, within(1e-12));
        double[] ratio = GradientSamples.varianceRatio(samples, alternating(10));
        assertThat(ratio[0]).isCloseTo((5.0 * 100 / 99) / (5.0 * 10 / 9), within(1e-12));
        assertThat(ratio[1]).isCloseTo(0.0, within(1e-12));

        samples.assertMeanWithin(new double[] {0.3, 0.0}, 3.0, "within 3 SE = 0.30");
        assertThatThrownBy(() -> samples.assertMeanWithin(new double[] {0.31, 0.0}, 3.0, "seed 1"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("seed 1: coordinate 0");
        samples.assertResolves(new double[] {3.0, 4.0}, 3.0, 0.2, "resolves");
        assertThatThrownBy(() -> samples.assertResolves(new double[] {3.0, 4.0}, 3.0, 0.1, "seed 1"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("seed 1: resolving power");
        assertThatThrownBy(() -> alternating(1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void weightPerturbationChecksPassOnAnEstimatorBuiltOnDirectionDraws() {
        WeightPerturbationChecks.malformedDrawsAreRejected(new SampleWeights("tck-sample-weights", false));
        WeightPerturbationChecks.mismatchedParametersAreRejected(new SampleWeights("tck-sample-weights", false));
        assertThat(WeightPerturbationChecks.perPointLimitsAreEnforced(new SampleWeights("tck-sample-weights", true),
                "tck-sample-weights").queries()).isEqualTo(2L * 65536);
        WeightPerturbationChecks.wrongAnswersAreTheEvaluatorsFault(new SampleWeights("tck-sample-weights", false),
                plan -> new double[0][], "Query evaluator broken returned 0 loss arrays for a weight plan of 2 "
                        + "queries (10 rows); it must return one loss per row of every query");
    }

    @Test
    void weightPerturbationChecksCatchAnEstimatorThatMisnamesItselfOrChecksNothing() {
        assertThatThrownBy(() -> WeightPerturbationChecks.perPointLimitsAreEnforced(
                new SampleWeights("someone-else", true), "tck-sample-weights"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("estimator 'tck-sample-weights'");
        GradientEstimator careless = new GradientEstimator() {
            @Override
            public EstimatorCost cost() {
                return new EstimatorCost(1, 0);
            }

            @Override
            public boolean independentPerPoint() {
                return false;
            }

            @Override
            public EstimationStep begin(StepContext context) {
                return new EstimationStep() {
                    @Override
                    public void run(int[] draws, boolean includeInEstimate) {
                    }

                    @Override
                    public double[] proxies() {
                        return new double[context.batchSize()];
                    }

                    @Override
                    public GradientEstimate finish() {
                        return new GradientEstimate(new float[context.theta().length], new int[context.batchSize()],
                                new double[context.batchSize()], new double[context.batchSize()], 0);
                    }
                };
            }
        };
        assertThatThrownBy(() -> WeightPerturbationChecks.malformedDrawsAreRejected(careless))
                .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> WeightPerturbationChecks.mismatchedParametersAreRejected(careless))
                .isInstanceOf(AssertionError.class);
    }

    /**
     * A minimal forward-difference estimator on {@link DirectionDraws}, reporting under the given name: each draw
     * is a clean and a perturbed query along its direction, {@code p = (l(theta + h z) - l(theta)) / h}.
     */
    private record SampleWeights(String name, boolean perPoint) implements GradientEstimator {
        private static final float H = 1e-3f;

        @Override
        public EstimatorCost cost() {
            return new EstimatorCost(2, 0);
        }

        @Override
        public boolean independentPerPoint() {
            return perPoint;
        }

        @Override
        public EstimationStep begin(StepContext context) {
            DirectionDraws draws = new DirectionDraws("estimator '" + name + "'", context,
                    perPoint ? DirectionMode.PER_POINT : DirectionMode.SHARED, NoiseStream.Distribution.GAUSSIAN);
            return new EstimationStep() {
                @Override
                public void run(int[] counts, boolean includeInEstimate) {
                    List<DirectionDraws.Group> groups = draws.round(counts);
                    double[][] losses = draws.evaluate(groups.stream()
                            .flatMap(g -> Stream.of(new WeightQuery(g.direction(), 0f, g.rows()),
                                    new WeightQuery(g.direction(), H, g.rows())))
                            .toList());
                    int q = 0;
                    for (DirectionDraws.Group g : groups) {
                        double[] clean = losses[q++];
                        double[] moved = losses[q++];
                        for (int k = 0; k < clean.length; k++) {
                            double p = (moved[k] - clean[k]) / H;
                            draws.record(g.points()[k], p, p, moved[k], includeInEstimate);
                        }
                    }
                }

                @Override
                public double[] proxies() {
                    return draws.meanLosses();
                }

                @Override
                public GradientEstimate finish() {
                    return draws.finish();
                }
            };
        }
    }
}
