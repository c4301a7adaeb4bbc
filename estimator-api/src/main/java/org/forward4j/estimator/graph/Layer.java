package org.forward4j.estimator.graph;

import java.util.List;

/**
 * One layer of a {@link LayerGraph}: how it transforms a row's activations, and which parameter tensors it owns.
 * The kinds are the ones forward-learning fine-tuning needs (dense and convolutional networks, small vision
 * transformers); every backend implements each kind with the semantics written on it, and the plain-Java
 * {@link GraphForward} is the reference they are tested against.
 */
public sealed interface Layer permits Layer.Linear, Layer.Conv2d, Layer.Pool2d, Layer.Flatten, Layer.LayerNorm,
        Layer.Act, Layer.PatchEmbed, Layer.ClassToken, Layer.PositionEmbed, Layer.Attention, Layer.TokenPool,
        Layer.Residual {

    /**
     * The output shape for an input shape.
     *
     * @param in the input shape
     * @return the output shape
     * @throws IllegalArgumentException naming the layer when the input does not fit it
     */
    Shape output(Shape in);

    /**
     * The parameter tensors this layer owns (composites: of all their parts), in the flat layout's order.
     *
     * @param in the input shape
     * @return the tensors, names complete
     */
    List<ParameterSpec> parameters(Shape in);

    /**
     * What the layer is called in messages.
     *
     * @return a short description with its name
     */
    String describe();

    /**
     * A dense layer {@code y = W x + b} on the last dimension: a vector {@code [in] -> [out]}, or every token of a
     * sequence {@code [T, in] -> [T, out]}. Parameters {@code name.weight [out, in]} (row-major, PyTorch's layout)
     * and {@code name.bias [out]}. A trainable one is a noise site of activation-noise estimators.
     *
     * @param name its name
     * @param in input width
     * @param out output width
     */
    record Linear(String name, int in, int out) implements Layer {
        @Override
        public Shape output(Shape s) {
            require(s.rank() <= 2 && s.last() == in, this, s, "a vector or tokens of width " + in);
            return s.rank() == 1 ? Shape.vector(out) : Shape.tokens(s.dim(0), out);
        }

        @Override
        public List<ParameterSpec> parameters(Shape s) {
            return List.of(new ParameterSpec(name + ".weight", new int[] {out, in}, ParameterSpec.Role.WEIGHT),
                    new ParameterSpec(name + ".bias", new int[] {out}, ParameterSpec.Role.BIAS));
        }

        @Override
        public String describe() {
            return "linear '" + name + "' (" + in + " -> " + out + ")";
        }
    }

    /**
     * A 2-D convolution {@code [C, H, W] -> [out, H', W']}, {@code H' = (H + 2 padding - kernel) / stride + 1},
     * zero padding, cross-correlation as in every deep-learning library. Parameters {@code name.weight
     * [out, in, kernel, kernel]} and {@code name.bias [out]}. A trainable one is a noise site.
     *
     * @param name its name
     * @param in input channels
     * @param out output channels
     * @param kernel square kernel size
     * @param stride stride
     * @param padding zero padding on each side
     */
    record Conv2d(String name, int in, int out, int kernel, int stride, int padding) implements Layer {
        @Override
        public Shape output(Shape s) {
            require(s.rank() == 3 && s.dim(0) == in, this, s, "an image with " + in + " channels");
            int h = (s.dim(1) + 2 * padding - kernel) / stride + 1;
            int w = (s.dim(2) + 2 * padding - kernel) / stride + 1;
            require(h >= 1 && w >= 1 && kernel >= 1 && stride >= 1 && padding >= 0, this, s,
                    "an image at least as large as the kernel");
            return Shape.image(out, h, w);
        }

        @Override
        public List<ParameterSpec> parameters(Shape s) {
            return List.of(new ParameterSpec(name + ".weight", new int[] {out, in, kernel, kernel},
                    ParameterSpec.Role.WEIGHT), new ParameterSpec(name + ".bias", new int[] {out},
                    ParameterSpec.Role.BIAS));
        }

        @Override
        public String describe() {
            return "conv2d '" + name + "' (" + in + " -> " + out + ", kernel " + kernel + ", stride " + stride
                    + ", padding " + padding + ")";
        }
    }

    /**
     * Max or average pooling of each channel over {@code kernel x kernel} windows every {@code stride} pixels, no
     * padding: {@code [C, H, W] -> [C, (H - kernel) / stride + 1, (W - kernel) / stride + 1]}.
     *
     * @param kind max or average
     * @param kernel window size
     * @param stride step between windows
     */
    record Pool2d(Kind kind, int kernel, int stride) implements Layer {
        /** The pooling function. */
        public enum Kind {
            /** The largest value of the window. */
            MAX,
            /** The mean of the window. */
            AVG
        }

        @Override
        public Shape output(Shape s) {
            require(s.rank() == 3 && kernel >= 1 && stride >= 1 && s.dim(1) >= kernel && s.dim(2) >= kernel, this, s,
                    "an image at least " + kernel + " x " + kernel);
            return Shape.image(s.dim(0), (s.dim(1) - kernel) / stride + 1, (s.dim(2) - kernel) / stride + 1);
        }

        @Override
        public List<ParameterSpec> parameters(Shape s) {
            return List.of();
        }

        @Override
        public String describe() {
            return kind.name().toLowerCase(java.util.Locale.ROOT) + "pool2d (kernel " + kernel + ", stride " + stride
                    + ")";
        }
    }

    /** Flattens an image or a token sequence into a vector, in storage order. */
    record Flatten() implements Layer {
        @Override
        public Shape output(Shape s) {
            return Shape.vector(s.size());
        }

        @Override
        public List<ParameterSpec> parameters(Shape s) {
            return List.of();
        }

        @Override
        public String describe() {
            return "flatten";
        }
    }

    /**
     * Layer normalisation over the last dimension (each token of a sequence, or a vector):
     * {@code y = (x - mean) / sqrt(var + 1e-5) * weight + bias}, the variance divided by the width. Parameters
     * {@code name.weight [dim]} (scale) and {@code name.bias [dim]} (shift). A trainable one is a noise site (its
     * output is affine in its parameters).
     *
     * @param name its name
     * @param dim the normalised width
     */
    record LayerNorm(String name, int dim) implements Layer {
        /** The variance floor of every backend. */
        public static final float EPS = 1e-5f;

        @Override
        public Shape output(Shape s) {
            require(s.rank() <= 2 && s.last() == dim, this, s, "a vector or tokens of width " + dim);
            return s;
        }

        @Override
        public List<ParameterSpec> parameters(Shape s) {
            return List.of(new ParameterSpec(name + ".weight", new int[] {dim}, ParameterSpec.Role.SCALE),
                    new ParameterSpec(name + ".bias", new int[] {dim}, ParameterSpec.Role.SHIFT));
        }

        @Override
        public String describe() {
            return "layernorm '" + name + "' (" + dim + ")";
        }
    }

    /**
     * An element-wise nonlinearity.
     *
     * @param fn the function
     */
    record Act(Fn fn) implements Layer {
        /** The functions. */
        public enum Fn {
            /** max(0, x). */
            RELU,
            /** tanh(x). */
            TANH,
            /** GELU, tanh form: {@code 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))}. */
            GELU;

            /**
             * The function of one value, in double.
             *
             * @param x the input
             * @return the output
             */
            public double apply(double x) {
                return switch (this) {
                    case RELU -> x > 0 ? x : 0;
                    case TANH -> Math.tanh(x);
                    case GELU -> 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
                };
            }
        }

        /** {@code sqrt(2 / pi)}. */
        public static final double GELU_C = Math.sqrt(2 / Math.PI);

        @Override
        public Shape output(Shape s) {
            return s;
        }

        @Override
        public List<ParameterSpec> parameters(Shape s) {
            return List.of();
        }

        @Override
        public String describe() {
            return fn.name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Splits an image into non-overlapping {@code patch x patch} squares and embeds each as a token:
     * {@code [C, H, W] -> [(H / patch) (W / patch), dim]}, tokens in row-major patch order, each the linear map of
     * its patch's values ordered channel, row, column (so it equals a convolution with kernel and stride
     * {@code patch}). Parameters {@code name.weight [dim, C patch patch]}, {@code name.bias [dim]}. A trainable one
     * is a noise site.
     *
     * @param name its name
     * @param channels C
     * @param patch the patch size, dividing H and W
     * @param dim the token width
     */
    record PatchEmbed(String name, int channels, int patch, int dim) implements Layer {
        @Override
        public Shape output(Shape s) {
            require(s.rank() == 3 && s.dim(0) == channels && patch >= 1 && s.dim(1) % patch == 0
                    && s.dim(2) % patch == 0, this, s, "an image with " + channels + " channels whose sides " + patch
                    + " divides");
            return Shape.tokens((s.dim(1) / patch) * (s.dim(2) / patch), dim);
        }

        @Override
        public List<ParameterSpec> parameters(Shape s) {
            return List.of(new ParameterSpec(name + ".weight", new int[] {dim, channels * patch * patch},
                    ParameterSpec.Role.WEIGHT), new ParameterSpec(name + ".bias", new int[] {dim},
                    ParameterSpec.Role.BIAS));
        }

        @Override
        public String describe() {
            return "patch embedding '" + name + "' (" + channels + " channels, patch " + patch + ", width " + dim
                    + ")";
        }
    }

    /**
     * Prepends a learned class token: {@code [T, D] -> [T + 1, D]}. Parameter {@code name.token [D]}.
     *
     * @param name its name
     * @param dim D
     */
    record ClassToken(String name, int dim) implements Layer {
        @Override
        public Shape output(Shape s) {
            require(s.rank() == 2 && s.last() == dim, this, s, "tokens of width " + dim);
            return Shape.tokens(s.dim(0) + 1, dim);
        }

        @Override
        public List<ParameterSpec> parameters(Shape s) {
            return List.of(new ParameterSpec(name + ".token", new int[] {dim}, ParameterSpec.Role.EMBEDDING));
        }

        @Override
        public String describe() {
            return "class token '" + name + "'";
        }
    }

    /**
     * Adds a learned position embedding to every token: {@code [T, D] -> [T, D]}. Parameter
     * {@code name.embedding [T, D]}.
     *
     * @param name its name
     * @param tokens T
     * @param dim D
     */
    record PositionEmbed(String name, int tokens, int dim) implements Layer {
        @Override
        public Shape output(Shape s) {
            require(s.rank() == 2 && s.dim(0) == tokens && s.last() == dim, this, s, tokens + " tokens of width "
                    + dim);
            return s;
        }

        @Override
        public List<ParameterSpec> parameters(Shape s) {
            return List.of(new ParameterSpec(name + ".embedding", new int[] {tokens, dim},
                    ParameterSpec.Role.EMBEDDING));
        }

        @Override
        public String describe() {
            return "position embedding '" + name + "'";
        }
    }

    /**
     * Multi-head self-attention over a token sequence, {@code [T, D] -> [T, D]}: per head h of width
     * {@code D / heads}, {@code softmax(Q_h K_h^T / sqrt(D / heads)) V_h}, the heads concatenated and projected.
     * Its four linear maps are {@link Linear} layers named {@code name.q}, {@code name.k}, {@code name.v} and
     * {@code name.o} ({@code [D, D]} each), each a noise site (per token) when trainable.
     *
     * @param name its name
     * @param dim D
     * @param heads the number of heads, dividing D
     */
    record Attention(String name, int dim, int heads) implements Layer {
        /**
         * The four projections, in the order their parameters are laid out.
         *
         * @return q, k, v, o
         */
        public List<Linear> projections() {
            return List.of(new Linear(name + ".q", dim, dim), new Linear(name + ".k", dim, dim),
                    new Linear(name + ".v", dim, dim), new Linear(name + ".o", dim, dim));
        }

        @Override
        public Shape output(Shape s) {
            require(s.rank() == 2 && s.last() == dim && heads >= 1 && dim % heads == 0, this, s,
                    "tokens of width " + dim + " (divisible by " + heads + " heads)");
            return s;
        }

        @Override
        public List<ParameterSpec> parameters(Shape s) {
            List<ParameterSpec> out = new java.util.ArrayList<>();
            for (Linear p : projections()) {
                out.addAll(p.parameters(s));
            }
            return out;
        }

        @Override
        public String describe() {
            return "attention '" + name + "' (width " + dim + ", " + heads + " heads)";
        }
    }

    /**
     * Reduces a token sequence to a vector: the first token (the class token) or the mean of all tokens.
     *
     * @param kind which reduction
     */
    record TokenPool(Kind kind) implements Layer {
        /** The reduction. */
        public enum Kind {
            /** Token 0, where a {@link ClassToken} put the class token. */
            CLASS,
            /** The mean over tokens. */
            MEAN
        }

        @Override
        public Shape output(Shape s) {
            require(s.rank() == 2, this, s, "tokens");
            return Shape.vector(s.last());
        }

        @Override
        public List<ParameterSpec> parameters(Shape s) {
            return List.of();
        }

        @Override
        public String describe() {
            return "token pooling (" + kind.name().toLowerCase(java.util.Locale.ROOT) + ")";
        }
    }

    /**
     * A residual branch: {@code y = x + body(x)}, the body keeping the shape.
     *
     * @param body the layers of the branch (copied)
     */
    record Residual(List<Layer> body) implements Layer {
        /**
         * Copies the body.
         *
         * @param body the layers of the branch
         */
        public Residual {
            body = List.copyOf(body);
        }

        @Override
        public Shape output(Shape s) {
            Shape t = s;
            for (Layer l : body) {
                t = l.output(t);
            }
            require(t.equals(s), this, s, "a body that keeps the shape (it gives " + t + ")");
            return s;
        }

        @Override
        public List<ParameterSpec> parameters(Shape s) {
            List<ParameterSpec> out = new java.util.ArrayList<>();
            Shape t = s;
            for (Layer l : body) {
                out.addAll(l.parameters(t));
                t = l.output(t);
            }
            return out;
        }

        @Override
        public String describe() {
            return "residual of " + body.size() + " layers";
        }
    }

    /** Throws a message naming the layer, the shape it got and what it needs. */
    private static void require(boolean ok, Layer layer, Shape in, String needs) {
        if (!ok) {
            throw new IllegalArgumentException(layer.describe() + " cannot take input " + in + ": it needs " + needs);
        }
    }
}
