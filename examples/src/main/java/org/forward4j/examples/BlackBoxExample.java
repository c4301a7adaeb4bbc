package org.forward4j.examples;

import org.forward4j.core.Forward4j;
import org.forward4j.core.train.TrainingResult;
import org.forward4j.estimator.Objective;
import org.forward4j.noise.NoiseStream;

/**
 * Training a black-box objective: the user supplies only per-point losses of a parameter vector (here a noisy
 * linear model with a non-differentiable absolute-error loss, which backpropagation could not even use as is);
 * forward4j perturbs the parameters, queries the losses and steps with SPSA.
 *
 * <pre>{@code
 * java -cp "examples/target/forward4j-examples.jar:examples/target/lib/*" org.forward4j.examples.BlackBoxExample
 * }</pre>
 */
public final class BlackBoxExample {

    private BlackBoxExample() {
    }

    /** Per-point absolute error |x_i . w - y_i| of a linear model on synthetic data with known weights. */
    public static final class AbsoluteErrorRegression implements Objective {
        private final int dims;
        private final int points;
        private final float[] x;
        private final float[] y;
        private final float[] truth;

        /**
         * Synthetic data: x ~ N(0, I), y = x . truth + 0.01 noise, truth_k = sin(k + 1).
         *
         * @param dims parameters
         * @param points data points
         * @param seed data seed
         */
        public AbsoluteErrorRegression(int dims, int points, long seed) {
            this.dims = dims;
            this.points = points;
            this.x = new float[dims * points];
            this.y = new float[points];
            this.truth = new float[dims];
            new NoiseStream(seed, 0, 1, 0).fill(NoiseStream.Distribution.GAUSSIAN, x, 0, x.length, 0);
            float[] noise = new float[points];
            new NoiseStream(seed, 0, 2, 0).fill(NoiseStream.Distribution.GAUSSIAN, noise, 0, points, 0);
            for (int k = 0; k < dims; k++) {
                truth[k] = (float) Math.sin(k + 1);
            }
            for (int i = 0; i < points; i++) {
                double s = 0;
                for (int k = 0; k < dims; k++) {
                    s += x[i * dims + k] * truth[k];
                }
                y[i] = (float) (s + 0.01 * noise[i]);
            }
        }

        /**
         * The weights that generated the data.
         *
         * @return a copy
         */
        public float[] truth() {
            return truth.clone();
        }

        @Override
        public int dimension() {
            return dims;
        }

        @Override
        public int size() {
            return points;
        }

        @Override
        public void losses(float[] params, int[] rows, double[] out) {
            for (int k = 0; k < rows.length; k++) {
                int i = rows[k];
                double s = 0;
                for (int j = 0; j < dims; j++) {
                    s += x[i * dims + j] * params[j];
                }
                out[k] = Math.abs(s - y[i]);
            }
        }

        @Override
        public String toString() {
            return "absolute-error regression (" + dims + " parameters, " + points + " points)";
        }
    }

    /**
     * Trains the example and prints the distance to the true weights.
     *
     * @param args optional {@code key=value} settings, e.g. {@code estimator=rge}
     */
    public static void main(String[] args) {
        Forward4j.Builder b = Forward4j.builder().set("estimator", "spsa").set("queries-per-point", "8")
                .set("batch-size", "32").set("epochs", "40").set("learning-rate", "0.05")
                .set("estimator.scale", "0.01");
        for (String a : args) {
            String[] kv = a.split("=", 2);
            b.set(kv[0], kv[1]);
        }
        Forward4j f4j = b.build();
        AbsoluteErrorRegression objective = new AbsoluteErrorRegression(10, 2048, 3);
        TrainingResult r;
        try (var trainer = f4j.trainer(objective, null, new float[objective.dimension()])) {
            r = trainer.fit();
        }
        double dist = 0;
        for (int k = 0; k < objective.dimension(); k++) {
            double d = r.parameters()[k] - objective.truth()[k];
            dist += d * d;
        }
        System.out.printf("%s: final mean training loss %.4f, |w - truth| = %.4f after %,d queries%n", objective,
                r.last().trainLoss(), Math.sqrt(dist), r.trainingQueries());
    }
}
