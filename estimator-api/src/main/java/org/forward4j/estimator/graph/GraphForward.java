package org.forward4j.estimator.graph;

import java.util.List;

/**
 * The plain-Java forward pass of a {@link LayerGraph}, one data row at a time: the semantics every backend
 * implements, and what they are tested against. Sums are accumulated in double and each layer's output stored in
 * float, as a float32 engine would store it.
 *
 * <p>Activation noise: at each noise site of a {@link GraphObjective} (a trainable linear, convolution, patch
 * embedding or layer norm) the caller may add a vector to the layer's output; a {@link Recorder} receives what the
 * likelihood-ratio gradient of the site's parameters needs (the site's input, or for a layer norm its normalised
 * input).
 */
public final class GraphForward {

    private GraphForward() {
    }

    /** Noise to add at a site's output (already scaled), or null for none. */
    @FunctionalInterface
    public interface Noise {
        /**
         * The additive noise of a site.
         *
         * @param site the site's index in {@link GraphObjective#sites()}
         * @return a vector of the site's output size, or null
         */
        float[] at(int site);
    }

    /** Receives the values a site's parameter gradient is built from. */
    @FunctionalInterface
    public interface Recorder {
        /**
         * The input of a site (a linear layer's input tokens or vector, a convolution's or patch embedding's input
         * image, a layer norm's normalised input), in the layer's input layout.
         *
         * @param site the site's index
         * @param input a fresh copy
         */
        void record(int site, float[] input);
    }

    /**
     * Runs blocks {@code from .. to-1} on one row's activations.
     *
     * @param objective the model (graph, parameters, sites)
     * @param params the full parameter vector ({@link GraphObjective#expand})
     * @param x the activations entering block {@code from}
     * @param from first block
     * @param to one past the last block
     * @param noise the noise to add, or null
     * @param recorder receives site inputs, or null
     * @return the activations leaving block {@code to - 1}
     */
    public static float[] run(GraphObjective objective, float[] params, float[] x, int from, int to, Noise noise,
                              Recorder recorder) {
        LayerGraph g = objective.graph();
        Shape s = g.blockShapes().get(from);
        float[] a = x;
        for (int b = from; b < to; b++) {
            for (Layer l : g.blocks().get(b).layers()) {
                a = layer(objective, l, params, a, s, noise, recorder);
                s = l.output(s);
            }
        }
        return a;
    }

    /**
     * The logits of one data row.
     *
     * @param objective the model
     * @param params the full parameters
     * @param row the data row
     * @param noise the noise, or null
     * @param recorder site inputs, or null
     * @return the class logits
     */
    public static float[] logits(GraphObjective objective, float[] params, int row, Noise noise, Recorder recorder) {
        int n = objective.graph().input().size();
        float[] x = new float[n];
        System.arraycopy(objective.features(), row * n, x, 0, n);
        return run(objective, params, x, 0, objective.graph().blocks().size(), noise, recorder);
    }

    private static float[] layer(GraphObjective o, Layer l, float[] p, float[] x, Shape s, Noise noise,
                                 Recorder rec) {
        if (l instanceof Layer.Linear lin) {
            return linear(o, lin, p, x, s, noise, rec);
        } else if (l instanceof Layer.Conv2d c) {
            return conv(o, c, p, x, s, noise, rec);
        } else if (l instanceof Layer.Pool2d pool) {
            return pool(pool, x, s);
        } else if (l instanceof Layer.Flatten) {
            return x;
        } else if (l instanceof Layer.LayerNorm ln) {
            return layerNorm(o, ln, p, x, s, noise, rec);
        } else if (l instanceof Layer.Act a) {
            return act(a, x);
        } else if (l instanceof Layer.PatchEmbed pe) {
            return patchEmbed(o, pe, p, x, s, noise, rec);
        } else if (l instanceof Layer.ClassToken ct) {
            return classToken(o, ct, p, x, s);
        } else if (l instanceof Layer.PositionEmbed pe) {
            return positionEmbed(o, pe, p, x);
        } else if (l instanceof Layer.Attention at) {
            return attention(o, at, p, x, s, noise, rec);
        } else if (l instanceof Layer.TokenPool tp) {
            return tokenPool(tp, x, s);
        } else {
            return residual(o, (Layer.Residual) l, p, x, s, noise, rec);
        }
    }

    private static int offset(GraphObjective o, String tensor) {
        return o.graph().tensor(tensor).offset();
    }

