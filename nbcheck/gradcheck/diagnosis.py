"""Naming the cause of a wrong gradient from a handful of extra probes.

For a failing tensor with analytic gradient g, the probes give pairs (a_k, n_k) =
(⟨g, d_k⟩, numeric ⟨g_true, d_k⟩) along random directions d_k, plus w_k = ⟨p, d_k⟩ for the
tensor's own value p. Simple hypotheses are fitted by least squares and one is accepted only
when it explains ≥ 99% of the mismatch energy M = Σ (a_k − n_k)²; with 6 directions a
1- or 2-parameter model explains 99% of an unstructured error with probability ≲ 1e-4.

Per tensor, in order (the first that fits wins):

- zero: g = 0;
- factor: a = α·n, α named against {−1, N, 1/N, 2, ½} ("20× too large = batch size");
- transpose (square tensors): n = ⟨gᵀ, d⟩;
- regularisation: a = n + γ·w (γ against the expected reg coefficient: missing, half,
  double, or on a bias), and factor with regularisation a = α·(n − c·w) + c·w;
- part of the batch (when the caller says how to compute the loss of some examples only):
  a = α·n_S (+ β·w for the regularisation) for the first or last example, all but the first or
  the last, or the first or second half;
- single example: g has rank 1 while the true gradient is not (a loop that stopped early);
- localisation by group testing over halves of each axis ("wrong only in column 299");
- one example missing: the error g_true − g has rank 1 (2×3 grid of rank-one probes).

Across tensors: the same factor everywhere points at the shared upstream gradient
(dscores); a weight wrong while its bias is right points at the layer's input; a bias wrong
while its weight is right at the bias formula; a whole lower layer wrong under a correct upper
layer at the backward step between them (the ReLU mask).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from nbcheck.gradcheck.probing import CheckError, Probe, dot, norm
from nbcheck.gradcheck.report import Cause, TensorResult, fmt, fmt_factor

_svdvals = np.linalg.svd  # bound at import (see probing)
_lstsq = np.linalg.lstsq
EXPLAINED = 0.99  # a hypothesis must explain ≥ 99% of the mismatch energy
EXTRA = 4  # extra random directions per failing tensor (6 with the check's own 2)
PRECISION = 1e-3  # RMS residual of an accepted fit, relative to the RMS of the values
CLOSE = 0.02  # a fitted number names a candidate when within 2% of it
MAX_LEAVES = 2  # group testing names at most 2 indices per axis, else "spread"


@dataclass
class Measurements:
    """Directional data of one tensor: analytic a, numeric n, own value w = ⟨p, d⟩."""

    dirs: list[np.ndarray]
    a: np.ndarray
    n: np.ndarray
    w: np.ndarray

    @property
    def energy(self) -> float:
        return float(((self.a - self.n) ** 2).sum())


def _explains(residual: float, energy: float, scale: float) -> bool:
    """≥ 99% of the mismatch explained, and the fit as precise as the data (RMS residual ≤ 1e-3 of the values).

    The second condition stops a factor α ≈ 0 from "explaining" a gradient that is merely much
    smaller than the true one: a true hypothesis fits to the finite-difference noise (~1e-5).
    """
    return residual <= (1 - EXPLAINED) * energy and residual <= PRECISION**2 * scale


def _close(x: float, c: float) -> bool:
    return abs(x - c) <= CLOSE * abs(c)


def _layer_of(name: str) -> tuple[str, str] | None:
    """('W', '1') for 'W1', ('b', '1') for 'b1'/'bias1'; None for other names."""
    m = re.fullmatch(r"(W|w|weights?|kernel)_?(\w*)", name)
    if m:
        return "W", m.group(2)
    m = re.fullmatch(r"(b|bias|biases)_?(\w*)", name)
    if m:
        return "b", m.group(2)
    return None


def _is_bias(name: str, p: np.ndarray) -> bool:
    layer = _layer_of(name)
    return layer[0] == "b" if layer else p.ndim == 1


def _regularized(name: str, p: np.ndarray, hints: Any) -> bool:
    if hints.regularized is not None:
        return name in hints.regularized
    return not _is_bias(name, p)


# --------------------------------------------------------------------------- factor naming


def factor_cause(name: str, alpha: float, hints: Any, scope: str = "tensor") -> Cause:
    """Words for 'grads[name] = α × the true gradient'."""
    N = hints.batch_size
    who = f"grads['{name}']" if scope == "tensor" else "every gradient"
    detail = {"alpha": alpha}
    upstream = scope != "tensor"
    if abs(alpha) < 1e-3:
        detail["label"] = "zero"
        return Cause("zero", f"the data part of {who} is (almost) zero: only the regularisation term or nothing remains",
                     "compute the data gradient (upstream gradient times the layer input) and add it", detail)
    if _close(alpha, -1):
        detail["label"] = "sign"
        fix = ("the upstream gradient is probs − onehot(y) (or prediction − target), not the reverse"
               if upstream else "check the sign of each term (a minus sign dropped or added)")
        return Cause("factor", f"{who} has the wrong sign (−1× the correct gradient)", fix, detail)
    if N and N > 2 and _close(alpha, N):
        detail["label"] = "batch"
        fix = ("divide the shared upstream gradient by N once: the loss is a mean over the batch"
               if upstream else "divide by N: the loss is a mean over the batch")
        return Cause("factor", f"{who} is {fmt_factor(alpha)} too large, and {N} is your batch size N", fix, detail)
    if N and N > 2 and _close(alpha, 1 / N):
        detail["label"] = "inv_batch"
        fix = ("divide by N only once (in dscores), not again in each gradient" if upstream else
               "divide by N only once: the upstream gradient already carries the 1/N"
               + (" (a bias gradient sums it over axis 0, it does not average it)" if (_layer_of(name) or ("",))[0] == "b" else ""))
        return Cause("factor", f"{who} is {N}× too small ({N} is your batch size: divided by N twice?)", fix, detail)
    if _close(alpha, 2) or _close(alpha, 0.5):
        detail["label"] = "two" if alpha > 1 else "half"
        size = "2× too large" if alpha > 1 else "half the correct value"
        return Cause("factor", f"{who} is {size}",
                     "check the factor from a square: d(r²)/dr = 2r, d(½r²)/dr = r (and ½·reg·‖W‖² gives reg·W)", detail)
    m = round(alpha)
    if alpha > 2.5 and abs(alpha - m) <= CLOSE * alpha:
        detail["label"] = "batch_guess"
        return Cause("factor", f"{who} is {m}× too large (is {m} your batch size?)", "divide by N: the loss is a mean over the batch", detail)
    if 0 < alpha < 0.4 and abs(1 / alpha - round(1 / alpha)) <= CLOSE / alpha:
        m = round(1 / alpha)
        detail["label"] = "inv_batch_guess"
        return Cause("factor", f"{who} is {m}× too small (is {m} your batch size, divided twice?)", "divide by N only once", detail)
    detail["label"] = "other"
    return Cause("factor", f"{who} is {fmt_factor(alpha)} the correct gradient (a constant factor)",
                 "look for a constant in the formula: a mean instead of a sum, a missing factor, a wrong scale", detail)


def _times(c: float) -> str:
    """'' for 1, '2·' for 2: a coefficient written in front of a symbol."""
    return "" if abs(c - 1) <= CLOSE else f"{fmt(c, 2)}·"


def reg_cause(name: str, p: np.ndarray, gamma: float, hints: Any) -> Cause:
    """Words for 'grads[name] = true + γ·p' (a regularisation term off by γ·p)."""
    detail = {"gamma": gamma}
    c = hints.reg_grad
    bias = not _regularized(name, p, hints)
    if bias:
        extra = f" (that is {_times(gamma / c)}reg·{name})" if c else ""
        return Cause("reg_on_bias", f"grads['{name}'] contains {fmt(gamma)}·{name}{extra}: regularisation applied to a bias",
                     f"biases are not regularised: drop the reg term from d{name}", detail)
    if c:
        student = c + gamma
        if _close(student, 0) or abs(student) <= CLOSE * c:
            return Cause("reg_missing", f"grads['{name}'] misses the regularisation gradient {fmt(c)}·{name}",
                         f"add {_times(2 * hints.reg_scale)}reg·{name} "
                         f"(the derivative of {fmt(hints.reg_scale)}·reg·‖{name}‖²)", detail)
        if _close(student, c / 2):
            return Cause("reg_half", f"grads['{name}'] has half the regularisation gradient",
                         f"the derivative of {fmt(hints.reg_scale)}·reg·‖{name}‖² is {_times(2 * hints.reg_scale)}reg·{name}"
                         + (" (the 2 from the square)" if hints.reg_scale == 1 else ""), detail)
        if _close(student, 2 * c):
            return Cause("reg_double", f"grads['{name}'] has twice the regularisation gradient",
                         f"the derivative of {fmt(hints.reg_scale)}·reg·‖{name}‖² is {_times(2 * hints.reg_scale)}reg·{name}"
                         + (" (the ½ cancels the 2 from the square)" if hints.reg_scale == 0.5 else ""), detail)
        return Cause("reg", f"grads['{name}'] has {fmt(student)}·{name} as regularisation gradient instead of {fmt(c)}·{name}",
                     f"the derivative of {fmt(hints.reg_scale)}·reg·‖{name}‖² is {_times(2 * hints.reg_scale)}reg·{name}", detail)
    direction = "misses" if gamma < 0 else "has an extra"
    return Cause("reg", f"grads['{name}'] {direction} {fmt(abs(gamma))}·{name}: the regularisation gradient is off",
                 "the derivative of ½·reg·‖W‖² is reg·W, that of reg·‖W‖² is 2·reg·W; include it exactly once", detail)


# --------------------------------------------------------------------------- per-tensor hypotheses


def _measure(point: Any, name: str, dirs: list[np.ndarray], probes: list[Probe]) -> Measurements:
    keep = [(d, p) for d, p in zip(dirs, probes) if p.status != "unstable"]
    p = point.params[name]
    return Measurements([d for d, _ in keep], np.array([q.analytic for _, q in keep]),
                        np.array([q.numeric for _, q in keep]), np.array([dot(p, d) for d, _ in keep]))


def _fit(columns: list[np.ndarray], target: np.ndarray) -> tuple[np.ndarray, float]:
    A = np.stack(columns, axis=1)
    coef, *_ = _lstsq(A, target, rcond=None)
    return coef, float(((A @ coef - target) ** 2).sum())


def fit_hypotheses(name: str, point: Any, m: Measurements, hints: Any) -> Cause | None:
    """The first simple hypothesis that explains ≥ 99% of the mismatch, or None."""
    g, p = point.grads[name], point.params[name]
    energy = m.energy
    if len(m.a) < 4 or energy == 0:
        return None
    a, n, w = m.a, m.n, m.w
    scale = float(np.maximum(a * a, n * n).sum())
    (alpha,), res = _fit([n], a)
    if _explains(res, energy, scale):
        return factor_cause(name, float(alpha), hints)
    if g.ndim == 2 and g.shape[0] == g.shape[1] and g.shape[0] > 1:
        nt = np.array([dot(g.T, d) for d in m.dirs])
        if _explains(float(((n - nt) ** 2).sum()), energy, scale):
            return Cause("transpose", f"grads['{name}'] is transposed (it equals the transpose of the correct gradient)",
                         "a gradient is laid out like its parameter: for W in X @ W, dW = X.T @ dout", {})
    if not np.any(w):
        return None
    c = hints.reg_grad if (hints.reg_grad and _regularized(name, p, hints)) else 0.0
    (gamma,), res = _fit([w], a - n)
    if _explains(res, energy, scale):
        return reg_cause(name, p, float(gamma), hints)
    if hints.reg_grad is not None:
        (alpha,), res = _fit([n - c * w], a - c * w)  # factor on the data part, regularisation right
        if _explains(res, energy, scale):
            return factor_cause(name, float(alpha), hints)
    if g.size < 4 or not _regularized(name, p, hints):
        return None  # two free parameters on a tiny tensor or a bias would fit anything
    (alpha, gamma), res = _fit([n, w], a)  # factor on the data part and a wrong regularisation
    if _explains(res, energy, scale) and abs(alpha - 1) > CLOSE:
        cause = factor_cause(name, float(alpha), hints)
        cause.message += " (besides a regularisation term that is off)"
        return cause
    return None


def _subsets(n: int) -> list[tuple[str, np.ndarray]]:
    """The parts of a batch of n examples that a loop or a slice commonly stops at, in words."""
    half = n // 2
    parts = [("the first example", np.arange(1)), ("all but the last example", np.arange(n - 1)),
             ("all but the first example", np.arange(1, n)), ("all but the last two examples", np.arange(n - 2))]
    if half >= 2:
        parts += [(f"the first {half} examples", np.arange(half)), (f"the last {n - half} examples", np.arange(half, n))]
    return parts


def partial_batch(name: str, point: Any, m: Measurements, hints: Any) -> Cause | None:
    """The gradient of only part of the batch, when ``hints.examples`` computes the loss of some examples."""
    n_examples = hints.batch_size
    if hints.examples is None or not n_examples or n_examples < 2:
        return None
    scale = float(np.maximum(m.a * m.a, m.n * m.n).sum())
    h = 1e-6
    for words, indices in _subsets(n_examples):
        loss = hints.examples(indices)

        def slope(d: np.ndarray) -> float:
            step = lambda sign: loss({**point.params, name: point.params[name] + sign * h * d})  # noqa: E731
            return (float(step(1.0)) - float(step(-1.0))) / (2 * h)

        n_part = np.array([slope(d) for d in m.dirs])
        regressors = [n_part, m.w] if np.any(m.w) and point.grads[name].size >= 4 else [n_part]
        coef, res = _fit(regressors, m.a)
        if _explains(res, m.energy, scale) and abs(coef[0]) > 1e-3:
            return Cause("partial_batch", f"grads['{name}'] is the gradient of {words} only "
                         f"({len(indices)} of the {n_examples} in the batch)",
                         "every example contributes to the gradient: loop over all N examples (range(N), not "
                         "range(N - 1)) and do not slice the batch", {"examples": len(indices)})
    return None


def is_rank_one(x: np.ndarray, rng: np.random.Generator) -> bool:
    """A matrix with at least 3 rows and columns that is numerically rank 1 (randomised test)."""
    if x.ndim != 2 or min(x.shape) < 3 or not np.any(x):
        return False
    s = _svdvals(x @ rng.standard_normal((x.shape[1], 3)), compute_uv=False)
    return bool(s[1] <= 1e-8 * s[0])


class _Abort(Exception):
    pass


def _masked(shape: tuple[int, ...], axis: int, lo: int, hi: int, rng: np.random.Generator) -> np.ndarray:
    d = np.zeros(shape)
    index = [slice(None)] * len(shape)
    index[axis] = slice(lo, hi)
    d[tuple(index)] = rng.standard_normal(d[tuple(index)].shape)
    return d


def localise(name: str, point: Any, rng: np.random.Generator) -> list[list[int] | None] | None:
    """Per axis, the indices where the gradient is wrong (None: spread over the axis).

    Group testing: a probe along a direction supported on a block of indices agrees exactly
    when the error vanishes on that block. Halves are split until single indices remain;
    more than MAX_LEAVES wrong blocks on an axis means the error is spread along it.
    Returns None when a probe could not decide (kinks).
    """
    g = point.grads[name]
    gnorm = norm(g)

    def wrong(axis: int, lo: int, hi: int) -> bool:
        d = _masked(g.shape, axis, lo, hi, rng)
        status = point.oracle.probe(name, d, dot(g, d), gnorm).status
        if status == "unstable":
            raise _Abort
        return status == "mismatch"

    out: list[list[int] | None] = []
    try:
        for axis, size in enumerate(g.shape):
            blocks = [(0, size)]
            while any(hi - lo > 1 for lo, hi in blocks) and len(blocks) <= MAX_LEAVES:
                nxt = []
                for lo, hi in blocks:
                    if hi - lo == 1:
                        nxt.append((lo, hi))
                        continue
                    mid = (lo + hi) // 2
                    nxt += [(a, b) for a, b in ((lo, mid), (mid, hi)) if wrong(axis, a, b)]
                if not nxt:
                    raise _Abort  # the whole tensor is wrong but no half is: inconsistent probes
                blocks = nxt
            out.append([lo for lo, _ in blocks] if len(blocks) <= MAX_LEAVES else None)
    except _Abort:
        return None
    return out


def _axis_words(ndim: int, axis: int) -> str:
    return {1: ["index"], 2: ["row", "column"]}.get(ndim, [f"index on axis {i}" for i in range(ndim)])[axis]


def location_cause(name: str, shape: tuple[int, ...], where: list[list[int] | None]) -> Cause | None:
    """'wrong only in column 299 (the last one)' from group-testing results; None if spread everywhere."""
    if all(w is None for w in where) or (len(shape) == 1 and where[0] is None):
        return None
    if all(w is not None for w in where) and all(len(w) == 1 for w in where):
        idx = tuple(w[0] for w in where)
        last = " (the last one)" if all(i == s - 1 for i, s in zip(idx, shape)) and len(shape) == 1 else ""
        text = f"index {idx[0]}{last}" if len(idx) == 1 else f"entry {list(idx)}"
        return Cause("localized", f"grads['{name}'] is wrong only at {text}",
                     "look for an off-by-one or a special case in the loop/slice that fills that entry", {"where": where})
    parts = []
    for axis, w in enumerate(where):
        if w is None or (len(shape) > 1 and len(w) == shape[axis]):
            continue
        words = _axis_words(len(shape), axis)
        last = " (the last one: an off-by-one such as range(n - 1)?)" if w == [shape[axis] - 1] else ""
        parts.append(f"{words}{'s' if len(w) > 1 else ''} {' and '.join(map(str, w))}{last}")
    if not parts:
        return None
    return Cause("localized", f"grads['{name}'] is wrong only in {', '.join(parts)}",
                 "look for an off-by-one or a skipped index in the loop/slice that fills it", {"where": where})


def error_is_rank_one(name: str, point: Any, rng: np.random.Generator) -> bool:
    """Is g_true − g a rank-1 matrix (one example's contribution)? 2×3 grid of rank-one probes u·vᵀ."""
    g = point.grads[name]
    if g.ndim != 2 or min(g.shape) < 3:
        return False
    gnorm = norm(g)
    us = [rng.standard_normal(g.shape[0]) for _ in range(3)]
    vs = [rng.standard_normal(g.shape[1]) for _ in range(2)]
    M = np.zeros((3, 2))
    for i, u in enumerate(us):
        for j, v in enumerate(vs):
            d = np.outer(u, v)
            pr = point.oracle.probe(name, d, dot(g, d), gnorm)
            if pr.status == "unstable":
                return False
            M[i, j] = pr.numeric - pr.analytic
    s = _svdvals(M, compute_uv=False)
    return bool(s[0] > 0 and s[1] <= 1e-3 * s[0])


def diagnose_tensor(name: str, point: Any, tp: Any, hints: Any, rng: np.random.Generator) -> Cause | None:
    g = point.grads[name]
    if not np.any(g):
        return Cause("zero", f"grads['{name}'] is all zeros", f"compute d{name} and store it in grads['{name}']", {})
    gnorm = norm(g)
    dirs = list(tp.directions)
    probes = list(tp.probes)
    for _ in range(EXTRA):
        d = rng.standard_normal(g.shape)
        dirs.append(d)
        probes.append(point.oracle.probe(name, d, dot(g, d), gnorm))
    measured = _measure(point, name, dirs, probes)
    cause = fit_hypotheses(name, point, measured, hints) or partial_batch(name, point, measured, hints)
    if cause is not None:
        return cause
    c = hints.reg_grad if (hints.reg_grad and _regularized(name, point.params[name], hints)) else 0.0
    if is_rank_one(g, rng) or (c and is_rank_one(g - c * point.params[name], rng)):
        return Cause("single_example", f"grads['{name}'] has rank 1, like the gradient of a single example, but the correct one does not",
                     "accumulate over every example (did the loop over examples return or break after the first?)", {})
    where = localise(name, point, rng)
    pinpointed = where is not None and any(w is not None and len(w) == 1 for w in where)
    if not pinpointed and error_is_rank_one(name, point, rng):
        return Cause("missing_example", f"the error in grads['{name}'] has rank 1: one example's contribution is missing or wrong",
                     "check the loop bounds over examples (an off-by-one such as range(N - 1)) and per-example special cases", {})
    if where is not None:
        return location_cause(name, g.shape, where)
    return None


# --------------------------------------------------------------------------- across tensors


def _same_factor(causes: dict[str, Cause | None]) -> float | None:
    alphas = [c.detail.get("alpha") for c in causes.values() if c is not None and c.code == "factor"]
    if len(alphas) != len(causes) or len(alphas) < 2:
        return None
    first = alphas[0]
    return first if all(abs(x - first) <= CLOSE * abs(first) for x in alphas) else None


def _layers(names: list[str]) -> dict[str, dict[str, str]]:
    layers: dict[str, dict[str, str]] = {}
    for name in names:
        tag = _layer_of(name)
        if tag:
            layers.setdefault(tag[1], {})[tag[0]] = name
    return layers


def _order(key: str) -> float:
    return float(key) if key.isdigit() else float("nan")


def structural_causes(results: dict[str, TensorResult], causes: dict[str, Cause | None]) -> None:
    """Fill unknown causes from which tensors are right and wrong (weight/bias pairs, layer order)."""
    layers = _layers(list(results))
    ok = {k for k, r in results.items() if r.status == "pass"}
    numbered = sorted((k for k in layers if k.isdigit()), key=int)
    for key, pair in layers.items():
        W, b = pair.get("W"), pair.get("b")
        if not W or not b:
            continue
        cw, cb = causes.get(W, "pass"), causes.get(b, "pass")
        if isinstance(cw, Cause) and cw.code in ("missing_example", "single_example") and b in ok:
            cw = causes[W] = None  # a per-example bug would show in the bias too: the layer's input is wrong
        if W in causes and cw is None and b in ok:
            causes[W] = Cause("layer_input", f"grads['{W}'] is wrong while grads['{b}'] is right, so the upstream gradient of this layer is right "
                              "and the layer's input in the formula is not",
                              f"d{W} = (input of this layer).T @ dout: use the activations that entered the layer "
                              "(the ReLU output h, not the pre-activation z), in the same layout", {})
        elif b in causes and cb is None and W in ok:
            causes[b] = Cause("bias_path", f"grads['{b}'] is wrong while grads['{W}'] is right",
                              f"d{b} sums over the examples (axis 0) the same upstream gradient that d{W} uses "
                              "(after the ReLU mask, not before)", {})
        elif W in causes and b in causes and cw is None and cb is None:
            above = [k for k in numbered if key.isdigit() and int(k) > int(key)]
            if above and all(all(n in ok for n in layers[k].values()) for k in above):
                nxt = layers[above[0]].get("W", "the next layer")
                code, msg = "between_layers", (f"grads['{W}'] and grads['{b}'] are wrong while the layer above is right: "
                                               f"the error is in the backward step between them")
                fix = (f"the upstream gradient of this layer is dout @ {nxt}.T, multiplied by the activation's derivative "
                       "(for ReLU: the mask z > 0 of this layer's pre-activation z)")
            else:
                code, msg = "upstream", f"grads['{W}'] and grads['{b}'] are both wrong (not by a simple factor): their shared upstream gradient is"
                fix = "check dscores (probs − onehot(y), divided by N) or the activation derivative that feeds this layer"
            causes[W] = Cause(code, msg, fix, {})
            causes[b] = Cause(code, msg, fix, {})
    # a bias with no pattern, next to a weight with one: same bug (e.g. one example only)
    for key, pair in layers.items():
        W, b = pair.get("W"), pair.get("b")
        cb = causes.get(b, "pass") if b else "pass"
        example_bug = isinstance(causes.get(W), Cause) and causes[W].code in ("single_example", "missing_example")
        if W and b and isinstance(causes.get(W), Cause) and (cb is None or (example_bug and isinstance(cb, Cause) and cb.code in ("localized", "factor"))):
            cw = causes[W]
            causes[b] = Cause(cw.code, f"grads['{b}'] is wrong too, consistently with grads['{W}']: {cw.message}", cw.fix, dict(cw.detail))


def diagnose(point: Any, failing: dict[str, Any], results: dict[str, TensorResult], hints: Any,
             rng: np.random.Generator, ev: Any) -> tuple[Cause | None, dict[str, Cause | None], list[str]]:
    """Causes for the failing tensors, an optional whole-function cause, and notes."""
    notes: list[str] = []
    causes: dict[str, Cause | None] = {}
    for name, tp in failing.items():
        try:
            causes[name] = diagnose_tensor(name, point, tp, hints, rng)
        except CheckError as err:  # the student's function failed during an extra probe
            notes.append(f"diagnosis of grads['{name}'] stopped: {err.cause.message}")
            causes[name] = None
    alpha = _same_factor(causes)
    if alpha is not None and len(causes) == len(results):
        glob = factor_cause("", alpha, hints, scope="all")
        glob.code = "upstream_factor"
        glob.message += ": the shared upstream gradient (dscores, or dL/dprediction) is off, not each formula"
        return glob, causes, notes
    codes = {c.code for c in causes.values() if c is not None}
    if len(causes) == len(results) > 1 and codes == {"single_example"}:
        return Cause("single_example", "every gradient is that of a single example",
                     "accumulate over all N examples (a return or break inside the loop over examples?)"), causes, notes
    structural_causes(results, causes)
    _example_over_unit(results, causes)
    return None, causes, notes


def _example_over_unit(results: dict[str, TensorResult], causes: dict[str, Cause | None]) -> None:
    """When every tensor is wrong, one missing example explains errors confined to one unit better.

    A dropped example whose hidden layer has a single active unit makes W1 wrong only in that
    column and W2 only in that row, like a skipped unit; but a skipped unit leaves the output
    layer's bias right, while a dropped example never does.
    """
    if len(causes) != len(results) or len(_layers(list(results))) < 2:
        return
    codes = [c.code if c is not None else None for c in causes.values()]
    if "localized" not in codes and None not in codes:
        return
    if not ("missing_example" in codes or codes.count("localized") >= 2 or None in codes):
        return
    for name, c in causes.items():
        if c is None or c.code == "localized":
            causes[name] = Cause("missing_example", f"the error in grads['{name}'] has the form of one example's contribution "
                                 "(every gradient is wrong, including the output layer's)",
                                 "check the loop bounds over examples (an off-by-one such as range(N - 1)) and per-example special cases", {})


def determinism(point: Any, ev: Any) -> Cause | None:
    """Finite differences need L to be a function: the same params must give the same loss."""
    if not hasattr(point.oracle, "ev"):
        return None
    again = ev.loss(point.params, "identical to the checked one")
    scale = max(abs(point.loss), 1.0)
    if abs(again - point.loss) <= 1e-9 * scale:
        return None
    if ev.loss_fn is not None:
        twice = ev.loss(point.params, "identical to the checked one")
        if abs(twice - again) <= 1e-9 * scale:
            return Cause("loss_fn_mismatch", f"loss_fn(params) = {fmt(again, 6)} but your function's loss is {fmt(point.loss, 6)} at the same params",
                         "loss_fn must compute exactly the loss that f returns (same regularisation, same mean)")
    return Cause("nondeterministic", "your loss changes between two calls with the same params (random dropout mask or sampling?)",
                 "fix the randomness inside the function (e.g. a seeded np.random.default_rng) while checking gradients")
