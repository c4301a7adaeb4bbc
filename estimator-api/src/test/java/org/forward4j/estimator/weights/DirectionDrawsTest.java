package org.forward4j.estimator.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.StepContext;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.PluginContractException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Round planning, query accounting, recording and the assembly of g (docs/method.md §2, §4, §5). */
class DirectionDrawsTest {

    private static final int D = 5;
    private static final long SEED = 9;
    private static final int STEP = 4;
    private static final String COMPONENT = "estimator 'test'";

    /** l_r(x) = (r + 1) * sum_k x_k: the losses only have to be distinct per row. */
    private static final Objective LINEAR = new Objective() {
        @Override
        public int dimension() {
            return D;
        }

        @Override
        public int size() {
            return 10;
        }

        @Override
        public void losses(float[] params, int[] rows, double[] out) {
            double s = 0;
            for (float p : params) {
                s += p;
            }
            for (int q = 0; q < rows.length; q++) {
                out[q] = (rows[q] + 1) * s;
            }
        }
    };

    /** A reference evaluator that keeps the plans it ran. */
    private static final class Recording implements QueryEvaluator {
        final List<WeightPlan> plans = new ArrayList<>();
        private final ReferenceQueryEvaluator delegate = new ReferenceQueryEvaluator(LINEAR);

        @Override
        public Objective objective() {
            return LINEAR;
        }

        @Override
        public double[][] evaluate(float[] theta, WeightPlan plan) {
            plans.add(plan);
            return delegate.evaluate(theta, plan);
        }


        @Override
        public ActivationPass evaluate(float[] theta, ActivationPlan plan) {
            throw new AssertionError("weight plans only");
        }
    }

    private static DirectionDraws draws(QueryEvaluator evaluator, int[] rows, DirectionMode mode) {
        return new DirectionDraws(COMPONENT, new StepContext(evaluator, new float[D], rows, SEED, STEP), mode,
                NoiseStream.Distribution.GAUSSIAN);
    }

    private static List<Integer> directions(List<DirectionDraws.Group> groups) {
        return groups.stream().map(DirectionDraws.Group::direction).toList();
    }

    @Test
    void sharedRoundsGroupThePointsOfEachDrawAndContinueTheirNumbering() {
        DirectionDraws draws = draws(new Recording(), new int[] {3, 5, 8}, DirectionMode.SHARED);
        List<DirectionDraws.Group> first = draws.round(new int[] {2, 0, 1});
        assertThat(directions(first)).containsExactly(0, 1);
        assertThat(first.get(0).points()).containsExactly(0, 2);
        assertThat(first.get(0).rows()).containsExactly(3, 8);
        assertThat(first.get(1).points()).containsExactly(0);
        recordAll(draws, first);

        // round 2: point 0 draws j=2, point 1 j=0,1, point 2 j=1
        List<DirectionDraws.Group> second = draws.round(new int[] {1, 2, 1});
        assertThat(directions(second)).containsExactly(0, 1, 2);
        assertThat(second.get(0).rows()).containsExactly(5);
        assertThat(second.get(1).rows()).containsExactly(5, 8);
        assertThat(second.get(2).rows()).containsExactly(3);
        recordAll(draws, second);
        assertThat(draws.round(new int[3])).as("nothing drawn").isEmpty();
    }

    @Test
    void perPointRoundsGiveEveryDrawItsOwnDirectionPointByPoint() {
        DirectionDraws draws = draws(new Recording(), new int[] {3, 5, 8}, DirectionMode.PER_POINT);
        recordAll(draws, draws.round(new int[] {1, 0, 2}));
        List<DirectionDraws.Group> second = draws.round(new int[] {2, 1, 0});
        assertThat(directions(second)).containsExactly(1, 2, 65536);
        assertThat(second.get(0).points()).containsExactly(0);
        assertThat(second.get(2).points()).containsExactly(1);
        assertThat(second.get(2).rows()).containsExactly(5);
    }

    private static void recordAll(DirectionDraws draws, List<DirectionDraws.Group> groups) {
        for (DirectionDraws.Group g : groups) {
            for (int point : g.points()) {
                draws.record(point, 1.0, 1.0, 0.0, true);
            }
        }
    }

