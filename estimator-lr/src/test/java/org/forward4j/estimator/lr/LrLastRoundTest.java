package org.forward4j.estimator.lr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.StepContext;
import org.forward4j.tck.Vectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The last round assembled while it runs ({@code finish(draws, include)}) against the same round run and then
 * finished, on the reference evaluator (the interface's default implementation). The two paths add the same terms
 * in a different order (the last round's before the pilot's; a point's losses summed per round), so they agree to
 * float rounding, not bit for bit: row weights, baselines, draw counts and the learned sigma are those of the
 * two-call path.
 */
class LrLastRoundTest {

    private static final int[] ROWS = {0, 3, 4, 1, 2};

    @ParameterizedTest(name = "antithetic={0} baseline={1} learn={2} pilot={3} in={4} rest={5}")
    @CsvSource({
        "true,loo,false,1,true,3",
        "false,loo,true,1,false,4",
        "true,none,true,2,true,2",
        "false,none,false,0,true,3",
        "true,loo,true,0,true,1",
        "false,loo,false,2,true,1"})
    void lastRoundAssembledWhileRunningEqualsRunThenFinish(boolean antithetic, String baseline, boolean learn,
            int pilot, boolean includePilot, int rest) {
        String[] settings = {"antithetic", Boolean.toString(antithetic), "baseline", baseline, "learn-sigma",
            Boolean.toString(learn), "sigma", "0.1"};
        GradientEstimator twoCalls = Fixtures.estimator(settings);
        GradientEstimator oneCall = Fixtures.estimator(settings);
        float[] theta = Fixtures.theta();
        for (int step = 0; step < 3; step++) {
            int[] rest0 = Fixtures.filled(ROWS.length, rest);
            rest0[1] = 0; // a point with no draws in the last round
            rest0[2] = rest + 2;
            GradientEstimate a = run(twoCalls, theta, step, pilot, includePilot, rest0, false);
            GradientEstimate b = run(oneCall, theta, step, pilot, includePilot, rest0, true);
            assertThat(a.gradient()).as("step %d", step).isNotEqualTo(new float[a.gradient().length]);
            assertThat(Vectors.relativeDistance(b.gradient(), a.gradient())).as("step %d", step)
                    .isLessThanOrEqualTo(1e-6);
            assertThat(b.draws()).containsExactly(a.draws());
            for (int i = 0; i < ROWS.length; i++) {
                assertThat(b.perDrawVariance()[i]).as("point %d", i).isCloseTo(a.perDrawVariance()[i],
                        within(1e-9 * Math.max(1, a.perDrawVariance()[i])));
                assertThat(b.meanLoss()[i]).as("point %d", i).isCloseTo(a.meanLoss()[i], within(1e-12));
            }
            assertThat(b.queries()).isEqualTo(a.queries());
            assertThat(oneCall.saveState().get(LrGradientEstimator.LOG_SIGMA)[0])
                    .isCloseTo(twoCalls.saveState().get(LrGradientEstimator.LOG_SIGMA)[0], within(1e-9));
        }
    }

    private static GradientEstimate run(GradientEstimator est, float[] theta, int step, int pilot,
            boolean includePilot, int[] rest, boolean lastRoundStreams) {
        QueryEvaluator eval = Fixtures.reference();
        EstimationStep s = est.begin(new StepContext(eval, theta, ROWS, 77, step));
        if (pilot > 0) {
            s.run(Fixtures.filled(ROWS.length, pilot), includePilot);
        }
        if (lastRoundStreams) {
            return s.runLastRoundAndFinish(rest);
        }
        s.run(rest, true);
        return s.finish();
    }

    @Test
    void aFinishedStepRefusesMoreWork() {
        EstimationStep s = Fixtures.estimator().begin(new StepContext(Fixtures.reference(), Fixtures.theta(), ROWS,
                1, 0));
        s.runLastRoundAndFinish(Fixtures.filled(ROWS.length, 1));
        assertThatThrownBy(() -> s.runLastRoundAndFinish(Fixtures.filled(ROWS.length, 1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("begin a new one");
        assertThatThrownBy(() -> s.run(Fixtures.filled(ROWS.length, 1), true))
                .isInstanceOf(IllegalStateException.class);
    }
}
