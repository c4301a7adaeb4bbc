package org.forward4j.core.backend;

import java.util.List;
import org.forward4j.estimator.ActivationPass;
import org.forward4j.estimator.ActivationPlan;
import org.forward4j.estimator.DenseNetwork;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Networks;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.WeightPlan;
import org.forward4j.estimator.WeightQuery;
import org.forward4j.noise.NoiseStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Evaluates plans of a {@link NetworkObjective} in batched ND4J matrix products (method.md §6).
 *
 * <p>Weight plans: every query materialises {@code theta + scale * z} once and pushes all of its rows through one
 * GEMM per layer; consecutive queries on one direction reuse the generated direction. Activation plans: all rows
 * of the plan share the weights, so each layer is one GEMM over all rows of a chunk; the noise is generated in bulk
 * per layer and kept, with each layer's inputs, until the pass assembles the gradient (regenerating it cost ~15% of an
 * lr step). Rows run in fixed chunks; a pass's memory therefore grows with its rows (draws x points): see the bench
 * command's memory sweep.
 */
final class CpuNetworkEvaluator implements QueryEvaluator {

    private final NetworkObjective objective;
    private final DenseNetwork network;
    private final INDArray features;
    private final int[] labels;
    private final int chunkRows;
    private final Parallel parallel;

    CpuNetworkEvaluator(NetworkObjective objective, int chunkRows, Parallel parallel) {
        this.parallel = parallel;
        this.objective = objective;
        this.network = objective.network();
        this.labels = objective.labels();
        this.features = Nd4jArrays.fromFloats(objective.features(), labels.length, network.in(0));
        this.chunkRows = chunkRows;
    }

    @Override
    public Objective objective() {
        return objective;
    }

    @Override
    public boolean supportsActivationNoise() {
        return true;
    }

    @Override
    public double[][] evaluate(float[] theta, WeightPlan plan) {
        int d = network.dimension();
        List<WeightQuery> queries = plan.queries();
        double[][] out = new double[queries.size()][];
        // one task per run of consecutive queries on one direction: the direction is generated once per task
        List<int[]> groups = new java.util.ArrayList<>();
        for (int q = 0; q < queries.size(); q++) {
            WeightQuery wq = queries.get(q);
            int[] last = groups.isEmpty() ? null : groups.get(groups.size() - 1);
            if (last != null && queries.get(last[0]).direction() == wq.direction()) {
                last[1] = q + 1;
            } else {
                groups.add(new int[] {q, q + 1});
            }
        }
        parallel.map(groups.size(), g -> {
            int[] range = groups.get(g);
            float[] z = null;
            float[] perturbed = new float[d];
            for (int q = range[0]; q < range[1]; q++) {
                WeightQuery wq = queries.get(q);
                if (wq.scale() == 0f) {
                    System.arraycopy(theta, 0, perturbed, 0, d);
                } else {
                    if (z == null) {
                        z = new float[d];
                        plan.stream(wq.direction()).fill(plan.distribution(), z, 0, d, 0);
                    }
                    float s = wq.scale();
                    for (int k = 0; k < d; k++) {
                        perturbed[k] = theta[k] + s * z[k];
                    }
                }
                Layers layers = new Layers(perturbed);
                int[] rows = wq.rows();
                double[] losses = new double[rows.length];
                for (int from = 0; from < rows.length; from += chunkRows) {
                    int to = Math.min(rows.length, from + chunkRows);
                    int[] chunk = java.util.Arrays.copyOfRange(rows, from, to);
                    INDArray x = gather(chunk);
                    for (int l = 0; l < network.layers(); l++) {
                        x = layers.affine(l, x);
                        if (l < network.layers() - 1) {
                            x = activate(x);
                        }
                    }
                    losses(x, chunk, losses, from);
                }
                out[q] = losses;
            }
            return null;
        });
        return out;
    }

    @Override
    public ActivationPass evaluate(float[] theta, ActivationPlan plan) {
        Layers layers = new Layers(theta.clone());
        int n = plan.size();
        double[] losses = new double[n];
        int chunks = (n + chunkRows - 1) / chunkRows;
        INDArray[][] inputs = new INDArray[chunks][network.layers()];
        INDArray[][] noises = new INDArray[chunks][network.layers()];
        parallel.map(chunks, c -> {
            int from = c * chunkRows;
            int to = Math.min(n, from + chunkRows);
            int[] chunk = java.util.Arrays.copyOfRange(plan.rows(), from, to);
            INDArray x = gather(chunk);
            for (int l = 0; l < network.layers(); l++) {
                inputs[c][l] = x;
                INDArray v = layers.affine(l, x);
                // sign * eps is kept for the gradient assembly: regenerating it there cost ~15% of an lr step,
                // and it is as large as the layer outputs the pass keeps anyway (sign is +-1, so the product with
                // sigma has the same bits as scaling in one go)
                INDArray e = noise(plan, l, from, to);
                noises[c][l] = e;
                v.addi(e.mul(plan.sigma()));
                x = l < network.layers() - 1 ? activate(v) : v;
            }
            losses(x, chunk, losses, from);
            return null;
        });
        return new CpuActivationPass(plan, losses, inputs, noises);
    }

