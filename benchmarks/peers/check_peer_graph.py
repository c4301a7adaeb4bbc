#!/usr/bin/env python3
"""Checks peer_jax_graph.py (a quick script, not part of CI):

1. plain losses: the peer's per-row losses (float32, XLA) at random parameters equal a straightforward float64
   numpy forward of the same graph, written from GraphForward.java's loops, within 1e-5;
2. estimators: the mean of many seeded lr and spsa estimates (small batch) agrees with jax.grad of the batch's mean
   loss coordinate by coordinate: z = (mean - grad) / standard error should look standard normal (mean z^2 near 1,
   about 0.27% of |z| above 3; the coordinates are strongly correlated, so these fluctuate much more than for
   independent ones), and so do the projections of the mean on the gradient's direction and on 20 random
   directions (pass: |z along grad| < 4, rms z of the random projections < 2, max coordinate |z| < 6); lr over the
   site tensors only (class token and position embedding are not sites).

The lr check runs at sigma = 1e-3 (the benchmark's 0.01 is a scale, the code path is the same): lr estimates the
gradient of the noise-smoothed loss, which differs from jax.grad's where a ReLU or max-pool input lies within a few
sigma of its kink; at 0.01 a handful of the cnn's coordinates (fc weights of inputs that are 0 at the clean point,
head weights of a unit near its kink) then differ by 5-8 standard errors after 2,000 seeds.

usage: check_peer_graph.py [seeds=2000] [B=4] [K=4] [lr-sigma=1e-3]
"""
import math
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_jax_graph as g  # noqa: E402


# ---- the numpy reference (float64) ----

def np_conv(x, w, b, pad):
    n, c, h, wd = x.shape
    k = w.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - k + 1, wd + 2 * pad - k + 1
    y = np.zeros((n, w.shape[0], oh, ow)) + b[None, :, None, None]
    for ky in range(k):
        for kx in range(k):
            y += np.einsum("oi,nihw->nohw", w[:, :, ky, kx], xp[:, :, ky:ky + oh, kx:kx + ow])
    return y


