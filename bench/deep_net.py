"""Benchmark: exercise 3's numpy network against PyTorch, training the 784-1000-1000-1 net on digits 1 and 2.

The numpy side is the model solution's code of ``solutions/ex3_deep_net`` (the cs231n layer contract:
``affine_forward``/``affine_backward``, ReLU, the stable sigmoid cross-entropy, ``mlp_forward``/``mlp_backward``,
``mlp_loss`` and ``train_mlp``), reproduced here from the same formulas because nbcheck holds no solution code.
The baseline is the same network in PyTorch on the CPU, in float64: the same initial weights (copied from
numpy's), the same mini-batches, the same loss (``binary_cross_entropy_with_logits``), gradients by autograd and
the same plain gradient steps. Both runs must record the same losses (to 1e-9 relative) before any time counts.

Both libraries get the same number of threads (the machine's cores, at most ``--threads``). The two runs
alternate, A B A B, and the ratio numpy / torch is taken round by round; the median is reported, with the
median seconds per step of each. Target: a ratio of at most 1.5.

torch is not a course dependency. Install a CPU build into the course's environment for this benchmark with
``.venv/bin/pip install torch==2.13.0``; without it the script says so and exits 0.

    python bench/deep_net.py                    # the demo's setting: 100 steps on mini-batches of 64
    python bench/deep_net.py --batch-size 0     # full-batch steps (all 269 training images)
    python bench/deep_net.py --rounds 7 --steps 50
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nbcheck.data import mnist_like  # noqa: E402

DIMS = [784, 1000, 1000, 1]


# ----------------------------------------------------------------------------- the solution's numpy code

def affine_forward(x, W, b):
    return x @ W + b, (x, W)


def affine_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def sigmoid_cross_entropy(logits, y):
    N = logits.shape[0]
    loss = np.mean(np.maximum(logits, 0.0) - y * logits + np.log1p(np.exp(-np.abs(logits))))
    p = np.exp(-np.logaddexp(0.0, -logits))
    return loss, (p - y) / N


def init_mlp(dims, seed=0):
    """He initialisation (relu, gain 2), one generator, W1, W2, ... in turn; zero biases."""
    rng = np.random.default_rng(seed)
    params = {}
    for l, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:]), start=1):
        params[f"W{l}"] = np.sqrt(2.0 / fan_in) * rng.standard_normal((fan_in, fan_out))
        params[f"b{l}"] = np.zeros(fan_out)
    return params


def mlp_forward(params, X):
    L = sum(1 for name in params if name.startswith("W"))
    out, caches = X, []
    for l in range(1, L + 1):
        out, affine_cache = affine_forward(out, params[f"W{l}"], params[f"b{l}"])
        activation_cache = None
        if l < L:
            out, activation_cache = relu_forward(out)
        caches.append((affine_cache, activation_cache))
    return out, caches


def mlp_backward(dout, caches):
    grads = {}
    for l in range(len(caches), 0, -1):
        affine_cache, activation_cache = caches[l - 1]
        if activation_cache is not None:
            dout = relu_backward(dout, activation_cache)
        dout, grads[f"W{l}"], grads[f"b{l}"] = affine_backward(dout, affine_cache)
    return grads


def mlp_loss(params, X, y):
    out, caches = mlp_forward(params, X)
    data_loss, dlogits = sigmoid_cross_entropy(out[:, 0], y)
    return data_loss, mlp_backward(dlogits[:, None], caches)


def numpy_training(params, X, y, batches, step_size):
    losses = []
    for idx in batches:
        X_batch, y_batch = (X, y) if idx is None else (X[idx], y[idx])
        value, grads = mlp_loss(params, X_batch, y_batch)
        losses.append(float(value))
        params = {name: p - step_size * grads[name] for name, p in params.items()}
    return params, losses


# ----------------------------------------------------------------------------- the same in PyTorch

def torch_training(torch, params, X, y, batches, step_size):
    """The same network and steps: autograd for the gradients, in-place steps under no_grad."""
    functional = torch.nn.functional
    weights = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True) for name, value in params.items()}
    X_all, y_all = torch.from_numpy(X), torch.from_numpy(y.astype(np.float64))
    L = len(weights) // 2
    losses = []
    for idx in batches:
        if idx is None:
            X_batch, y_batch = X_all, y_all
        else:
            index = torch.from_numpy(idx)
            X_batch, y_batch = X_all[index], y_all[index]
        out = X_batch
        for l in range(1, L + 1):
            out = out @ weights[f"W{l}"] + weights[f"b{l}"]
            if l < L:
                out = torch.relu(out)
        loss = functional.binary_cross_entropy_with_logits(out[:, 0], y_batch)
        loss.backward()
        losses.append(loss.item())
        with torch.no_grad():
            for value in weights.values():
                value -= step_size * value.grad
                value.grad = None
    return {name: value.detach().numpy() for name, value in weights.items()}, losses


# ----------------------------------------------------------------------------- the benchmark

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100, help="gradient steps per run (default 100, the demo's)")
    parser.add_argument("--batch-size", type=int, default=64, help="mini-batch size; 0 for full batch (default 64)")
    parser.add_argument("--step-size", type=float, default=0.01)
    parser.add_argument("--rounds", type=int, default=5, help="A B rounds (default 5)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="threads for both (default: cores)")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("bench/deep_net.py: PyTorch is not installed, so there is no baseline to compare with; nothing was "
              "measured. torch is not a course dependency: install a CPU build into this environment with\n"
              "    .venv/bin/pip install torch==2.13.0\nand run this script again.")
        return
    from threadpoolctl import threadpool_info, threadpool_limits

    threads = max(1, min(args.threads, os.cpu_count() or 1))
    torch.set_num_threads(threads)
    threadpool_limits(limits=threads, user_api="blas")
    blas = next((f"{pool['internal_api']} {pool['version']}" for pool in threadpool_info()
                 if pool["user_api"] == "blas" and "numpy" in pool["filepath"]), "numpy's BLAS")

    X, y, _, _ = mnist_like(digits=(1, 2))
    rng = np.random.default_rng(0)
    size = min(args.batch_size, len(X)) if args.batch_size else None
    batches = [None if size is None else rng.choice(len(X), size, replace=False) for _ in range(args.steps)]
    params = init_mlp(DIMS, seed=0)
    count = sum(v.size for v in params.values())

    trained, numpy_losses = numpy_training(params, X, y, batches, args.step_size)     # warm-up, and the check
    torch_trained, torch_losses = torch_training(torch, params, X, y, batches, args.step_size)
    gap = max(abs(a - b) / abs(b) for a, b in zip(numpy_losses, torch_losses))
    weight_gap = max(float(np.max(np.abs(trained[k] - torch_trained[k]))) for k in trained)
    assert gap < 1e-9 and weight_gap < 1e-9, f"numpy and torch disagree: losses {gap:.2g}, weights {weight_gap:.2g}"

    ratios, numpy_seconds, torch_seconds = [], [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        numpy_training(params, X, y, batches, args.step_size)
        numpy_seconds.append(time.perf_counter() - start)
        start = time.perf_counter()
        torch_training(torch, params, X, y, batches, args.step_size)
        torch_seconds.append(time.perf_counter() - start)
        ratios.append(numpy_seconds[-1] / torch_seconds[-1])

    batch = f"mini-batches of {size}" if size else f"full batch ({len(X)} images)"
    print(f"784-1000-1000-1 ReLU net ({count:,d} parameters), sigmoid cross-entropy, digits 1 vs 2, {args.steps} steps "
          f"on {batch}, float64, {threads} thread(s) each")
    print(f"numpy {np.__version__} ({blas}) against torch {torch.__version__}; losses agree to {gap:.1g} relative, "
          f"final loss {numpy_losses[-1]:.4f}")
    per_step = lambda seconds: 1e3 * statistics.median(seconds) / args.steps  # noqa: E731
    print(f"median per step: numpy {per_step(numpy_seconds):.2f} ms, torch {per_step(torch_seconds):.2f} ms")
    print(f"ratio numpy / torch, round by round: {', '.join(f'{r:.2f}' for r in ratios)}")
    median = statistics.median(ratios)
    print(f"median ratio: {median:.2f} (target at most 1.5: {'met' if median <= 1.5 else 'NOT met'})")


if __name__ == "__main__":
    main()
