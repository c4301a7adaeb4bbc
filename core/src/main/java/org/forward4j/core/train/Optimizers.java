package org.forward4j.core.train;

import org.forward4j.plugin.InvalidDataException;

/**
 * Optimisers over the estimated gradient, on plain {@code float[]} (docs/method.md §2: they consume g as if it were
 * a gradient). The update formulas, their float arithmetic and the state layout are those of ND4J 1.0.0-M2.1's
 * {@code Sgd}, {@code Nesterovs} and {@code Adam} updaters, so that the engine needs no native library and the
 * backprop reference, which trains with ND4J's updaters, still optimises exactly like forward-only training
 * (tested equal to ND4J's updaters in the {@code backend-cpu} module). Checkpoints hold the state in the same
 * layout ND4J used (Adam: the d first moments, then the d second moments; Nesterov: the d velocities).
 */
public final class Optimizers {

    /** Adam's first-moment decay (ND4J's default). */
    public static final double ADAM_BETA1 = 0.9;
    /** Adam's second-moment decay (ND4J's default). */
    public static final double ADAM_BETA2 = 0.999;
    /** Adam's epsilon (ND4J's default). */
    public static final double ADAM_EPSILON = 1e-8;

    private Optimizers() {
    }

    /** The optimiser kinds. */
    public enum Kind {
        /** Plain SGD: {@code theta -= lr g}. */
        SGD,
        /** SGD with Nesterov momentum. */
        MOMENTUM,
        /** Adam (Kingma and Ba 2015) with bias correction folded into the step size. */
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
     * @return the optimiser, with zero state
     */
    public static Optimizer create(TrainingConfig config, int dimension) {
        return new Optimizer(config, dimension);
    }

    /**
     * The learning rate of an epoch under the configured schedule, computed as ND4J's {@code StepSchedule} and
     * {@code ExponentialSchedule} compute it (in double).
     *
     * @param config the training config
     * @param epoch the epoch, from 0
     * @return the learning rate
     */
    public static double learningRate(TrainingConfig config, int epoch) {
        return switch (config.schedule()) {
            case CONSTANT -> config.learningRate();
            case STEP -> config.learningRate()
                    * Math.pow(config.scheduleDecay(), Math.floor(epoch / (double) config.scheduleEpochs()));
            case EXPONENTIAL -> config.learningRate() * Math.pow(config.scheduleDecay(), epoch);
        };
    }

    /**
     * Applies updates in place and holds the optimiser state (momenta) for checkpoints. Not thread-safe: the
     * trainer calls it from one thread.
     */
    public static final class Optimizer {
        private final TrainingConfig config;
        private final float[] state;
        private final int dimension;

        Optimizer(TrainingConfig config, int dimension) {
            this.config = config;
            this.dimension = dimension;
            this.state = new float[switch (config.optimizer()) {
                case SGD -> 0;
                case MOMENTUM -> dimension;
                case ADAM -> 2 * dimension;
            }];
        }

        /**
         * {@code params -= update(gradient)}, the gradient left untouched.
         *
         * @param params the parameters (length d), updated in place
         * @param gradient the estimated gradient (length d)
         * @param iteration the global step (Adam's bias correction counts it from 0)
         * @param epoch the epoch (for the schedule)
         * @throws IllegalArgumentException if a length differs from d
         */
        public void step(float[] params, float[] gradient, long iteration, int epoch) {
            if (params.length != dimension || gradient.length != dimension) {
                throw new IllegalArgumentException("params and gradient must have length " + dimension + ", got "
                        + params.length + " and " + gradient.length);
            }
            float lr = (float) learningRate(config, epoch);
            switch (config.optimizer()) {
                case SGD -> {
                    for (int k = 0; k < dimension; k++) {
                        params[k] -= gradient[k] * lr;
                    }
                }
                case MOMENTUM -> nesterov(params, gradient, lr);
                case ADAM -> adam(params, gradient, lr, iteration);
            }
        }

        /** v' = mu v - lr g; update = mu v + (-mu - 1) v' (ND4J's form of Nesterov's look-ahead). */
        private void nesterov(float[] params, float[] gradient, float lr) {
            float mu = (float) config.momentum();
            float muT = -mu - 1;
            for (int k = 0; k < dimension; k++) {
                float previous = mu * state[k];
                float v = previous - lr * gradient[k];
                state[k] = v;
                params[k] -= previous + muT * v;
            }
        }

        /**
         * m' = b1 m + (1 - b1) g; v' = b2 v + (1 - b2) g^2; update = m' a_t / (sqrt(v') + eps) with
         * {@code a_t = lr sqrt(1 - b2^(t+1)) / (1 - b1^(t+1))}, in float as ND4J evaluates it (the step count is a
         * float, the bias-correction quotient is divided in double, eps replaces a_t when it is not finite or 0).
         */
        private void adam(float[] params, float[] gradient, float lr, long iteration) {
            float beta1 = (float) ADAM_BETA1;
            float beta2 = (float) ADAM_BETA2;
            float epsilon = (float) ADAM_EPSILON;
            float t = (float) (int) iteration + 1f;
            float beta1T = (float) Math.pow(beta1, t);
            float beta2T = (float) Math.pow(beta2, t);
            float root = (float) Math.sqrt((float) (1.0 - beta2T));
            float stepSize = (float) ((lr * root) / (1.0 - beta1T));
            if (Float.isNaN(stepSize) || Float.isInfinite(stepSize) || stepSize == 0f) {
                stepSize = epsilon;
            }
            float oneMinusBeta1 = 1 - beta1;
            float oneMinusBeta2 = 1 - beta2;
            int d = dimension;
            for (int k = 0; k < d; k++) {
                float g = gradient[k];
                float m = beta1 * state[k] + g * oneMinusBeta1;
                float v = beta2 * state[d + k] + g * g * oneMinusBeta2;
                state[k] = m;
                state[d + k] = v;
                params[k] -= (m * stepSize) / ((float) Math.sqrt(v) + epsilon);
            }
        }

        /**
         * The optimiser's state (for example Adam's moments), for checkpoints.
         *
         * @return a copy of the state, empty for SGD
         */
        public float[] state() {
            return state.clone();
        }

        /** The state array itself, for writing a checkpoint without a copy; callers must not change it. */
        float[] stateView() {
            return state;
        }

        /**
         * Restores state from {@link #state()}.
         *
         * @param saved the saved state
         * @throws InvalidDataException if its length does not fit this optimiser and model
         */
        public void restore(float[] saved) {
            if (saved.length != state.length) {
                throw new InvalidDataException("Optimiser state has " + saved.length + " values, expected "
                        + state.length + " for this optimiser and model");
            }
            System.arraycopy(saved, 0, state, 0, saved.length);
        }
    }
}