def np_pool(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def np_ln(x, gamma, beta):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * gamma + beta


def np_gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def np_lin(P, name, x):
    return x @ P[name + ".weight"].T + P[name + ".bias"]


def np_cnn(P, x):
    relu = lambda v: np.maximum(v, 0)  # noqa: E731
    a = np_pool(relu(np_conv(x, P["conv1.weight"], P["conv1.bias"], 1)))
    a = np_pool(relu(np_conv(a, P["conv2.weight"], P["conv2.bias"], 1)))
    a = relu(np_lin(P, "fc", a.reshape(a.shape[0], -1)))
    return np_lin(P, "head", a)


def np_vit(P, x, patch=7, heads=2):
    n, c, h, w = x.shape
    ph, pw = h // patch, w // patch
    # GraphForward.patches: token py * pw + px, values ordered channel, row, column
    patches = x.reshape(n, c, ph, patch, pw, patch).transpose(0, 2, 4, 1, 3, 5).reshape(n, ph * pw, -1)
    t = np_lin(P, "embed", patches)
    d = t.shape[-1]
    a = np.concatenate([np.broadcast_to(P["cls.token"], (n, 1, d)), t], axis=1) + P["pos.embedding"]
    dh = d // heads
    for i in range(2):
        b = f"blocks.{i}"
        u = np_ln(a, P[b + ".ln1.weight"], P[b + ".ln1.bias"])
        q, k, v = (np_lin(P, f"{b}.attn.{p}", u) for p in "qkv")
        mix = np.zeros_like(q)
        for hd in range(heads):
            sl = slice(hd * dh, (hd + 1) * dh)
            s = np.einsum("ntc,nsc->nts", q[..., sl], k[..., sl]) / math.sqrt(dh)
            s = np.exp(s - s.max(axis=-1, keepdims=True))
            s /= s.sum(axis=-1, keepdims=True)
            mix[..., sl] = np.einsum("nts,nsc->ntc", s, v[..., sl])
        a = a + np_lin(P, b + ".attn.o", mix)
        u = np_ln(a, P[b + ".ln2.weight"], P[b + ".ln2.bias"])
        a = a + np_lin(P, b + ".mlp2", np_gelu(np_lin(P, b + ".mlp1", u)))
    a = np_ln(a, P["norm.weight"], P["norm.bias"])[:, 0]
    return np_lin(P, "head", a)


def np_losses(logits, y):
    m = logits.max(axis=1, keepdims=True)
    return (np.log(np.exp(logits - m).sum(axis=1)) + m[:, 0]) - logits[np.arange(len(y)), y]


def perturbed(params, key):
    """Random parameters around the initial ones (layer norms and biases away from 1 and 0)."""
    out = {}
    for i, (n, v) in enumerate(sorted(params.items())):
        out[n] = v + 0.1 * jax.random.normal(jax.random.fold_in(key, i), v.shape)
    return out


def check_losses():
    print("1. plain losses, peer (float32, XLA) vs numpy (float64), 32 rows, random parameters")
    worst = 0.0
    for model, ref in (("cnn", np_cnn), ("vit", np_vit), ("vit-pruned", np_vit)):
        w = g.Workload(model, "all", 32, 2)
        P = perturbed(w.params, jax.random.PRNGKey(7))
        x = jax.random.normal(jax.random.PRNGKey(8), (32, 1, 28, 28))
        peer = np.asarray(jax.jit(w.losses)(P, x, w.y))
        reference = np_losses(ref({n: np.asarray(v, np.float64) for n, v in P.items()}, np.asarray(x, np.float64)),
                              np.asarray(w.y))
        diff = float(np.abs(peer - reference).max())
        worst = max(worst, diff)
        print(f"   {model}: losses {reference.min():.3f}..{reference.max():.3f}, max |peer - numpy| = {diff:.2e}")
    return worst <= 1e-5


def t_stats(total, squares, seeds, exact):
    """z = (mean - exact) / standard error, per column; columns with no spread (a coordinate whose input is 0 in
    every row, say a ReLU that is off for the whole batch: estimate and gradient both exactly 0) are left out."""
    mean = total / seeds
    var = np.maximum(squares / seeds - mean ** 2, 0) * seeds / (seeds - 1)
    se = np.sqrt(var / seeds)
    live = se > 0
    return (mean[live] - exact[live]) / se[live], mean


def check_estimators(seeds, batch, per_point, chunk=100):
    print(f"2. estimator means over {seeds} seeds vs jax.grad (B={batch}, K={per_point}, lr sigma {g.SIGMA}, "
          f"spsa c {g.SPSA_SCALE}; z per coordinate)")
    ok = True
    for model in ("cnn", "vit", "vit-pruned"):
        for selection in ("all", "last:2"):
            w = g.Workload(model, selection, batch, per_point)
            P = perturbed(w.params, jax.random.PRNGKey(3))
            trainable = {n: P[n] for n in w.trainable}
            frozen = {n: P[n] for n in w.frozen}
            exact = jax.grad(lambda t: w.losses({**frozen, **t}, w.x, w.y).mean())(trainable)
            for name, estimate, tensors in (
                    ("lr", w.lr_estimate, [n for n in trainable if n.rsplit(".", 1)[0] in w.sites]),
                    ("spsa", w.spsa_estimate, list(trainable))):
                flat = lambda d: jnp.concatenate([d[n].ravel() for n in tensors])  # noqa: E731
                one = jax.jit(jax.vmap(lambda k: flat(estimate(trainable, frozen, w.x, w.y, k))))
                ex = np.asarray(flat(exact), np.float64)
                # projections: on the gradient's direction (a wrong scale shows there) and 20 random directions
                rng = np.random.default_rng(0)
                dirs = np.concatenate([(ex / np.linalg.norm(ex))[:, None], rng.standard_normal((ex.size, 20))], 1)
                dirs /= np.linalg.norm(dirs, axis=0)
                total = squares = ptotal = psquares = 0.0
                start = time.perf_counter()
                for c in range(0, seeds, chunk):
                    keys = jax.random.split(jax.random.PRNGKey(1000 + c), chunk)
                    est = np.asarray(one(keys), np.float64)
                    total, squares = total + est.sum(axis=0), squares + (est ** 2).sum(axis=0)
                    proj = est @ dirs
                    ptotal, psquares = ptotal + proj.sum(axis=0), psquares + (proj ** 2).sum(axis=0)
                z, mean = t_stats(total, squares, seeds, ex)
                pz, _ = t_stats(ptotal, psquares, seeds, ex @ dirs)
                cos = float(mean @ ex / (np.linalg.norm(mean) * np.linalg.norm(ex)))
                z2, over3, zmax = float((z ** 2).mean()), float((np.abs(z) > 3).mean()), float(np.abs(z).max())
                rms = float(np.sqrt((pz[1:] ** 2).mean()))
                good = abs(pz[0]) < 4 and rms < 2 and zmax < 6
                ok &= good
                print(f"   {model}:{selection} {name:4s}: {z.size:6d} of {ex.size:6d} coordinates with spread: mean "
                      f"z^2 {z2:.2f}, |z|>3 {100 * over3:.2f}%, max |z| {zmax:.2f}; z along grad {pz[0]:+.2f}, "
                      f"rms z of 20 random projections {rms:.2f}; cosine(mean, grad) {cos:.3f}"
                      f"{'' if good else '  <-- FAIL'} ({time.perf_counter() - start:.0f} s)", flush=True)
    return ok


def main():
    args = sys.argv[1:]
    seeds = int(args[0]) if len(args) > 0 else 2000
    batch = int(args[1]) if len(args) > 1 else 4
    per_point = int(args[2]) if len(args) > 2 else 4
    g.SIGMA = float(args[3]) if len(args) > 3 else 1e-3  # read when the estimators are traced
    ok = check_losses()
    ok &= check_estimators(seeds, batch, per_point)
    print("OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