    /** Signed noise {@code sign_r * eps_{r,l}} for rows {@code from..to-1}, as a [rows, out] matrix. */
    private INDArray noise(ActivationPlan plan, int layer, int from, int to) {
        int out = network.out(layer);
        float[] buf = new float[(to - from) * out];
        for (int r = from; r < to; r++) {
            plan.stream(r, layer).fill(NoiseStream.Distribution.GAUSSIAN, buf, (r - from) * out, out, 0);
            if (plan.negate()[r]) {
                int base = (r - from) * out;
                for (int o = 0; o < out; o++) {
                    buf[base + o] = -buf[base + o];
                }
            }
        }
        return Nd4jArrays.fromFloats(buf, to - from, out);
    }

    private INDArray gather(int[] rows) {
        return Nd4j.pullRows(features, 1, rows);
    }

    private INDArray activate(INDArray v) {
        return switch (network.activation()) {
            case RELU -> Transforms.relu(v, false);
            case TANH -> Transforms.tanh(v, false);
            case IDENTITY -> v;
        };
    }

    private void losses(INDArray logits, int[] rows, double[] out, int offset) {
        int classes = network.classes();
        float[] lf = Nd4jArrays.toFloats(logits);
        for (int r = 0; r < rows.length; r++) {
            out[offset + r] = Networks.softmaxCrossEntropy(lf, r * classes, classes, labels[rows[r]]);
        }
    }

    /** The layers of one parameter vector as ND4J views. */
    private final class Layers {
        private final INDArray[] w;
        private final INDArray[] b;

        Layers(float[] params) {
            INDArray p = Nd4jArrays.fromFloats(params, params.length);
            int layers = network.layers();
            w = new INDArray[layers];
            b = new INDArray[layers];
            for (int l = 0; l < layers; l++) {
                int wo = network.weightOffset(l);
                int bo = network.biasOffset(l);
                w[l] = p.get(NDArrayIndex.interval(wo, bo)).reshape('c', network.out(l), network.in(l));
                b[l] = p.get(NDArrayIndex.interval(bo, bo + network.out(l))).reshape(1, network.out(l));
            }
        }

        INDArray affine(int l, INDArray x) {
            INDArray v = x.mmul(w[l].transpose());
            return v.addiRowVector(b[l]);
        }
    }

    /** Keeps each chunk's layer inputs; regenerates the noise to assemble the gradient. */
    private final class CpuActivationPass implements ActivationPass {
        private final double[] losses;
        private final INDArray[][] inputs;
        private final INDArray[][] noises;
        private final ActivationPlan plan;

        CpuActivationPass(ActivationPlan plan, double[] losses, INDArray[][] inputs, INDArray[][] noises) {
            this.plan = plan;
            this.losses = losses;
            this.inputs = inputs;
            this.noises = noises;
        }

        @Override
        public double[] losses() {
            return losses.clone();
        }

        @Override
        public void accumulateGradient(double[] rowWeights, float[] gradient) {
            ActivationPlan p = plan;
            int n = p.size();
            // per chunk and layer: G_W = (w * sign * eps / sigma)^T X, G_b = column sums; summed in chunk order
            List<float[][]> parts = parallel.map(inputs.length, c -> {
                int from = c * chunkRows;
                int to = Math.min(n, from + chunkRows);
                float[] coef = new float[to - from];
                boolean any = false;
                for (int r = from; r < to; r++) {
                    coef[r - from] = (float) (rowWeights[r] / p.sigma());
                    any |= coef[r - from] != 0f;
                }
                if (!any) {
                    return null;
                }
                INDArray coefColumn = Nd4jArrays.fromFloats(coef, to - from, 1);
                float[][] g = new float[2 * network.layers()][];
                for (int l = 0; l < network.layers(); l++) {
                    INDArray e = noises[c][l].mulColumnVector(coefColumn); // w * sign * eps / sigma
                    g[2 * l] = Nd4jArrays.toFloats(e.transpose().mmul(inputs[c][l]));
                    float[] ef = Nd4jArrays.toFloats(e);
                    int out = network.out(l);
                    float[] gb = new float[out];
                    for (int r = 0; r < to - from; r++) {
                        for (int o = 0; o < out; o++) {
                            gb[o] += ef[r * out + o];
                        }
                    }
                    g[2 * l + 1] = gb;
                }
                return g;
            });
            for (float[][] g : parts) {
                if (g == null) {
                    continue;
                }
                for (int l = 0; l < network.layers(); l++) {
                    add(gradient, network.weightOffset(l), g[2 * l]);
                    add(gradient, network.biasOffset(l), g[2 * l + 1]);
                }
            }
        }

        private void add(float[] target, int offset, float[] values) {
            for (int k = 0; k < values.length; k++) {
                target[offset + k] += values[k];
            }
        }

        @Override
        public double[] noiseEnergy() {
            // from the noise kept for the assembly: (sign * eps)^2 = eps^2, no regeneration needed
            double[] e = new double[plan.size()];
            for (int c = 0; c < noises.length; c++) {
                int from = c * chunkRows;
                for (int l = 0; l < network.layers(); l++) {
                    int out = network.out(l);
                    float[] buf = Nd4jArrays.toFloats(noises[c][l]);
                    for (int r = 0; r < buf.length / out; r++) {
                        double s = 0;
                        for (int o = 0; o < out; o++) {
                            float v = buf[r * out + o];
                            s += (double) v * v;
                        }
                        e[from + r] += s - out;
                    }
                }
            }
            return e;
        }

        @Override
        public void close() {
            for (INDArray[] chunk : inputs) {
                java.util.Arrays.fill(chunk, null);
            }
            for (INDArray[] chunk : noises) {
                java.util.Arrays.fill(chunk, null);
            }
        }
    }
}
