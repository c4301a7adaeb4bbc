package org.forward4j.core.train;

/**
 * Receives a run's progress as it happens: the command-line application draws its progress bar and epoch lines
 * from these calls, an application can log or stop on them. Called on the training thread; keep it quick.
 */
public interface TrainingListener {

    /**
     * An epoch begins (also when a resumed run continues inside it).
     *
     * @param epoch the epoch, from 0
     * @param firstStep the step within the epoch training starts at (0 unless resumed mid-epoch)
     * @param steps steps per epoch
     */
    default void epochStarted(int epoch, int firstStep, int steps) {
    }

    /**
     * A step finished (or was skipped under {@code non-finite=skip}).
     *
     * @param progress where training stands
     */
    default void stepFinished(StepProgress progress) {
    }

    /**
     * A step was dropped because a loss or the gradient was not finite ({@code non-finite=skip}).
     *
     * @param step the step dropped
     * @param reason what was not finite, naming the estimator and the query
     */
    default void stepSkipped(long step, String reason) {
    }

    /**
     * The epoch's steps are done (its evaluation, if any, has been reported).
     *
     * @param epoch the epoch, from 0
     */
    default void epochFinished(int epoch) {
    }

    /**
     * An evaluation was made.
     *
     * @param record the evaluation
     */
    default void evaluated(EvalRecord record) {
    }

    /**
     * Where training stands after a step.
     *
     * @param epoch the epoch, from 0
     * @param stepInEpoch steps of this epoch done
     * @param stepsPerEpoch steps per epoch
     * @param step steps done in total
     * @param trainingQueries cumulative training queries
     * @param meanTrainLoss mean perturbed training loss since the last evaluation (NaN before the first step)
     * @param skippedSteps steps dropped so far
     */
    record StepProgress(int epoch, int stepInEpoch, int stepsPerEpoch, long step, long trainingQueries,
                        double meanTrainLoss, long skippedSteps) {
    }
}