    /**
     * The estimate is (1/B) sum_i (1/A_i) sum_j c_ij z_ij over included draws, recomputed here from the streams;
     * excluded draws count for the mean loss only, and a point without included draws keeps a zero share.
     */
    @ParameterizedTest
    @EnumSource(DirectionMode.class)
    void finishAssemblesTheBatchEstimateFromRegeneratedDirections(DirectionMode mode) {
        Recording evaluator = new Recording();
        int[] rows = {3, 5, 8, 1};
        DirectionDraws draws = draws(evaluator, rows, mode);
        // c_ij = 0.5 + i - 0.3 j, p_ij = 2 c_ij, loss = 10 i + j; the first round is left out of the estimate
        int[][] rounds = {{1, 1, 1, 0}, {2, 0, 3, 0}};
        boolean[] include = {false, true};
        for (int r = 0; r < rounds.length; r++) {
            List<DirectionDraws.Group> groups = draws.round(rounds[r]);
            List<WeightQuery> plan = new ArrayList<>();
            for (DirectionDraws.Group g : groups) {
                plan.add(new WeightQuery(g.direction(), 1e-3f, g.rows()));
            }
            double[][] losses = draws.evaluate(plan);
            assertThat(losses.length).isEqualTo(groups.size());
            int[] next = new int[rows.length];
            for (int[] done : java.util.Arrays.copyOf(rounds, r)) {
                for (int i = 0; i < rows.length; i++) {
                    next[i] += done[i];
                }
            }
            for (DirectionDraws.Group g : groups) {
                for (int i : g.points()) {
                    int j = next[i]++;
                    assertThat(g.direction()).isEqualTo(mode.direction(i, j));
                    double c = 0.5 + i - 0.3 * j;
                    draws.record(i, c, 2 * c, 10 * i + j, include[r]);
                }
            }
        }
        GradientEstimate estimate = draws.finish();

        double[] expected = new double[D];
        int[] a = {2, 0, 3, 0};
        for (int i = 0; i < rows.length; i++) {
            for (int j = 1; j <= a[i]; j++) {
                double c = 0.5 + i - 0.3 * j;
                float[] z = new float[D];
                new NoiseStream(SEED, STEP, mode.direction(i, j), 0).fill(NoiseStream.Distribution.GAUSSIAN, z, 0, D,
                        0);
                for (int k = 0; k < D; k++) {
                    expected[k] += c * z[k] / a[i] / rows.length;
                }
            }
        }
        for (int k = 0; k < D; k++) {
            assertThat((double) estimate.gradient()[k]).as("coordinate %d", k)
                    .isCloseTo(expected[k], within(1e-6 * (1 + Math.abs(expected[k]))));
        }
        assertThat(estimate.draws()).containsExactly(a);
        // v_i = d * mean p^2 over included draws: point 0 has p = 2 (0.2), 2 (-0.1); point 2 has 2 (2.2, 1.9, 1.6)
        assertThat(estimate.perDrawVariance()[0]).isCloseTo(D * (0.16 + 0.04) / 2, within(1e-12));
        assertThat(estimate.perDrawVariance()[1]).as("no included draw").isZero();
        assertThat(estimate.perDrawVariance()[2]).isCloseTo(D * 4 * (4.84 + 3.61 + 2.56) / 3, within(1e-12));
        assertThat(estimate.perDrawVariance()[3]).isZero();
        // mean loss over every draw, the excluded pilot included
        assertThat(estimate.meanLoss()).containsExactly(1.0, 10.0, 21.5, Double.NaN);
        long rowsRun = 0;
        for (WeightPlan p : evaluator.plans) {
            rowsRun += p.queryCount();
            assertThat(p.seed()).isEqualTo(SEED);
            assertThat(p.step()).isEqualTo(STEP);
        }
        assertThat(estimate.queries()).isEqualTo(rowsRun).isEqualTo(8);
    }

    @Test
    void sharedDirectionsAreSummedBeforeTheyAreRegenerated() {
        // two points on direction 0 with opposite coefficients cancel: the estimate is exactly zero
        DirectionDraws draws = draws(new Recording(), new int[] {0, 1}, DirectionMode.SHARED);
        List<DirectionDraws.Group> groups = draws.round(new int[] {1, 1});
        assertThat(groups).hasSize(1);
        draws.evaluate(List.of(new WeightQuery(0, 1e-3f, groups.get(0).rows())));
        draws.record(0, 0.75, 0.75, 0, true);
        draws.record(1, -0.75, -0.75, 0, true);
        assertThat(draws.finish().gradient()).containsOnly(0f);
    }

    @Test
    void meanLossesAreNaNBeforeAnyDrawAndStreamsUseTheStepsKey() {
        DirectionDraws draws = draws(new Recording(), new int[] {0, 1}, DirectionMode.SHARED);
        assertThat(draws.meanLosses()).containsOnly(Double.NaN);
        assertThat(draws.dimension()).isEqualTo(D);
        assertThat(draws.stream(7)).isEqualTo(new NoiseStream(SEED, STEP, 7, 0));
    }

