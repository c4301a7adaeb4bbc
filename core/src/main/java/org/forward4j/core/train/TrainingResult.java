package org.forward4j.core.train;

import java.util.List;
import java.util.Map;

/**
 * The outcome of a training run.
 *
 * @param records evaluation records in order
 * @param trainingQueries every query training spent (pilots, clean passes and draws)
 * @param evaluationQueries clean test-set evaluations, counted apart from training
 * @param skippedSteps steps dropped for a non-finite loss (policy {@code skip})
 * @param steps optimisation steps done
 * @param parameters the final parameters
 * @param provenance what produced the run: plugins, settings, seed, versions, device
 */
public record TrainingResult(List<EvalRecord> records, long trainingQueries, long evaluationQueries, long skippedSteps,
                             long steps, float[] parameters, Map<String, Object> provenance) {

    /**
     * The last evaluation.
     *
     * @return the final record
     */
    public EvalRecord last() {
        return records.get(records.size() - 1);
    }
}
