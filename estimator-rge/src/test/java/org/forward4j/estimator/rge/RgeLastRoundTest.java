package org.forward4j.estimator.rge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.forward4j.estimator.EstimationStep;
import org.forward4j.estimator.GradientEstimate;
import org.forward4j.estimator.GradientEstimator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.StepContext;
import org.forward4j.plugin.Settings;
import org.forward4j.tck.CountingQueryEvaluator;
import org.forward4j.tck.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The last round with each direction's term added during evaluation ({@code finish(counts, include)}) against the
 * same round run and then finished (directions regenerated for the assembly). Without a pilot the clean losses are
 * measured in a plan of their own first, and both paths add the same terms in the same order: same bits. With a
 * pilot the pilot's directions are regenerated after the last round's terms instead of before them, so the two
 * agree to float rounding.
 */
class RgeLastRoundTest {

    private static final int[] ROWS = Fixtures.tanhNetworkRows();

    @ParameterizedTest(name = "{0} pilot={1} in={2} {3}")
    @CsvSource({"shared,0,true,gaussian", "per-point,0,true,gaussian", "shared,1,true,gaussian",
        "per-point,1,false,gaussian", "shared,2,false,gaussian", "shared,0,true,sphere", "per-point,1,true,sphere"})
    void directionsCombinedWhileEvaluatedEqualRegeneratedOnes(String directions, int pilot, boolean includePilot,
            String distribution) {
        GradientEstimator rge = new RgeGradientEstimatorProvider().create(Settings.of("directions", directions,
                "distribution", distribution));
        int[] rest = new int[ROWS.length];
        for (int i = 0; i < rest.length; i++) {
            rest[i] = 1 + (i * 7) % 4;
        }
        for (int step = 0; step < 3; step++) {
            CountingQueryEvaluator twoCallsEval = evaluator();
            CountingQueryEvaluator oneCallEval = evaluator();
            GradientEstimate a = run(rge, twoCallsEval, step, pilot, includePilot, rest, false);
            GradientEstimate b = run(rge, oneCallEval, step, pilot, includePilot, rest, true);
            if (pilot == 0) {
                assertThat(b.gradient()).as("step %d", step).containsExactly(a.gradient());
            } else {
                double diff = 0;
                double norm = 0;
                for (int k = 0; k < a.gradient().length; k++) {
                    double e = (double) b.gradient()[k] - a.gradient()[k];
                    diff += e * e;
                    norm += (double) a.gradient()[k] * a.gradient()[k];
                }
                assertThat(norm).isGreaterThan(0.0);
                assertThat(Math.sqrt(diff)).as("step %d", step).isLessThanOrEqualTo(1e-6 * Math.sqrt(norm));
            }
            assertThat(b.draws()).containsExactly(a.draws());
            assertThat(b.perDrawVariance()).containsExactly(a.perDrawVariance());
            assertThat(b.meanLoss()).containsExactly(a.meanLoss());
            assertThat(b.queries()).isEqualTo(a.queries()).isEqualTo(oneCallEval.queries())
                    .isEqualTo(twoCallsEval.queries());
        }
    }

    private static CountingQueryEvaluator evaluator() {
        return new CountingQueryEvaluator(new ReferenceQueryEvaluator(Fixtures.tanhNetwork()));
    }

    private static GradientEstimate run(GradientEstimator spsa, CountingQueryEvaluator eval, int step, int pilot,
            boolean includePilot, int[] rest, boolean combine) {
        EstimationStep s = spsa.begin(new StepContext(eval, Fixtures.tanhNetworkTheta(), ROWS, 5, step));
        if (pilot > 0) {
            int[] p = new int[ROWS.length];
            java.util.Arrays.fill(p, pilot);
            s.run(p, includePilot);
        }
        if (combine) {
            GradientEstimate g = s.finish(rest, true);
            assertThatThrownBy(() -> s.run(rest, true)).isInstanceOf(IllegalStateException.class);
            return g;
        }
        s.run(rest, true);
        return s.finish();
    }
}
