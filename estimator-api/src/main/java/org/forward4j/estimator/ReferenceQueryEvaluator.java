package org.forward4j.estimator;

import org.forward4j.estimator.graph.GraphForward;
import org.forward4j.estimator.graph.GraphObjective;
import org.forward4j.estimator.graph.SiteGradients;
import org.forward4j.noise.NoiseStream;
import org.forward4j.plugin.UnsupportedCapabilityException;

/**
 * A straightforward, unbatched evaluator: it materialises each perturbed parameter vector and calls
 * {@link Objective#losses}, and runs activation-noise queries row by row in plain Java. Backends are tested
 * against it; plugin tests can use it without the engine; the {@code cpu} backend uses it for black-box objectives,
 * where the user's {@code losses} is all there is to call.
 */
public final class ReferenceQueryEvaluator implements QueryEvaluator {

    private final Objective objective;

    /**
     * Creates the evaluator.
     *
     * @param objective the objective to evaluate
     */
    public ReferenceQueryEvaluator(Objective objective) {
        this.objective = objective;
    }

    @Override
    public Objective objective() {
        return objective;
    }

    @Override
    public double[][] evaluate(float[] theta, WeightPlan plan) {
        int d = objective.dimension();
        double[][] out = new double[plan.queries().size()][];
        float[] z = new float[d];
        float[] buf = new float[d];
        int direction = 0;
        boolean generated = false;
        for (int q = 0; q < out.length; q++) {
            WeightQuery wq = plan.queries().get(q);
            if (wq.scale() == 0f) {
                System.arraycopy(theta, 0, buf, 0, d);
            } else {
                // consecutive queries on one direction (the + and - of SPSA) generate it once
                if (!generated || direction != wq.direction()) {
                    plan.stream(wq.direction()).fill(plan.distribution(), z, 0, d, 0);
                    direction = wq.direction();
                    generated = true;
                }
                for (int k = 0; k < d; k++) {
                    buf[k] = theta[k] + wq.scale() * z[k];
                }
            }
            out[q] = new double[wq.rows().length];
            objective.losses(buf, wq.rows(), out[q]);
        }
        return out;
    }

    @Override
    public ActivationPass evaluate(float[] theta, ActivationPlan plan) {
        if (objective instanceof GraphObjective graph) {
            return graphPass(graph, theta, plan);
        }
        if (!(objective instanceof NetworkObjective net)) {
            throw new UnsupportedCapabilityException("Activation-noise queries need a native network objective, but "
                    + objective + " is a black box; use the spsa or rge estimator for black-box objectives");
        }
        DenseNetwork network = net.network();
        int layers = network.layers();
        int n = plan.size();
        double[] losses = new double[n];
        float[][][] inputs = new float[n][layers][];
        for (int r = 0; r < n; r++) {
            float[][] noise = noise(network, plan, r);
            int row = plan.rows()[r];
            losses[r] = Networks.loss(network, theta, net.features(), row, net.labels()[row], noise, inputs[r]);
        }
        return new ActivationPass() {
            @Override
            public double[] losses() {
                return losses.clone();
            }

            @Override
            public void accumulateGradient(double[] rowWeights, float[] gradient) {
                for (int r = 0; r < n; r++) {
                    if (rowWeights[r] == 0.0) {
                        continue;
                    }
                    float[][] eps = noise(network, plan, r);
                    for (int l = 0; l < layers; l++) {
                        int in = network.in(l);
                        int w = network.weightOffset(l);
                        int b = network.biasOffset(l);
                        float[] x = inputs[r][l];
                        for (int o = 0; o < network.out(l); o++) {
                            // eps here already includes sigma and sign; divide by sigma^2 to get sign*eps/sigma
                            double c = rowWeights[r] * eps[l][o] / ((double) plan.sigma() * plan.sigma());
                            gradient[b + o] += (float) c;
                            for (int i = 0; i < in; i++) {
                                gradient[w + o * in + i] += (float) (c * x[i]);
                            }
                        }
                    }
                }
            }

            @Override
            public double[] noiseEnergy() {
                double[] e = new double[n];
                for (int r = 0; r < n; r++) {
                    float[][] eps = noise(network, plan, r);
                    for (int l = 0; l < layers; l++) {
                        double s = 0;
                        for (float v : eps[l]) {
                            double u = v / plan.sigma();
                            s += u * u;
                        }
                        e[r] += s - network.out(l);
                    }
                }
                return e;
            }
        };
    }

