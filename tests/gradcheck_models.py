"""Models, data regimes and the mutation catalogue used by the gradcheck tests and benchmark.

Each model builder returns ``(f, loss_fn, params, hints)`` for one data regime and one variant
of the backward pass: the correct one, a harmless rewrite, or a realistic student bug. Every
bug names the cause the checker's message must report (``expect``: a predicate on the report).
This is test code, not course material: nothing here is shipped to students.

Regimes (rows of X are examples):
- generic: X ~ N(0, 1), small random weights and biases;
- near_kink: some ReLU pre-activations within ~1e-7 of zero (every hidden unit, one example);
- exact_kink: blank input rows and zero first-layer bias, so pre-activations are exactly 0;
- large_logits: every score offset by ~800 (exp overflows without the max subtraction);
- raw_targets: regression targets of size ~1e4 (MSE model only);
- float32: data and parameters handed over as float32.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

REG = 0.1
Model = tuple[Callable, Callable, dict[str, np.ndarray], dict[str, Any]]


# --------------------------------------------------------------------------- data


def _upstream_gradient(probs: np.ndarray, y: np.ndarray, bug: str | None) -> np.ndarray:
    """dL/dscores = (probs - onehot(y)) / N, (N, K), with the bugs that corrupt it shared by every model."""
    N = len(y)
    ds = probs.copy()
    ds[np.arange(N), y] -= 1
    if bug == "first_example_only":
        ds[1:] = 0
    if bug == "one_example_missing":
        ds[-1] = 0
    if bug == "sign_flip":
        ds = -ds
    ds = ds if bug == "missing_1_over_N" else ds / N
    if bug == "double_1_over_N":
        ds = ds / N
    return ds


def make_data(regime: str, rng: np.random.Generator, N: int, D: int, C: int) -> tuple[np.ndarray, np.ndarray]:
    X = rng.standard_normal((N, D))
    if regime == "exact_kink":
        X[N // 3: N // 3 + max(1, N // 5)] = 0.0  # blank rows (not the first or last: those have their own bugs)
    y = rng.integers(0, C, N)
    return X, y


def _params(rng: np.random.Generator, shapes: dict[str, tuple[int, ...]], scale: float = 0.3) -> dict[str, np.ndarray]:
    return {k: scale * rng.standard_normal(s) for k, s in shapes.items()}


def _finish(params: dict[str, np.ndarray], regime: str) -> dict[str, np.ndarray]:
    if regime == "float32":
        return {k: v.astype(np.float32) for k, v in params.items()}
    return params


def _softmax_parts(scores: np.ndarray, y: np.ndarray, subtract_max: bool = True, log_eps: float = 0.0):
    if subtract_max:
        scores = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(scores)
    probs = e / e.sum(axis=1, keepdims=True)
    N = scores.shape[0]
    data_loss = -np.log(probs[np.arange(N), y] + log_eps).mean()
    return probs, data_loss


# --------------------------------------------------------------------------- softmax classifier


def softmax_model(regime: str, rng: np.random.Generator, bug: str = "correct", N: int = 20, D: int = 6, C: int = 4) -> Model:
    """Linear softmax classifier: loss = mean cross-entropy + ½·reg·‖W‖²."""
    X, y = make_data(regime, rng, N, D, C)
    params = _params(rng, {"W": (D, C), "b": (C,)})
    if regime == "large_logits":
        params["b"] = params["b"] + 800.0
    reg = REG

    def forward(p):
        W, b = p["W"], p["b"]
        probs, data_loss = _softmax_parts(X @ W + b, y, subtract_max=bug != "softmax_overflow",
                                          log_eps=1e-8 if bug == "log_eps" else 0.0)
        return probs, data_loss + 0.5 * reg * (W * W).sum()

    def f(p):
        W, b = p["W"], p["b"]
        probs, loss = forward(p)
        ds = _upstream_gradient(probs, y, bug)
        dW = X.T @ ds
        dW = dW + {"reg_missing": 0.0, "reg_half": 0.5, "reg_double": 2.0}.get(bug, 1.0) * reg * W
        db = ds.sum(axis=0)
        if bug == "bias_averaged":
            db = ds.mean(axis=0)
        if bug == "bias_wrong_axis":
            db = ds.sum(axis=1)
        if bug == "reg_on_bias":
            db = db + reg * b
        if bug == "transposed_dW":
            dW = dW.T
        if bug == "corrupted_entry":
            dW = dW.copy()
            dW[1, 2] += 0.5 * np.abs(dW).max() + 1e-3
        grads = {"W": dW, "b": db}
        if bug == "bias_missing":
            del grads["b"]
        return loss, grads

    def loss_fn(p):
        return forward(p)[1]

    return f, loss_fn, _finish(params, regime), {"batch_size": N, "reg": reg, "regularized": ["W"]}


# --------------------------------------------------------------------------- two-layer ReLU net


def two_layer_model(regime: str, rng: np.random.Generator, bug: str = "correct", N: int = 16, D: int = 5, H: int = 8, C: int = 3) -> Model:
    """affine → ReLU → affine → softmax, loss = mean cross-entropy + ½·reg·(‖W1‖² + ‖W2‖²)."""
    X, y = make_data(regime, rng, N, D, C)
    params = _params(rng, {"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)})
    if regime == "exact_kink":
        params["b1"] = np.zeros(H)
    if regime == "near_kink":  # every hidden unit has a pre-activation ~1e-7 from 0 on one example
        params["b1"] = -(X[N // 2] @ params["W1"]) + 1e-7 * rng.standard_normal(H)
    if regime == "large_logits":
        params["b2"] = params["b2"] + 800.0
    reg = REG

    def forward(p):
        W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
        z1 = X @ W1 + b1
        h1 = np.maximum(z1, 0)
        probs, data_loss = _softmax_parts(h1 @ W2 + b2, y, subtract_max=bug != "softmax_overflow",
                                          log_eps=1e-8 if bug == "log_eps" else 0.0)
        return z1, h1, probs, data_loss + 0.5 * reg * ((W1 * W1).sum() + (W2 * W2).sum())

    def f(p):
        W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
        z1, h1, probs, loss = forward(p)
        ds = _upstream_gradient(probs, y, bug)
        r = {"reg_missing": 0.0, "reg_half": 0.5, "reg_double": 2.0}.get(bug, 1.0) * reg
        dW2 = (z1 if bug == "preactivation_as_output" else h1).T @ ds + r * W2
        db2 = ds.mean(axis=0) if bug == "bias_averaged" else ds.sum(axis=0)
        dh = ds @ W2.T
        if bug == "skipped_last_hidden_unit":
            dh[:, -1] = 0
        if bug == "relu_mask_missing":
            dz = dh
        elif bug == "relu_mask_wrong_tensor":
            dz = dh * (dh > 0)
        elif bug == "relu_prime_at_0_is_1":
            dz = dh * (z1 >= 0)
        else:
            dz = dh * (z1 > 0)
        dW1 = X.T @ dz + r * W1
        db1 = dh.sum(axis=0) if bug == "bias_bypasses_mask" else dz.sum(axis=0)
        if bug == "bias_wrong_axis":
            db1 = dz.sum(axis=1)
        if bug == "reg_on_bias":
            db1, db2 = db1 + reg * b1, db2 + reg * b2
        if bug == "transposed_dW1":
            dW1 = dW1.T
        if bug == "corrupted_entry":
            dW2 = dW2.copy()
            dW2[2, 1] += 0.5 * np.abs(dW2).max() + 1e-3
        return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    def loss_fn(p):
        return forward(p)[3]

    return f, loss_fn, _finish(params, regime), {"batch_size": N, "reg": reg, "regularized": ["W1", "W2"]}


# --------------------------------------------------------------------------- MSE regression


def mse_model(regime: str, rng: np.random.Generator, bug: str = "correct", N: int = 24, D: int = 4, K: int = 2) -> Model:
    """Linear regression: loss = mean over examples of ‖XW + b − T‖²."""
    X = rng.standard_normal((N, D))
    T = rng.standard_normal((N, K))
    if regime == "raw_targets":
        T = 1e4 + 3e3 * T
    if regime == "exact_kink":
        X[N // 3: N // 3 + N // 5] = 0.0
    params = _params(rng, {"W": (D, K), "b": (K,)})

    def loss_fn(p):
        r = X @ p["W"] + p["b"] - T
        return (r * r).sum() / N

    def f(p):
        r = X @ p["W"] + p["b"] - T
        dpred = (r if bug == "mse_factor_2" else 2 * r) / N
        if bug == "sign_flip":
            dpred = -dpred
        return (r * r).sum() / N, {"W": X.T @ dpred, "b": dpred.sum(axis=0)}

    return f, loss_fn, _finish(params, regime), {"batch_size": N}


# --------------------------------------------------------------------------- an MLP of any size (benchmark)


def mlp_model(rng: np.random.Generator, sizes: tuple[int, ...], N: int, bug: str = "correct", exact_kink: bool = False) -> Model:
    """ReLU MLP with a softmax loss; sizes = (D, H1, ..., C). He-initialised, zero biases if exact_kink."""
    L = len(sizes) - 1
    X = rng.standard_normal((N, sizes[0]))
    if exact_kink:
        X[: N // 8] = 0
    y = rng.integers(0, sizes[-1], N)
    params = {}
    for i in range(L):
        params[f"W{i + 1}"] = rng.standard_normal((sizes[i], sizes[i + 1])) * np.sqrt(2.0 / sizes[i])
        params[f"b{i + 1}"] = np.zeros(sizes[i + 1]) if exact_kink else 0.1 * rng.standard_normal(sizes[i + 1])

    def forward(p):
        hs, zs = [X], []
        for i in range(1, L + 1):
            z = hs[-1] @ p[f"W{i}"] + p[f"b{i}"]
            zs.append(z)
            hs.append(np.maximum(z, 0) if i < L else z)
        probs, loss = _softmax_parts(hs[-1], y)
        return hs, zs, probs, loss

    def f(p):
        hs, zs, probs, loss = forward(p)
        d = probs.copy()
        d[np.arange(N), y] -= 1
        d = d if bug == "missing_1_over_N" else d / N
        grads = {}
        for i in range(L, 0, -1):
            grads[f"W{i}"] = hs[i - 1].T @ d
            grads[f"b{i}"] = d.sum(axis=0)
            if i > 1:
                d = d @ p[f"W{i}"].T
                if bug == "skipped_last_hidden_unit" and i == 2:
                    d[:, -1] = 0
                d = d if (bug == "relu_mask_missing" and i == 2) else d * (zs[i - 2] > 0)
        if bug == "transposed_dW2":
            grads["W2"] = grads["W2"].T
        return loss, grads

    def loss_fn(p):
        return forward(p)[3]

    return f, loss_fn, params, {"batch_size": N}


# --------------------------------------------------------------------------- catalogue


def _codes(report) -> dict[str, str]:
    return report.causes


def global_factor(label: str) -> Callable[[Any], bool]:
    return lambda r: r.cause is not None and r.cause.code == "upstream_factor" and r.cause.detail.get("label") == label


def tensor_cause(names: tuple[str, ...], *codes: str, label: str | None = None, only: bool = True) -> Callable[[Any], bool]:
    """Every named tensor fails with one of ``codes`` (and, if only, no other tensor fails)."""
    def check(r) -> bool:
        failing = {t.name: t for t in r.failing}
        if not all(n in failing and failing[n].cause and failing[n].cause.code in codes for n in names):
            return False
        if label and not all(failing[n].cause.detail.get("label") == label for n in names):
            return False
        return not only or set(failing) == set(names)
    return check


def whole(code: str) -> Callable[[Any], bool]:
    return lambda r: r.cause is not None and r.cause.code == code


def failing_all(code: str) -> Callable[[Any], bool]:
    """Every failing tensor (at least one) has this cause code."""
    return lambda r: bool(r.failing) and all(t.cause and t.cause.code == code for t in r.failing)


def single_example(r) -> bool:
    return (r.cause is not None and r.cause.code == "single_example") or failing_all("single_example")(r)


@dataclass
class Mutation:
    model: str
    bug: str
    expect: Callable[[Any], bool] | None  # None: harmless, must pass
    regimes: tuple[str, ...] = ()
    notes: str = ""
    harmless: bool = field(init=False)

    def __post_init__(self) -> None:
        self.harmless = self.expect is None


BUILDERS = {
    "softmax": softmax_model,
    "softmax_square": partial(softmax_model, D=4, C=4),  # square W: a transposed dW keeps its shape
    "two_layer": two_layer_model,
    "two_layer_square": partial(two_layer_model, D=6, H=6),
    "mse": mse_model,
}
CLASSIFIER_REGIMES = ("generic", "near_kink", "exact_kink", "large_logits", "float32")
MSE_REGIMES = ("generic", "exact_kink", "raw_targets", "float32")

CATALOGUE: list[Mutation] = [
    # softmax classifier
    Mutation("softmax", "correct", None),
    Mutation("softmax", "log_eps", None),
    Mutation("softmax", "missing_1_over_N", global_factor("batch")),
    Mutation("softmax", "double_1_over_N", global_factor("inv_batch")),
    Mutation("softmax", "reg_missing", tensor_cause(("W",), "reg_missing")),
    Mutation("softmax", "reg_half", tensor_cause(("W",), "reg_half")),
    Mutation("softmax", "reg_double", tensor_cause(("W",), "reg_double")),
    Mutation("softmax", "reg_on_bias", tensor_cause(("b",), "reg_on_bias")),
    Mutation("softmax", "sign_flip", global_factor("sign")),
    Mutation("softmax", "transposed_dW", whole("shape_transposed")),
    Mutation("softmax_square", "transposed_dW", tensor_cause(("W",), "transpose")),
    Mutation("softmax", "first_example_only", single_example),
    Mutation("softmax", "one_example_missing", tensor_cause(("W", "b"), "missing_example")),
    Mutation("softmax", "softmax_overflow", whole("nonfinite"), regimes=("large_logits",),
             notes="without large logits the unshifted softmax is correct"),
    Mutation("softmax", "bias_averaged", tensor_cause(("b",), "factor", label="inv_batch")),
    Mutation("softmax", "bias_wrong_axis", whole("shape_axis")),
    Mutation("softmax", "bias_missing", whole("missing_key")),
    Mutation("softmax", "corrupted_entry", tensor_cause(("W",), "localized")),
    # two-layer ReLU net
    Mutation("two_layer", "correct", None),
    Mutation("two_layer", "log_eps", None),
    Mutation("two_layer", "relu_prime_at_0_is_1", None),
    Mutation("two_layer", "missing_1_over_N", global_factor("batch")),
    Mutation("two_layer", "double_1_over_N", global_factor("inv_batch")),
    Mutation("two_layer", "reg_missing", tensor_cause(("W1", "W2"), "reg_missing")),
    Mutation("two_layer", "reg_half", tensor_cause(("W1", "W2"), "reg_half")),
    Mutation("two_layer", "reg_double", tensor_cause(("W1", "W2"), "reg_double")),
    Mutation("two_layer", "reg_on_bias", failing_all("reg_on_bias"),
             notes="with a zero b1 (exact_kink) only b2 shows it"),
    Mutation("two_layer", "sign_flip", global_factor("sign")),
    Mutation("two_layer", "transposed_dW1", whole("shape_transposed")),
    Mutation("two_layer_square", "transposed_dW1", tensor_cause(("W1",), "transpose")),
    Mutation("two_layer", "relu_mask_missing", tensor_cause(("W1", "b1"), "between_layers")),
    Mutation("two_layer", "relu_mask_wrong_tensor", tensor_cause(("W1", "b1"), "between_layers")),
    Mutation("two_layer", "preactivation_as_output", tensor_cause(("W2",), "layer_input")),
    Mutation("two_layer", "bias_bypasses_mask", tensor_cause(("b1",), "bias_path")),
    Mutation("two_layer", "bias_averaged", tensor_cause(("b2",), "factor", label="inv_batch")),
    Mutation("two_layer", "bias_wrong_axis", whole("shape_axis")),
    Mutation("two_layer", "first_example_only", single_example),
    Mutation("two_layer", "one_example_missing", failing_all("missing_example")),
    Mutation("two_layer", "softmax_overflow", whole("nonfinite"), regimes=("large_logits",)),
    Mutation("two_layer", "skipped_last_hidden_unit", tensor_cause(("W1", "b1"), "localized")),
    Mutation("two_layer", "corrupted_entry", tensor_cause(("W2",), "localized")),
    # MSE regression
    Mutation("mse", "correct", None),
    Mutation("mse", "mse_factor_2", global_factor("half")),
    Mutation("mse", "sign_flip", global_factor("sign")),
]


def observable(m: Mutation, regime: str, seed: int) -> bool:
    """Does the bug change the gradient at this point by more than 1e-4 relative (else no checker can see it)?

    A skipped hidden unit that is inactive on every example, for instance, leaves the gradient
    exactly right at that point.
    """
    if m.harmless:
        return True
    f_bug, _, params, _ = build(m, regime, seed)
    f_ok, *_ = build(Mutation(m.model, "correct", None), regime, seed)
    p64 = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    with np.errstate(all="ignore"):
        try:
            loss, g_bug = f_bug(p64)
        except Exception:  # noqa: BLE001 - raising is observable
            return True
        _, g_ok = f_ok(p64)
    for k, g in g_ok.items():
        b = g_bug.get(k)
        if b is None or np.shape(b) != g.shape or not np.all(np.isfinite(b)) or not np.isfinite(loss):
            return True
        if np.linalg.norm(b - g) > 1e-4 * np.linalg.norm(g):
            return True
    return False


def regimes_for(m: Mutation) -> tuple[str, ...]:
    if m.regimes:
        return m.regimes
    return MSE_REGIMES if m.model == "mse" else CLASSIFIER_REGIMES


def build(m: Mutation, regime: str, seed: int) -> Model:
    return BUILDERS[m.model](regime, np.random.default_rng(seed), m.bug)