    @Test
    void anEmptyPlanRunsNothingAndAWrongAnswerBreaksTheEvaluatorsContract() {
        Recording recording = new Recording();
        DirectionDraws draws = draws(recording, new int[] {0, 1}, DirectionMode.SHARED);
        assertThat(draws.evaluate(List.of())).isEmpty();
        assertThat(recording.plans).isEmpty();

        QueryEvaluator broken = new QueryEvaluator() {
            @Override
            public Objective objective() {
                return LINEAR;
            }

            @Override
            public double[][] evaluate(float[] theta, WeightPlan plan) {
                return new double[][] {new double[1]};
            }


            @Override
            public ActivationPass evaluate(float[] theta, ActivationPlan plan) {
                throw new AssertionError();
            }

            @Override
            public String toString() {
                return "broken";
            }
        };
        DirectionDraws onBroken = draws(broken, new int[] {0, 1}, DirectionMode.SHARED);
        assertThatThrownBy(() -> onBroken.evaluate(List.of(new WeightQuery(0, 1e-3f, new int[] {0, 1}))))
                .isInstanceOf(PluginContractException.class)
                .hasMessage("Query evaluator broken returned 1 loss arrays for a weight plan of 1 queries (2 rows); "
                        + "it must return one loss per row of every query");
    }

    @Test
    void aMismatchedStepIsRejectedBeforeAnyQuery() {
        Recording recording = new Recording();
        assertThatThrownBy(() -> new DirectionDraws(COMPONENT, new StepContext(recording, new float[3], new int[2],
                SEED, 0), DirectionMode.SHARED, NoiseStream.Distribution.GAUSSIAN))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("theta has 3 values but the objective has dimension 5");
        assertThatThrownBy(() -> draws(recording, new int[32768], DirectionMode.PER_POINT))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("estimator 'test' with directions=per-point numbers point i's draw j as direction "
                        + "i * 65536 + j, which allows batches of at most 32767 points, got 32768; use "
                        + "directions=shared or a smaller batch");
        assertThat(draws(recording, new int[32767], DirectionMode.PER_POINT).dimension()).isEqualTo(D);
        assertThat(draws(recording, new int[32768], DirectionMode.SHARED).dimension()).isEqualTo(D);
        assertThat(recording.plans).isEmpty();
    }

    @Test
    void malformedRoundsAreRejectedWithTheReasonAndChangeNothing() {
        DirectionDraws draws = draws(new Recording(), new int[3], DirectionMode.PER_POINT);
        assertThatThrownBy(() -> draws.round(new int[] {1, 1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("draws must have one entry per batch point (3), got 2 entries");
        assertThatThrownBy(() -> draws.round(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("draws must have one entry per batch point (3), got null");
        assertThatThrownBy(() -> draws.round(new int[] {1, -1, 1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("draws must be >= 0, got -1 for point 1 in [1, -1, 1]");
        assertThatThrownBy(() -> draws.round(new int[] {0, 65537, 0}))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("estimator 'test' with directions=per-point allows at most 65536 draws per point and "
                        + "step, but point 1 would reach 65537; lower the query budget or A_max, or use "
                        + "directions=shared");
        assertThat(directions(draws.round(new int[] {1, 0, 0}))).as("numbering unchanged").containsExactly(0);
    }

    @Test
    void everyPlannedDrawMustBeRecordedExactlyOnce() {
        DirectionDraws draws = draws(new Recording(), new int[2], DirectionMode.SHARED);
        assertThatThrownBy(() -> draws.record(0, 1, 1, 1, true))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("point 0 of estimator 'test' already recorded its 0 planned draws; plan more with "
                        + "round(...)");
        draws.round(new int[] {1, 1});
        draws.record(0, 1, 1, 1, true);
        assertThatThrownBy(() -> draws.record(2, 1, 1, 1, true)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> draws.round(new int[] {1, 1}))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("point 1 of estimator 'test' recorded 0 of its 1 planned draws; record every planned "
                        + "draw before the next round or finish()");
        assertThatThrownBy(draws::finish)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("recorded 0 of its 1 planned draws");
        draws.record(1, 1, 1, 1, true);
        draws.finish();
        assertThatThrownBy(() -> draws.round(new int[] {1, 1}))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("This step of estimator 'test' (step 4) is already finished; begin a new step");
        assertThatThrownBy(draws::finish).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already finished");
        assertThatThrownBy(() -> draws.evaluate(List.of())).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> draws.record(0, 1, 1, 1, true)).isInstanceOf(IllegalStateException.class);
    }
}