    /** Activation noise on a layer graph: every site's output perturbed, site inputs kept for the assembly. */
    private static ActivationPass graphPass(GraphObjective graph, float[] theta, ActivationPlan plan) {
        float[] full = graph.expand(theta);
        int n = plan.size();
        double[] losses = new double[n];
        float[][][] inputs = new float[n][graph.sites().size()][];
        for (int r = 0; r < n; r++) {
            float[][] noise = graphNoise(graph, plan, r);
            float[][] in = inputs[r];
            int row = plan.rows()[r];
            float[] logits = GraphForward.logits(graph, full, row, s -> noise[s], (s, x) -> in[s] = x);
            losses[r] = Networks.softmaxCrossEntropy(logits, 0, logits.length, graph.labels()[row]);
        }
        return new ActivationPass() {
            @Override
            public double[] losses() {
                return losses.clone();
            }

            @Override
            public void accumulateGradient(double[] rowWeights, float[] gradient) {
                double s2 = (double) plan.sigma() * plan.sigma();
                for (int r = 0; r < n; r++) {
                    if (rowWeights[r] == 0.0) {
                        continue;
                    }
                    float[][] eps = graphNoise(graph, plan, r);
                    for (GraphObjective.Site site : graph.sites()) {
                        double[] c = new double[eps[site.index()].length];
                        for (int i = 0; i < c.length; i++) {
                            // eps already includes sigma and sign: sign * eps / sigma = eps / sigma^2
                            c[i] = rowWeights[r] * eps[site.index()][i] / s2;
                        }
                        SiteGradients.accumulate(graph, site, inputs[r][site.index()], c, gradient);
                    }
                }
            }

            @Override
            public double[] noiseEnergy() {
                double[] e = new double[n];
                for (int r = 0; r < n; r++) {
                    float[][] eps = graphNoise(graph, plan, r);
                    for (GraphObjective.Site site : graph.sites()) {
                        double s = 0;
                        for (float v : eps[site.index()]) {
                            double u = v / plan.sigma();
                            s += u * u;
                        }
                        e[r] += s - site.noisy();
                    }
                }
                return e;
            }
        };
    }

    /** sigma * sign * eps for every site of query r. */
    private static float[][] graphNoise(GraphObjective graph, ActivationPlan plan, int r) {
        float[][] noise = new float[graph.sites().size()][];
        float scale = plan.negate()[r] ? -plan.sigma() : plan.sigma();
        for (GraphObjective.Site site : graph.sites()) {
            // only the values that can reach the loss get noise; the rest of the output stays as it is
            int noisy = site.noisy();
            float[] e = new float[site.out().size()];
            plan.stream(r, site.index()).fill(NoiseStream.Distribution.GAUSSIAN, e, 0, noisy, 0);
            for (int i = 0; i < noisy; i++) {
                e[i] *= scale;
            }
            noise[site.index()] = e;
        }
        return noise;
    }

    /** sigma * sign * eps for every layer of query r. */
    private static float[][] noise(DenseNetwork network, ActivationPlan plan, int r) {
        float[][] noise = new float[network.layers()][];
        float scale = plan.negate()[r] ? -plan.sigma() : plan.sigma();
        for (int l = 0; l < network.layers(); l++) {
            noise[l] = new float[network.out(l)];
            plan.stream(r, l).fill(NoiseStream.Distribution.GAUSSIAN, noise[l], 0, network.out(l), 0);
            for (int o = 0; o < noise[l].length; o++) {
                noise[l][o] *= scale;
            }
        }
        return noise;
    }
}
