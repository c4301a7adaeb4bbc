package org.forward4j.estimator.rge;

import org.forward4j.plugin.Settings;
import org.forward4j.tck.WeightPerturbationChecks;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code finish(counts, include)} adds each direction's term while the backend holds the direction; it must give
 * the estimate of {@code run} then {@code finish()} ({@link WeightPerturbationChecks#lastRoundEqualsRunThenFinish}). Without a pilot the clean losses are
 * measured in a plan of their own first.
 */
class RgeLastRoundTest {

    @ParameterizedTest(name = "{0} {1} pilot={2} in={3}")
    @CsvSource({"shared,gaussian,0,true", "per-point,gaussian,0,true", "shared,gaussian,1,true",
        "per-point,gaussian,1,false", "shared,gaussian,2,false", "shared,sphere,0,true", "per-point,sphere,1,true"})
    void directionsCombinedWhileEvaluatedEqualRegeneratedOnes(String directions, String distribution, int pilot,
            boolean includePilot) {
        WeightPerturbationChecks.lastRoundEqualsRunThenFinish(() -> new RgeGradientEstimatorProvider().create(
                Settings.of("directions", directions, "distribution", distribution)), pilot, includePilot);
    }
}
