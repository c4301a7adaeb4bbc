#!/usr/bin/env python3
"""The JAX peer of `forward4j bench --models cnn,vit`: forward4j's two preset layer graphs (Graphs.preset, 28 x 28
single-channel images, 10 classes) written the way a JAX user would write them (jit, XLA convolutions on the CPU),
with the same estimators, timed in the same units as peer_jax.py (whose cross_entropy and measure it imports).

Models (exactly Graphs.java and the layer semantics of Layer.java / GraphForward.java; NCHW images, [N, T, D] tokens,
weights in forward4j's [out, in] / [out, in, k, k] layouts and tensor names):
* cnn: conv1 = conv 3x3 1->8 pad 1 + ReLU + max pool 2/2; conv2 = conv 3x3 8->16 pad 1 + ReLU + max pool 2/2;
  fc = flatten (C, H, W order) + linear 784->64 + ReLU; head = linear 64->10.
* vit-pruned: vit with the last block's query, attention output and MLP computed for the class token only (the
  others cannot reach the head; forward4j's cpu backend prunes them the same way, and puts lr's noise only on values
  that can reach the loss). Same parameters and losses as vit.
* vit: embed = patch embedding (7x7 stride-7 convolution to 32, tokens in row-major patch order) + class token in
  front + position embedding (17 tokens); blocks.0, blocks.1 = pre-norm [x + attn(ln1(x)); x + mlp2(gelu(mlp1(ln2(x))))]
  with 2-head attention (q, k, v, o projections, softmax(q k^T / sqrt(16)) v), mlp 32->64->32, GELU in its tanh form;
  norm = final layer norm (eps 1e-5, variance over the width) + class-token pooling; head = linear 32->10.
Loss: softmax cross-entropy. Initialisation as Graphs.initialParameters (normal sqrt(1/fan_in), sqrt(2/fan_in) with a
ReLU in the block; class token and position embedding normal 0.02; layer norms 1 and 0; biases 0), from JAX's PRNG.

Workload, batch B points, K queries per point (B*K queries per step), for a trainable selection `all` or `last:N`
(every tensor of the last N blocks; cnn blocks conv1, conv2, fc, head; vit blocks embed, blocks.0, blocks.1, norm,
head, so last:2 = fc + head and norm + head):
* plain: one unperturbed forward of the whole model on B*K rows (the batch tiled K times), rows/s; the same for every
  selection, as forward4j's bench measures it;
* lr: activation noise sigma = 0.01 on the output of every trainable linear, convolution, patch embedding and layer
  norm (attention: each of q, k, v, o, per token), K/2 antithetic pairs per point, the exact likelihood-ratio
  estimator with a leave-own-pair-out mean baseline per point; each site's gradient is the vjp of its affine map
  (x W^T + b, the convolution, xhat * gamma + beta) with respect to its parameters at the recorded site input, with
  the noise-weighted coefficients as cotangent: a GEMM (a transposed convolution for convolutions); no
  backpropagation through the network. Class token and position embedding are not sites: lr leaves them unchanged,
  as forward4j does. queries/s;
* spsa: K/2 shared Gaussian directions over the trainable tensors, two-sided (each direction evaluated on the whole
  batch at theta + c z and theta - c z, c = 1e-3), queries/s.
Each step returns the updated trainable parameters, so XLA cannot drop any of the work.

The frozen prefix (leading blocks without a trainable tensor: none for `all`, conv1 + conv2 or embed + blocks for
`last:2`) is computed once per step on the B distinct rows and then tiled (lr) or shared by every direction (spsa),
the way a JAX user would write it. lr also evaluates everything up to the first noise site (and that site's weight
term) once per point before tiling, as forward4j's cpu backend does. Difference: forward4j's bench measures a fixed
batch and its cpu backend caches the prefix output per data row across steps, so there the prefix is computed once
per row in total, here once per step.

usage: peer_jax_graph.py [models=cnn,vit] [trainable=all,last:2] [B=64] [K=16] [steps=20] [windows=5]
prints one line per measurement: `peer jax <version> <model>:<selection> <what> <rate> <cpu-rate>`
(what: plain, lr, spsa; rate per second of wall time, cpu-rate per second of the process's CPU time, all threads)
"""
import math
import os
import sys

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_jax import cross_entropy, measure  # noqa: E402

