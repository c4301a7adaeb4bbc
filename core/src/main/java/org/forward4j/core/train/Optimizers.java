package org.forward4j.core.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

/**
 * Optimisers over the estimated gradient, built on ND4J's updaters (method.md §2: they consume g as if it were a
 * gradient).
 */
public final class Optimizers {

    private Optimizers() {
    }

    /** The optimiser kinds. */
    public enum Kind {
        /** Plain SGD. */
        SGD,
        /** SGD with Nesterov momentum. */
        MOMENTUM,
        /** Adam. */
        ADAM
    }

    /** Learning-rate schedules (by epoch). */
    public enum Schedule {
        /** The learning rate stays fixed. */
        CONSTANT,
        /** Multiplied by the decay every {@code schedule-epochs} epochs. */
        STEP,
        /** Multiplied by the decay every epoch. */
        EXPONENTIAL
    }

    /**
     * A configured optimiser over a flat parameter vector.
     *
     * @param config the training config
     * @param dimension the number of parameters
     * @return the optimiser
     */
    public static Optimizer create(TrainingConfig config, int dimension) {
        return new Optimizer(updater(config), dimension);
    }

    /**
     * The ND4J updater configuration for the configured optimiser and schedule (also used by the backprop
     * reference, so both train with the same optimiser).
     *
     * @param config the training config
     * @return the updater configuration
     */
    public static IUpdater updater(TrainingConfig config) {
        ISchedule schedule = switch (config.schedule()) {
            case CONSTANT -> null;
            case STEP -> new StepSchedule(ScheduleType.EPOCH, config.learningRate(), config.scheduleDecay(),
                    config.scheduleEpochs());
            case EXPONENTIAL -> new ExponentialSchedule(ScheduleType.EPOCH, config.learningRate(),
                    config.scheduleDecay());
        };
        return switch (config.optimizer()) {
            case SGD -> schedule == null ? new Sgd(config.learningRate()) : new Sgd(schedule);
            case MOMENTUM -> schedule == null ? new Nesterovs(config.learningRate(), config.momentum())
                    : new Nesterovs(schedule, config.momentum());
            case ADAM -> schedule == null ? new Adam(config.learningRate()) : new Adam(schedule);
        };
    }

    /** Applies updates in place; holds the updater's state (moments) for checkpoints. */
    public static final class Optimizer {
        private final INDArray state;
        private final GradientUpdater<?> updater;

        Optimizer(IUpdater config, int dimension) {
            long size = config.stateSize(dimension);
            this.state = size == 0 ? null : Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1, size);
            this.updater = config.instantiate(state, true);
        }

        /**
         * {@code params -= update(gradient)}.
         *
         * @param params the parameters (row vector of length d), updated in place
         * @param gradient the estimated gradient
         * @param iteration the global step
         * @param epoch the epoch
         */
        public void step(INDArray params, float[] gradient, int iteration, int epoch) {
            INDArray g = org.forward4j.core.backend.Nd4jArrays.fromFloats(gradient, 1, gradient.length);
            updater.applyUpdater(g, iteration, epoch);
            params.subi(g);
        }

        /**
         * The updater's state (for example Adam's moments), for checkpoints.
         *
         * @return a copy of the state, empty for SGD
         */
        public float[] state() {
            return state == null ? new float[0] : org.forward4j.core.backend.Nd4jArrays.toFloats(state);
        }

        /**
         * Restores state from {@link #state()}.
         *
         * @param saved the saved state
         */
        public void restore(float[] saved) {
            if (state == null) {
                return;
            }
            if (saved.length != state.length()) {
                throw new org.forward4j.plugin.InvalidDataException("Optimiser state has " + saved.length
                        + " values, expected " + state.length() + " for this optimiser and model");
            }
            state.assign(Nd4j.create(saved, new long[] {1, saved.length}, 'c'));
        }
    }
}
