#!/usr/bin/env python3
"""The JAX peer of `forward4j bench`: the same forward-learning workload written the way a JAX user would write
it (XLA on the CPU), timed in the same units, so `compare-jax.sh` can put the two side by side.

Workload (as forward4j's bench, benchmarks/README.md): an MLP with ReLU hidden layers and softmax cross-entropy,
a batch of B points, K queries per point, so B*K queries per step.

* plain: one unperturbed forward of B*K rows (the batch tiled K times), in rows/s;
* lr: activation noise, K/2 antithetic pairs per point (noise from JAX's counter-based generator, sigma = 0.01),
  the exact likelihood-ratio estimator with a mean baseline; the weight gradient of each layer is one GEMM over
  the rows of both branches; queries/s;
* spsa: K/2 shared Gaussian directions over all parameters, two-sided (each direction evaluated on the whole
  batch at theta + c z and theta - c z), queries/s.

Each estimator step returns updated parameters, so XLA cannot drop any of the work. Rates are medians over
timed windows of at least `steps` calls and 0.5 s each.

usage: peer_jax.py [layers=784,256,10] [B=64] [K=16] [steps=20] [windows=5]
prints one line per measurement: `peer jax <version> <shape> <what> <rate> <cpu-rate>` (what: plain, lr, spsa;
rate per second of wall time, cpu-rate per second of the process's CPU time, all threads)
"""
import sys
import time

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree


def cross_entropy(logits, labels):
    """Per-row softmax cross-entropy of [n, classes] logits (shared with peer_jax_graph.py)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return jnp.log(jnp.exp(shifted).sum(axis=1)) - jnp.take_along_axis(shifted, labels[:, None], axis=1)[:, 0]


def measure(fn, fn_args, per_call, steps, windows):
    """Median rates over the windows, counting per_call rows or queries per call: per second of wall time, and per
    second of this process's CPU time (shared with peer_jax_graph.py)."""
    jax.block_until_ready(fn(*fn_args))
    wall_rates, cpu_rates = [], []
    for _ in range(windows):
        calls = 0
        start, cpu_start = time.perf_counter(), time.process_time()
        while calls < steps or time.perf_counter() - start < 0.5:
            jax.block_until_ready(fn(*fn_args))
            calls += 1
        wall_rates.append(per_call * calls / (time.perf_counter() - start))
        cpu_rates.append(per_call * calls / (time.process_time() - cpu_start))
    return sorted(wall_rates)[len(wall_rates) // 2], sorted(cpu_rates)[len(cpu_rates) // 2]


def main():
    args = sys.argv[1:]
    sizes = [int(s) for s in (args[0] if len(args) > 0 else "784,256,10").replace("-", ",").split(",")]
    batch = int(args[1]) if len(args) > 1 else 64
    per_point = int(args[2]) if len(args) > 2 else 16
    steps = int(args[3]) if len(args) > 3 else 20
    windows = int(args[4]) if len(args) > 4 else 5
    if per_point % 2:
        raise SystemExit("K must be even (antithetic pairs, two-sided directions)")
    pairs = per_point // 2
    sigma = 0.01
    spsa_scale = 1e-3
    rate = 1e-3

    key = jax.random.PRNGKey(1)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        key, sub = jax.random.split(key)
        # He initialisation, weights as [in, out] so that a layer is x @ W
        layers.append((jax.random.normal(sub, (fan_in, fan_out)) * jnp.sqrt(2.0 / fan_in), jnp.zeros(fan_out)))
    key, kx, ky = jax.random.split(key, 3)
    x = jax.random.uniform(kx, (batch, sizes[0]))
    y = jax.random.randint(ky, (batch,), 0, sizes[-1])

    def forward(params, inputs, labels, noise=None):
        """Per-row losses and each layer's input (for the likelihood-ratio assembly)."""
        h = inputs
        seen = []
        for i, (w, b) in enumerate(params):
            seen.append(h)
            v = h @ w + b
            if noise is not None:
                v = v + noise[i]
            h = jax.nn.relu(v) if i < len(params) - 1 else v
        return cross_entropy(h, labels), seen

    @jax.jit
    def plain(params, inputs, labels):
        return forward(params, inputs, labels)[0].sum()

    @jax.jit
    def lr_step(params, k):
        rows = jnp.repeat(x, pairs, axis=0)
        labels = jnp.repeat(y, pairs, axis=0)
        n = rows.shape[0]
        keys = jax.random.split(k, len(params))
        eps = [sigma * jax.random.normal(kk, (n, w.shape[1])) for kk, (w, _) in zip(keys, params)]
        loss_plus, inputs_plus = forward(params, rows, labels, eps)
        loss_minus, inputs_minus = forward(params, rows, labels, [-e for e in eps])
        baseline = 0.5 * (loss_plus.mean() + loss_minus.mean())
        c_plus = ((loss_plus - baseline) / (2 * sigma * sigma * n))[:, None]
        c_minus = ((loss_minus - baseline) / (2 * sigma * sigma * n))[:, None]
        updated = []
        for (w, b), e, a_plus, a_minus in zip(params, eps, inputs_plus, inputs_minus):
            # one GEMM over both branches: each branch's rows weigh their own layer inputs
            grad_w = jnp.concatenate([a_plus, a_minus]).T @ jnp.concatenate([c_plus * e, -c_minus * e])
            grad_b = (c_plus * e - c_minus * e).sum(axis=0)
            updated.append((w - rate * grad_w, b - rate * grad_b))
        return updated

    @jax.jit
    def spsa_step(params, k):
        flat, unflatten = ravel_pytree(params)
        directions = jax.random.normal(k, (pairs, flat.shape[0]))

        def difference(z):
            up = forward(unflatten(flat + spsa_scale * z), x, y)[0].mean()
            down = forward(unflatten(flat - spsa_scale * z), x, y)[0].mean()
            return (up - down) / (2 * spsa_scale)

        coefficients = jax.lax.map(difference, directions)
        return unflatten(flat - rate * (coefficients @ directions) / pairs)

    shape = "-".join(str(s) for s in sizes)
    tiled_x = jnp.tile(x, (per_point, 1))
    tiled_y = jnp.tile(y, per_point)
    step_key = jax.random.PRNGKey(2)
    per_call = batch * per_point
    results = [("plain", measure(plain, (layers, tiled_x, tiled_y), per_call, steps, windows)),
               ("lr", measure(lr_step, (layers, step_key), per_call, steps, windows)),
               ("spsa", measure(spsa_step, (layers, step_key), per_call, steps, windows))]
    for what, (wall, cpu) in results:
        print(f"peer jax {jax.__version__} {shape} {what} {wall:.1f} {cpu:.1f}", flush=True)


if __name__ == "__main__":
    main()