LN_EPS = 1e-5
SIGMA = 0.01
SPSA_SCALE = 1e-3
RATE = 1e-3


# ---- the affine maps of the noise sites: (weight, bias), input -> output ----

def linear(p, x):
    w, b = p
    return x @ w.T + b


def conv(stride, padding):
    def apply(p, x):
        w, b = p
        y = jax.lax.conv_general_dilated(x, w, (stride, stride), [(padding, padding)] * 2,
                                         dimension_numbers=("NCHW", "OIHW", "NCHW"))
        return y + b[None, :, None, None]
    return apply


def patch_embed(patch):
    def apply(p, x):
        w, b = p
        dim = w.shape[0]
        # weight [dim, C patch patch] in channel, row, column order = a [dim, C, patch, patch] kernel at stride patch
        y = jax.lax.conv_general_dilated(x, w.reshape(dim, x.shape[1], patch, patch), (patch, patch), "VALID",
                                         dimension_numbers=("NCHW", "OIHW", "NCHW"))
        return y.reshape(y.shape[0], dim, -1).transpose(0, 2, 1) + b
    return apply


def layer_norm_affine(p, xhat):
    gamma, beta = p
    return xhat * gamma + beta


def normalise(x):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / jnp.sqrt(var + LN_EPS)


def max_pool(x, k=2):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // k, k, w // k, k).max(axis=(3, 5))


def gelu(x):
    return jax.nn.gelu(x, approximate=True)  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as Layer.Act.GELU