    /** Adds the site's noise and records its input, if the layer is a site. */
    private static void site(GraphObjective o, String layer, float[] input, float[] out, Noise noise, Recorder rec) {
        int s = o.siteIndex(layer);
        if (s < 0) {
            return;
        }
        if (rec != null) {
            rec.record(s, input.clone());
        }
        if (noise != null) {
            float[] e = noise.at(s);
            if (e != null) {
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) ((double) out[i] + e[i]);
                }
            }
        }
    }

    private static float[] linear(GraphObjective o, Layer.Linear lin, float[] p, float[] x, Shape s, Noise noise,
                                  Recorder rec) {
        int tokens = s.rank() == 1 ? 1 : s.dim(0);
        int w = offset(o, lin.name() + ".weight");
        int b = offset(o, lin.name() + ".bias");
        float[] y = new float[tokens * lin.out()];
        for (int t = 0; t < tokens; t++) {
            for (int j = 0; j < lin.out(); j++) {
                double acc = p[b + j];
                int row = w + j * lin.in();
                for (int i = 0; i < lin.in(); i++) {
                    acc += (double) p[row + i] * x[t * lin.in() + i];
                }
                y[t * lin.out() + j] = (float) acc;
            }
        }
        site(o, lin.name(), x, y, noise, rec);
        return y;
    }

    private static float[] conv(GraphObjective o, Layer.Conv2d c, float[] p, float[] x, Shape s, Noise noise,
                                Recorder rec) {
        int h = s.dim(1);
        int wd = s.dim(2);
        Shape os = c.output(s);
        int oh = os.dim(1);
        int ow = os.dim(2);
        int w = offset(o, c.name() + ".weight");
        int b = offset(o, c.name() + ".bias");
        int k = c.kernel();
        float[] y = new float[c.out() * oh * ow];
        for (int oc = 0; oc < c.out(); oc++) {
            for (int yy = 0; yy < oh; yy++) {
                for (int xx = 0; xx < ow; xx++) {
                    double acc = p[b + oc];
                    for (int ic = 0; ic < c.in(); ic++) {
                        for (int ky = 0; ky < k; ky++) {
                            int iy = yy * c.stride() + ky - c.padding();
                            if (iy < 0 || iy >= h) {
                                continue;
                            }
                            for (int kx = 0; kx < k; kx++) {
                                int ix = xx * c.stride() + kx - c.padding();
                                if (ix < 0 || ix >= wd) {
                                    continue;
                                }
                                acc += (double) p[w + ((oc * c.in() + ic) * k + ky) * k + kx]
                                        * x[(ic * h + iy) * wd + ix];
                            }
                        }
                    }
                    y[(oc * oh + yy) * ow + xx] = (float) acc;
                }
            }
        }
        site(o, c.name(), x, y, noise, rec);
        return y;
    }

    private static float[] pool(Layer.Pool2d pool, float[] x, Shape s) {
        Shape os = pool.output(s);
        int c = s.dim(0);
        int h = s.dim(1);
        int w = s.dim(2);
        int oh = os.dim(1);
        int ow = os.dim(2);
        int k = pool.kernel();
        float[] y = new float[c * oh * ow];
        for (int ch = 0; ch < c; ch++) {
            for (int yy = 0; yy < oh; yy++) {
                for (int xx = 0; xx < ow; xx++) {
                    double acc = pool.kind() == Layer.Pool2d.Kind.MAX ? Double.NEGATIVE_INFINITY : 0;
                    for (int ky = 0; ky < k; ky++) {
                        for (int kx = 0; kx < k; kx++) {
                            float v = x[(ch * h + yy * pool.stride() + ky) * w + xx * pool.stride() + kx];
                            acc = pool.kind() == Layer.Pool2d.Kind.MAX ? Math.max(acc, v) : acc + v;
                        }
                    }
                    y[(ch * oh + yy) * ow + xx] = (float) (pool.kind() == Layer.Pool2d.Kind.MAX ? acc : acc / (k * k));
                }
            }
        }
        return y;
    }

    private static float[] layerNorm(GraphObjective o, Layer.LayerNorm ln, float[] p, float[] x, Shape s,
                                     Noise noise, Recorder rec) {
        int d = ln.dim();
        int tokens = x.length / d;
        int g = offset(o, ln.name() + ".weight");
        int b = offset(o, ln.name() + ".bias");
        float[] xhat = new float[x.length];
        float[] y = new float[x.length];
        for (int t = 0; t < tokens; t++) {
            double mean = 0;
            for (int i = 0; i < d; i++) {
                mean += x[t * d + i];
            }
            mean /= d;
            double var = 0;
            for (int i = 0; i < d; i++) {
                double c = x[t * d + i] - mean;
                var += c * c;
            }
            var /= d;
            double inv = 1.0 / Math.sqrt(var + Layer.LayerNorm.EPS);
            for (int i = 0; i < d; i++) {
                float h = (float) ((x[t * d + i] - mean) * inv);
                xhat[t * d + i] = h;
                y[t * d + i] = (float) ((double) h * p[g + i] + p[b + i]);
            }
        }
        site(o, ln.name(), xhat, y, noise, rec);
        return y;
    }

    private static float[] act(Layer.Act a, float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (float) a.fn().apply(x[i]);
        }
        return y;
    }

    private static float[] patchEmbed(GraphObjective o, Layer.PatchEmbed pe, float[] p, float[] x, Shape s,
                                      Noise noise, Recorder rec) {
        float[] patches = patches(pe, x, s);
        int tokens = patches.length / (pe.channels() * pe.patch() * pe.patch());
        int in = pe.channels() * pe.patch() * pe.patch();
        int w = offset(o, pe.name() + ".weight");
        int b = offset(o, pe.name() + ".bias");
        float[] y = new float[tokens * pe.dim()];
        for (int t = 0; t < tokens; t++) {
            for (int j = 0; j < pe.dim(); j++) {
                double acc = p[b + j];
                for (int i = 0; i < in; i++) {
                    acc += (double) p[w + j * in + i] * patches[t * in + i];
                }
                y[t * pe.dim() + j] = (float) acc;
            }
        }
        site(o, pe.name(), patches, y, noise, rec);
        return y;
    }

    /**
     * The patches of an image as rows of a {@code [tokens, C patch patch]} matrix, tokens in row-major patch order,
     * each patch's values ordered channel, row, column.
     *
     * @param pe the patch embedding
     * @param x the image {@code [C, H, W]}
     * @param s its shape
     * @return the patch matrix, row-major
     */
    public static float[] patches(Layer.PatchEmbed pe, float[] x, Shape s) {
        int c = s.dim(0);
        int h = s.dim(1);
        int w = s.dim(2);
        int p = pe.patch();
        int ph = h / p;
        int pw = w / p;
        int in = c * p * p;
        float[] out = new float[ph * pw * in];
        for (int py = 0; py < ph; py++) {
            for (int px = 0; px < pw; px++) {
                int t = py * pw + px;
                for (int ch = 0; ch < c; ch++) {
                    for (int dy = 0; dy < p; dy++) {
                        for (int dx = 0; dx < p; dx++) {
                            out[t * in + (ch * p + dy) * p + dx] = x[(ch * h + py * p + dy) * w + px * p + dx];
                        }
                    }
                }
            }
        }
        return out;
    }

    private static float[] classToken(GraphObjective o, Layer.ClassToken ct, float[] p, float[] x, Shape s) {
        int d = ct.dim();
        float[] y = new float[x.length + d];
        System.arraycopy(p, offset(o, ct.name() + ".token"), y, 0, d);
        System.arraycopy(x, 0, y, d, x.length);
        return y;
    }

    private static float[] positionEmbed(GraphObjective o, Layer.PositionEmbed pe, float[] p, float[] x) {
        int e = offset(o, pe.name() + ".embedding");
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] + p[e + i];
        }
        return y;
    }

    private static float[] attention(GraphObjective o, Layer.Attention at, float[] p, float[] x, Shape s,
                                     Noise noise, Recorder rec) {
        List<Layer.Linear> proj = at.projections();
        float[] q = linear(o, proj.get(0), p, x, s, noise, rec);
        float[] k = linear(o, proj.get(1), p, x, s, noise, rec);
        float[] v = linear(o, proj.get(2), p, x, s, noise, rec);
        int t = s.dim(0);
        int d = at.dim();
        int dh = d / at.heads();
        double scale = 1.0 / Math.sqrt(dh);
        float[] mix = new float[t * d];
        double[] scores = new double[t];
        for (int h = 0; h < at.heads(); h++) {
            for (int i = 0; i < t; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < t; j++) {
                    double acc = 0;
                    for (int c = 0; c < dh; c++) {
                        acc += (double) q[i * d + h * dh + c] * k[j * d + h * dh + c];
                    }
                    scores[j] = (float) (acc * scale);
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < t; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int c = 0; c < dh; c++) {
                    double acc = 0;
                    for (int j = 0; j < t; j++) {
                        acc += scores[j] / sum * v[j * d + h * dh + c];
                    }
                    mix[i * d + h * dh + c] = (float) acc;
                }
            }
        }
        return linear(o, proj.get(3), p, mix, s, noise, rec);
    }

    private static float[] tokenPool(Layer.TokenPool tp, float[] x, Shape s) {
        int t = s.dim(0);
        int d = s.dim(1);
        float[] y = new float[d];
        if (tp.kind() == Layer.TokenPool.Kind.CLASS) {
            System.arraycopy(x, 0, y, 0, d);
            return y;
        }
        for (int c = 0; c < d; c++) {
            double acc = 0;
            for (int i = 0; i < t; i++) {
                acc += x[i * d + c];
            }
            y[c] = (float) (acc / t);
        }
        return y;
    }

    private static float[] residual(GraphObjective o, Layer.Residual r, float[] p, float[] x, Shape s, Noise noise,
                                    Recorder rec) {
        float[] a = x;
        Shape t = s;
        for (Layer l : r.body()) {
            a = layer(o, l, p, a, t, noise, rec);
            t = l.output(t);
        }
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] + a[i];
        }
        return y;
    }
}
