package org.forward4j.estimator.graph;

/**
 * The likelihood-ratio gradient terms of one noise site (docs/method.md §2, §8): with noise {@code e} added to a
 * site's output, the terms of its trainable parameters are those of a linear map's output gradient {@code c}
 * ({@code c = w * sign * eps / sigma} per output value): {@code dW = c^T x} and {@code db = sum c} for a linear layer
 * or patch embedding (x its input tokens or patches), the correlation of {@code c} with the padded input for a
 * convolution, and {@code c * xhat} and {@code sum c} for a layer norm's scale and shift. Written once, in plain Java,
 * as the reference the batched backends are tested against.
 */
public final class SiteGradients {

    private SiteGradients() {
    }

    /**
     * Adds one row's terms of a site to a gradient in θ's layout.
     *
     * @param objective the model (offsets of the trainable tensors)
     * @param site the site
     * @param input what {@link GraphForward.Recorder} recorded for it
     * @param c the output gradient coefficients, one per value of the site's output
     * @param gradient θ's gradient, updated in place (frozen tensors have no place in it and are skipped)
     */
    public static void accumulate(GraphObjective objective, GraphObjective.Site site, float[] input, double[] c,
                                  float[] gradient) {
        String name = site.name();
        int w = objective.thetaOffset(name + ".weight");
        int b = objective.thetaOffset(name + ".bias");
        Layer l = site.layer();
        if (l instanceof Layer.Linear || l instanceof Layer.PatchEmbed) {
            int out = site.out().last();
            int in = input.length / (c.length / out);
            int tokens = c.length / out;
            for (int t = 0; t < tokens; t++) {
                for (int j = 0; j < out; j++) {
                    double cj = c[t * out + j];
                    if (cj == 0.0) {
                        continue;
                    }
                    if (b >= 0) {
                        gradient[b + j] += (float) cj;
                    }
                    if (w >= 0) {
                        for (int i = 0; i < in; i++) {
                            gradient[w + j * in + i] += (float) (cj * input[t * in + i]);
                        }
                    }
                }
            }
        } else if (l instanceof Layer.Conv2d conv) {
            int h = site.in().dim(1);
            int wd = site.in().dim(2);
            int oh = site.out().dim(1);
            int ow = site.out().dim(2);
            int k = conv.kernel();
            for (int oc = 0; oc < conv.out(); oc++) {
                for (int y = 0; y < oh; y++) {
                    for (int x = 0; x < ow; x++) {
                        double co = c[(oc * oh + y) * ow + x];
                        if (co == 0.0) {
                            continue;
                        }
                        if (b >= 0) {
                            gradient[b + oc] += (float) co;
                        }
                        if (w < 0) {
                            continue;
                        }
                        for (int ic = 0; ic < conv.in(); ic++) {
                            for (int ky = 0; ky < k; ky++) {
                                int iy = y * conv.stride() + ky - conv.padding();
                                if (iy < 0 || iy >= h) {
                                    continue;
                                }
                                for (int kx = 0; kx < k; kx++) {
                                    int ix = x * conv.stride() + kx - conv.padding();
                                    if (ix >= 0 && ix < wd) {
                                        gradient[w + ((oc * conv.in() + ic) * k + ky) * k + kx] +=
                                                (float) (co * input[(ic * h + iy) * wd + ix]);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        } else {
            int d = site.out().last();
            for (int i = 0; i < c.length; i++) {
                if (w >= 0) {
                    gradient[w + i % d] += (float) (c[i] * input[i]);
                }
                if (b >= 0) {
                    gradient[b + i % d] += (float) c[i];
                }
            }
        }
    }
}