class Sites:
    """The noise sites of one forward. Plain (key None): the affine maps only. Noisy: a site whose name is in
    `noisy` gets sigma * eps added to its output, eps of K/2 antithetic pairs per point, and its input and noise are
    recorded for the likelihood-ratio assembly. Activations start with one row per point; the first noisy site's
    output (computed per point) is repeated K times, row = point * K + query, queries 0..K/2-1 with +eps and K/2..K-1
    with -eps."""

    def __init__(self, key=None, noisy=(), batch=0, per_point=1):
        self.key, self.noisy, self.batch, self.per_point = key, set(noisy), batch, per_point
        self.records = {}

    def site(self, name, apply, params, x):
        y = apply(params, x)
        if self.key is None or name not in self.noisy:
            return y
        if x.shape[0] == self.batch:  # still per point: tile now
            y = jnp.repeat(y, self.per_point, axis=0)
        k = jax.random.fold_in(self.key, len(self.records))
        e = SIGMA * jax.random.normal(k, (self.batch, self.per_point // 2) + y.shape[1:])
        e = jnp.stack([e, -e], axis=1).reshape(y.shape)
        self.records[name] = (apply, params, x, e)
        return y + e

    def linear(self, name, P, x):
        return self.site(name, linear, (P[name + ".weight"], P[name + ".bias"]), x)

    def conv(self, name, P, x, stride=1, padding=1):
        return self.site(name, conv(stride, padding), (P[name + ".weight"], P[name + ".bias"]), x)

    def patch_embed(self, name, P, x, patch):
        return self.site(name, patch_embed(patch), (P[name + ".weight"], P[name + ".bias"]), x)

    def layer_norm(self, name, P, x):
        return self.site(name, layer_norm_affine, (P[name + ".weight"], P[name + ".bias"]), normalise(x))


def residual(x, y):
    """x + y, x tiled to y's rows when the body's first noise site tiled it."""
    if x.shape[0] != y.shape[0]:
        x = jnp.repeat(x, y.shape[0] // x.shape[0], axis=0)
    return x + y


def attention(s, name, P, x, heads, queries=None):
    """Multi-head self-attention; `queries` tokens (default all) get a query and an output, every token is a key
    and a value."""
    n, t, d = x.shape
    tq = t if queries is None else queries
    dh = d // heads
    q = s.linear(name + ".q", P, x[:, :tq]).reshape(-1, tq, heads, dh)
    k, v = (s.linear(f"{name}.{p}", P, x).reshape(-1, t, heads, dh) for p in "kv")
    scores = jnp.einsum("nthc,nshc->nhts", q, k) / math.sqrt(dh)
    mix = jnp.einsum("nhts,nshc->nthc", jax.nn.softmax(scores, axis=-1), v).reshape(-1, tq, d)
    return s.linear(name + ".o", P, mix)


# ---- the presets: blocks (name, tensors with (shape, init), function (params, x, sites) -> x) ----

def weight(out, fan_in, relu, *shape):
    return (out,) + shape, ("normal", math.sqrt((2.0 if relu else 1.0) / fan_in))


def linear_tensors(name, n_in, n_out, relu=False):
    return {name + ".weight": weight(n_out, n_in, relu, n_in), name + ".bias": ((n_out,), ("zeros",))}


def cnn(channels=8, hidden=64, classes=10, image=(1, 28, 28)):
    c, h, w = image
    c2, flat = 2 * channels, 2 * channels * (h // 4) * (w // 4)

    def conv_tensors(name, cin, cout):
        return {name + ".weight": weight(cout, cin * 9, True, cin, 3, 3), name + ".bias": ((cout,), ("zeros",))}

    return [
        ("conv1", conv_tensors("conv1", c, channels),
         lambda P, x, s: max_pool(jax.nn.relu(s.conv("conv1", P, x)))),
        ("conv2", conv_tensors("conv2", channels, c2),
         lambda P, x, s: max_pool(jax.nn.relu(s.conv("conv2", P, x)))),
        ("fc", linear_tensors("fc", flat, hidden, relu=True),
         lambda P, x, s: jax.nn.relu(s.linear("fc", P, x.reshape(x.shape[0], -1)))),
        ("head", linear_tensors("head", hidden, classes), lambda P, x, s: s.linear("head", P, x)),
    ]


def vit(patch=7, dim=32, depth=2, heads=2, classes=10, image=(1, 28, 28), pruned=False):
    """pruned: the last block computes the query, the attention output and the MLP for the class token alone (the
    only token the head reads), as forward4j's cpu backend does; lr's noise then lives on those values only."""
    c, h, w = image
    tokens = (h // patch) * (w // patch) + 1

    def layer_norm_tensors(name):
        return {name + ".weight": ((dim,), ("ones",)), name + ".bias": ((dim,), ("zeros",))}

    def embed(P, x, s):
        t = s.patch_embed("embed", P, x, patch)
        cls = jnp.broadcast_to(P["cls.token"], (t.shape[0], 1, dim))
        return jnp.concatenate([cls, t], axis=1) + P["pos.embedding"]

    def block(b, last):
        def apply(P, x, s):
            if pruned and last:
                h = s.layer_norm(b + ".ln1", P, x)
                x = residual(x[:, :1], attention(s, b + ".attn", P, h, heads, queries=1))
            else:
                x = residual(x, attention(s, b + ".attn", P, s.layer_norm(b + ".ln1", P, x), heads))
            hidden = gelu(s.linear(b + ".mlp1", P, s.layer_norm(b + ".ln2", P, x)))
            return residual(x, s.linear(b + ".mlp2", P, hidden))
        return apply

    blocks = [("embed", {"embed.weight": weight(dim, c * patch * patch, False, c * patch * patch),
                         "embed.bias": ((dim,), ("zeros",)), "cls.token": ((dim,), ("normal", 0.02)),
                         "pos.embedding": ((tokens, dim), ("normal", 0.02))}, embed)]
    for i in range(depth):
        b = f"blocks.{i}"
        t = dict(layer_norm_tensors(b + ".ln1"))
        for p in "qkvo":
            t.update(linear_tensors(f"{b}.attn.{p}", dim, dim))
        t.update(layer_norm_tensors(b + ".ln2"))
        t.update(linear_tensors(b + ".mlp1", dim, 2 * dim))
        t.update(linear_tensors(b + ".mlp2", 2 * dim, dim))
        blocks.append((b, t, block(b, i == depth - 1)))
    blocks.append(("norm", layer_norm_tensors("norm"),
                   lambda P, x, s: s.layer_norm("norm", P, x)[:, 0]))
    blocks.append(("head", linear_tensors("head", dim, classes), lambda P, x, s: s.linear("head", P, x)))
    return blocks


PRESETS = {"cnn": cnn, "vit": vit, "vit-pruned": lambda: vit(pruned=True)}

def init_params(blocks, key):
    params = {}
    for _, tensors, _ in blocks:
        for name, (shape, (kind, *std)) in tensors.items():
            key, sub = jax.random.split(key)
            params[name] = {"zeros": lambda: jnp.zeros(shape), "ones": lambda: jnp.ones(shape),
                            "normal": lambda: std[0] * jax.random.normal(sub, shape)}[kind]()
    return params


def select(blocks, spec):
    """The trainable block indices of `all` or `last:N`, and the frozen prefix's length in blocks."""
    if spec == "all":
        first = 0
    elif spec.startswith("last:"):
        first = len(blocks) - int(spec[5:])
    else:
        raise SystemExit(f"trainable={spec}: this peer knows all and last:N")
    if not 0 <= first < len(blocks):
        raise SystemExit(f"trainable={spec}: the graph has {len(blocks)} blocks")
    return first


def run(blocks, P, x, first, last, sites):
    for _, _, fn in blocks[first:last]:
        x = fn(P, x, sites)
    return x


class Workload:
    """A preset graph, its parameters, a trainable selection and a batch: the jitted plain forward and the lr and
    spsa steps (the checks in check_peer_graph.py call the same functions)."""

    def __init__(self, model, trainable, batch, per_point, key=None, params=None, x=None, y=None):
        if per_point % 2:
            raise SystemExit("K must be even (antithetic pairs, two-sided directions)")
        self.blocks = PRESETS[model]()
        self.batch, self.per_point, self.pairs = batch, per_point, per_point // 2
        self.prefix = select(self.blocks, trainable)
        key = jax.random.PRNGKey(1) if key is None else key
        kp, kx, ky = jax.random.split(key, 3)
        self.params = init_params(self.blocks, kp) if params is None else params
        names = [n for _, t, _ in self.blocks[self.prefix:] for n in t]
        self.trainable = {n: self.params[n] for n in names}
        self.frozen = {n: v for n, v in self.params.items() if n not in self.trainable}
        # noise sites: the layers of the trainable blocks that own a weight and a bias (not class token, position)
        self.sites = [n[:-len(".weight")] for n in names if n.endswith(".weight")]
        self.x = jax.random.uniform(kx, (batch, 1, 28, 28)) if x is None else x
        self.y = jax.random.randint(ky, (batch,), 0, 10) if y is None else y
        self.plain = jax.jit(self._plain)
        self.lr_step = jax.jit(self._lr_step)
        self.spsa_step = jax.jit(self._spsa_step)

    def losses(self, P, x, y):
        """Per-row losses of the whole model, unperturbed."""
        return cross_entropy(run(self.blocks, P, x, 0, len(self.blocks), Sites()), y)

    def _plain(self, P, x, y):
        return self.losses(P, x, y).sum()

    def prefix_output(self, frozen, x):
        return run(self.blocks, frozen, x, 0, self.prefix, Sites())

    def lr_estimate(self, trainable, frozen, x, y, k):
        """The likelihood-ratio gradient of the batch's mean loss over the trainable site tensors. Frozen tensors
        and data are arguments, not constants, so that XLA cannot fold the frozen prefix away at compile time."""
        P = {**frozen, **trainable}
        h = self.prefix_output(frozen, x)  # B rows
        sites = Sites(k, self.sites, self.batch, self.per_point)
        logits = run(self.blocks, P, h, self.prefix, len(self.blocks), sites)
        loss = cross_entropy(logits, jnp.repeat(y, self.per_point))
        # baseline per point: the mean loss of the point's other pairs (batch-wide when K = 2), independent of
        # the row's own noise, so the estimator stays unbiased
        per = loss.reshape(self.batch, 2, self.pairs)
        pair = per.sum(axis=1)  # [B, pairs]
        if self.pairs > 1:
            base = (pair.sum(axis=1, keepdims=True) - pair) / (2 * (self.pairs - 1))
        else:
            base = (pair.sum() - pair) / (2 * (self.batch - 1))
        coef = ((per - base[:, None, :]) / (SIGMA * SIGMA * self.batch * self.per_point)).reshape(-1)
        grads = {}
        for name, (apply, params, x_in, e) in sites.records.items():
            cot = coef.reshape((-1,) + (1,) * (e.ndim - 1)) * e
            if x_in.shape[0] != cot.shape[0]:  # the site's input is per point: sum its queries' terms first
                cot = cot.reshape((x_in.shape[0], -1) + cot.shape[1:]).sum(axis=1)
            _, vjp = jax.vjp(lambda p: apply(p, x_in), params)
            grads[name + ".weight"], grads[name + ".bias"] = vjp(cot)[0]
        return grads

    def _lr_step(self, trainable, frozen, x, y, k):
        g = self.lr_estimate(trainable, frozen, x, y, k)
        return {n: v - RATE * g[n] if n in g else v for n, v in trainable.items()}

    def spsa_estimate(self, trainable, frozen, x, y, k):
        """Shared Gaussian directions, two-sided, each on the whole batch: the gradient of the mean loss."""
        h = self.prefix_output(frozen, x)  # B rows, shared by every direction
        flat, unflatten = ravel_pytree(trainable)
        directions = jax.random.normal(k, (self.pairs, flat.shape[0]))

        def mean_loss(theta):
            P = {**frozen, **unflatten(theta)}
            return cross_entropy(run(self.blocks, P, h, self.prefix, len(self.blocks), Sites()), y).mean()

        def difference(z):
            return (mean_loss(flat + SPSA_SCALE * z) - mean_loss(flat - SPSA_SCALE * z)) / (2 * SPSA_SCALE)

        coefficients = jax.lax.map(difference, directions)
        return unflatten(coefficients @ directions / self.pairs)

    def _spsa_step(self, trainable, frozen, x, y, k):
        g = self.spsa_estimate(trainable, frozen, x, y, k)
        return jax.tree_util.tree_map(lambda v, d: v - RATE * d, trainable, g)


def main():
    args = sys.argv[1:]
    models = (args[0] if len(args) > 0 else "cnn,vit").split(",")
    selections = (args[1] if len(args) > 1 else "all,last:2").split(",")
    batch = int(args[2]) if len(args) > 2 else 64
    per_point = int(args[3]) if len(args) > 3 else 16
    steps = int(args[4]) if len(args) > 4 else 20
    windows = int(args[5]) if len(args) > 5 else 5
    per_call = batch * per_point
    step_key = jax.random.PRNGKey(2)
    for model in models:
        for selection in selections:
            w = Workload(model, selection, batch, per_point)
            tiled_x = jnp.tile(w.x, (per_point, 1, 1, 1))
            tiled_y = jnp.tile(w.y, per_point)
            results = [("plain", measure(w.plain, (w.params, tiled_x, tiled_y), per_call, steps, windows)),
                       ("lr", measure(w.lr_step, (w.trainable, w.frozen, w.x, w.y, step_key), per_call, steps,
                                      windows)),
                       ("spsa", measure(w.spsa_step, (w.trainable, w.frozen, w.x, w.y, step_key), per_call, steps,
                                        windows))]
            for what, (wall, cpu) in results:
                print(f"peer jax {jax.__version__} {model}:{selection} {what} {wall:.1f} {cpu:.1f}", flush=True)


if __name__ == "__main__":
    main()
