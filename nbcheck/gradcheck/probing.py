"""Calling the student's function safely, and finite-difference probes along directions.

The numerical side of the checker. For a scalar loss L and a tensor p with analytic gradient
g, a probe along a direction d compares

    analytic  a = ⟨g, d⟩
    numeric   n = (L(p + h·d) − L(p − h·d)) / (2h)        (central difference, error O(h²))

and accepts when |a − n| ≤ 1e-5·max(|a|, |n|, ‖g‖) + 100·ε·|L|/h. The first term is relative
to the tensor's whole gradient, so it neither grows with the tensor's size nor explodes for
tiny entries; the second bounds the rounding error of subtracting two nearby losses
(float64 ε ≈ 2.2e-16, with a factor 100 for the many roundings inside L).

Piecewise-smooth losses (ReLU) have kinks: when p ± h·d straddles one, n is off by up to
half the jump in slope. A kink sits at one point along the line, so shrinking the step makes
it disappear; a wrong gradient does not change with the step. :func:`probe` therefore
retries at h/10, h/100 and h/1000 and calls a mismatch *stable* (a real disagreement) only when two
successive steps give the same numeric value.

Every call of student code goes through :class:`Evaluator`, which counts calls, turns
exceptions, wrong types, wrong shapes and NaN/Inf into a :class:`CheckError` carrying a
:class:`Cause` a student can act on, and never hands the caller's arrays to the student
(they get read-only float64 copies).
"""

from __future__ import annotations

import linecache
import math
import os
import traceback
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nbcheck.gradcheck.report import Cause

# Bound at import: a student's later monkey-patching of numpy must not change the checker.
_array = np.array
_asarray = np.asarray
_vdot = np.vdot
_isfinite = np.isfinite
_errstate = np.errstate
_default_rng = np.random.default_rng
_float64 = np.float64
_ndarray = np.ndarray
_count_nonzero = np.count_nonzero
_sqrt = math.sqrt
_isfinite_scalar = math.isfinite

EPS = float(np.finfo(np.float64).eps)
H = 1e-6  # step of the central differences: truncation O(h²) ≈ 1e-12, rounding ε/h ≈ 2e-10
RTOL = 1e-5  # accepted relative mismatch of a directional derivative
ROUNDING = 100  # roundings inside a loss, in units of ε·|L|
SHRINK = (1, 10, 100, 1000)  # step divisors tried on a mismatch (kinks vanish, bugs stay); h/1000 still has rounding ≤ 2e-5·|L|

_NUMPY_DIR = os.path.dirname(np.__file__)
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class CheckError(Exception):
    """Student code cannot be checked further; ``cause`` says why and what to do."""

    def __init__(self, cause: Cause):
        super().__init__(cause.message)
        self.cause = cause


def norm(x: np.ndarray) -> float:
    """Euclidean norm of all entries (captured numpy, float64)."""
    flat = x.reshape(-1)
    return _sqrt(float(_vdot(flat, flat)))


def dot(x: np.ndarray, y: np.ndarray) -> float:
    """⟨x, y⟩ over all entries."""
    return float(_vdot(x.reshape(-1), y.reshape(-1)))


# --------------------------------------------------------------------------- conversion


def student_frame(exc: BaseException) -> traceback.FrameSummary | None:
    """The innermost traceback frame in the student's code: not numpy's, another installed
    library's, Python's frozen internals, or nbcheck's own."""
    frames = [
        fr for fr in traceback.extract_tb(exc.__traceback__)
        if not (fr.filename.startswith((_NUMPY_DIR, _PACKAGE_DIR, "<frozen")) or "site-packages" in fr.filename)
    ]
    return frames[-1] if frames else None


def where_in_student_code(exc: BaseException) -> str:
    """' at line 7: `scores = X @ W`' for the student's line that raised, or ''."""
    fr = student_frame(exc)
    if fr is None:
        return ""
    line = (fr.line or linecache.getline(fr.filename, fr.lineno or 0)).strip()
    return f" at line {fr.lineno}: `{line}`" if line else f" at line {fr.lineno}"


def exception_cause(exc: Exception, what: str) -> Cause:
    """A student-facing cause for an exception raised inside student code."""
    kind = type(exc).__name__
    return Cause(
        "exception",
        f"{what} raised {kind}: {exc}{where_in_student_code(exc)}",
        "call it once by itself on the same inputs and read the traceback",
        {"exception": kind},
    )


def as_float64(value: Any, what: str) -> tuple[np.ndarray, str | None]:
    """A float64 copy of ``value`` and a note when it was not float64 (or raise CheckError)."""
    if value is None:
        raise CheckError(Cause("type", f"{what} is None", "return the array (is a `return` statement missing?)"))
    if isinstance(value, (Mapping, str, bytes)) or callable(value):
        raise CheckError(Cause("type", f"{what} is a {type(value).__name__}, not an array", "return a numpy array"))
    try:
        arr = _asarray(value)
    except Exception as exc:  # ragged lists, objects numpy cannot read
        raise CheckError(Cause("type", f"{what} cannot be read as an array ({exc})", "return a numpy array")) from None
    if arr.dtype.kind not in "biuf":
        if arr.dtype.kind == "c":
            msg = f"{what} has complex values"
        else:
            msg = f"{what} is not numeric (dtype {arr.dtype})"
        raise CheckError(Cause("type", msg, "return a real float array"))
    note = None
    if arr.dtype != _float64:
        note = f"{what} was {arr.dtype}; checked as a float64 copy"
        if arr.dtype.kind in "biu":
            note += " (an integer gradient usually means it was built with np.zeros(..., dtype=int) or floor division)"
    return _array(arr, dtype=_float64, copy=True), note


def as_scalar(value: Any, what: str) -> float:
    """The loss as a Python float (or raise CheckError naming the problem)."""
    if isinstance(value, (tuple, list)) and len(value) == 2 and isinstance(value[1], Mapping):
        raise CheckError(Cause("type", f"{what} is a (loss, grads) pair, but a single number was expected", "return only the loss"))
    arr, _ = as_float64(value, what)
    if arr.size != 1:
        raise CheckError(Cause(
            "type", f"{what} has shape {arr.shape}, but the loss must be a single number",
            "average (or sum) the per-example losses, e.g. loss = losses.mean()"))
    return float(arr.reshape(-1)[0])


def prepare_params(params: Mapping[str, Any], what: str = "params") -> tuple[dict[str, np.ndarray], list[str]]:
    """Read-only float64 copies of the caller's tensors, and notes on up-casts."""
    if not isinstance(params, Mapping):
        raise TypeError(f"{what} must be a dict name -> array, e.g. {{'W': W, 'b': b}}; got {type(params).__name__}")
    if not params:
        raise TypeError(f"{what} is empty: pass the tensors whose gradients you want checked")
    out, notes = {}, []
    for name, value in params.items():
        try:
            arr, note = as_float64(value, f"{what}['{name}']")
        except CheckError as err:
            raise TypeError(err.cause.message) from None
        if note:
            notes.append(note + " (your arrays were not modified)")
        arr.flags.writeable = False
        out[name] = arr
    return out, notes


def with_tensor(params: Mapping[str, np.ndarray], name: str, value: np.ndarray) -> dict[str, np.ndarray]:
    """A new params dict with one tensor replaced (read-only, so student code cannot write into it)."""
    value = np.asarray(value)  # arithmetic on a 0-d array gives a numpy scalar, which has no flags to set
    value.flags.writeable = False
    out = dict(params)
    out[name] = value
    return out


def shape_message(name: str, got: tuple[int, ...], want: tuple[int, ...], batch_size: int | None) -> Cause:
    """Explain a gradient of the wrong shape, guessing the usual reason."""
    head = f"grads['{name}'] has shape {got} but params['{name}'] has shape {want}"
    if len(got) == 2 and got == want[::-1]:
        return Cause("shape_transposed", head + ": did you transpose it?",
                     "a gradient has the shape of its parameter; for W in X @ W use X.T @ dout, not dout.T @ X", {})
    if len(got) == len(want) + 1 and got[1:] == want:
        return Cause("shape_per_example", head + f": it has an extra leading axis of length {got[0]} (one gradient per example?)",
                     "sum the per-example gradients over axis 0", {})
    if len(want) == 1 and len(got) == 2 and want[0] in got and 1 in got:
        return Cause("shape_keepdims", head + ": a kept singleton axis",
                     "sum without keepdims (or reshape to the parameter's shape)", {})
    if len(want) == 1 and len(got) == 1 and (batch_size is None or got[0] == batch_size):
        return Cause("shape_axis", head + ": summed over the wrong axis?",
                     "a bias gradient sums the upstream gradient over axis 0 (the examples)", {})
    return Cause("shape", head, "return a gradient with exactly the parameter's shape", {})


# --------------------------------------------------------------------------- non-finite values

_FIXES = [
    ("overflow", "exp", "exp overflowed (exp(x) is inf for x > 709)",
     "subtract the row max before exponentiating: scores - scores.max(axis=1, keepdims=True)"),
    ("divide by zero", "log", "log(0) = -inf: a probability underflowed to 0",
     "compute log-probabilities as shifted - log(sum(exp(shifted))) with shifted = scores - row max, not log(probs)"),
    ("invalid value", "log", "log of a negative number", "only take logs of positive quantities (probabilities, not scores)"),
    ("invalid value", "divide", "0/0 or inf/inf (often exp overflowing to inf, then inf/inf)",
     "subtract the row max before exponentiating, and never divide by a sum that can be 0"),
    ("divide by zero", "divide", "division by zero", "make sure the denominator cannot be 0 (add the max-subtraction, or check counts)"),
    ("overflow", "", "a value overflowed", "check the scale of your inputs and weights (and the max-subtraction in softmax)"),
    ("invalid value", "", "an operation produced NaN", "look for inf - inf, 0 * inf or 0/0 in that line"),
]


def nonfinite_cause(f: Callable[..., Any], args: tuple, what: str, found: str) -> Cause:
    """Rerun ``f(*args)`` with numpy raising on floating-point errors and name the operation."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
                f(*args)
    except FloatingPointError as exc:
        text = str(exc)
        where = where_in_student_code(exc)
        for kind, op, meaning, fix in _FIXES:
            if text.startswith(kind) and op in text:
                return Cause("nonfinite", f"{found}: {text}{where}, i.e. {meaning}", fix, {"operation": text})
        return Cause("nonfinite", f"{found}: {text}{where}", "look for the operation in that line", {"operation": text})
    except Exception:  # noqa: BLE001 - a different failure on rerun: report the NaN itself
        pass
    return Cause("nonfinite", f"{found} (not from a numpy floating-point operation I could catch)",
                 "print the intermediate arrays and look for the first NaN/inf (np.isfinite)", {"operation": None})


# --------------------------------------------------------------------------- evaluator


def call_student(fn: Callable[..., Any], args: tuple, kwargs: dict, what: str) -> Any:
    """``fn(*args, **kwargs)`` with warnings silenced and exceptions turned into a CheckError.

    Warnings would reach stderr, which nbgrader counts as a failure; NaN/inf results are
    checked explicitly instead.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _errstate(all="ignore"):
                return fn(*args, **kwargs)
    except Exception as exc:
        if type(exc).__module__.startswith("nbcheck"):
            raise  # the grader's own time limit or assertion: not the student's exception
        if isinstance(exc, ValueError) and "read-only" in str(exc):
            raise CheckError(Cause(
                "inplace", f"{what} wrote into one of its input arrays ({exc}{where_in_student_code(exc)})",
                "never modify the inputs in place: compute new arrays instead")) from None
        raise CheckError(exception_cause(exc, what)) from None



@dataclass
class Evaluator:
    """Calls ``f(params) -> (loss, grads)`` and optionally ``loss_fn(params) -> loss``, counting calls."""

    f: Callable[[dict], Any]
    loss_fn: Callable[[dict], Any] | None
    shapes: dict[str, tuple[int, ...]]
    batch_size: int | None = None
    count: int = 0
    notes: list[str] = field(default_factory=list)

    def _call(self, fn: Callable[[dict], Any], params: dict[str, np.ndarray], what: str) -> Any:
        self.count += 1
        return call_student(fn, (params,), {}, what)

    def loss_and_grads(self, params: dict[str, np.ndarray], what: str = "your function") -> tuple[float, dict[str, np.ndarray], list[str]]:
        """Loss, float64 gradients keyed like params, notes; CheckError on anything unusable."""
        out = self._call(self.f, params, what)
        if isinstance(out, Mapping):
            raise CheckError(Cause("type", f"{what} returned only a dict", "return a pair: (loss, grads)"))
        if not isinstance(out, (tuple, list)):
            raise CheckError(Cause("type", f"{what} returned a {type(out).__name__}, not a pair (loss, grads)",
                                   "return loss, grads  (grads a dict with one array per parameter)"))
        if len(out) != 2:
            raise CheckError(Cause("type", f"{what} returned {len(out)} values, not a pair (loss, grads)", "return loss, grads"))
        loss = as_scalar(out[0], f"the loss returned by {what}")
        grads_in = out[1]
        if not isinstance(grads_in, Mapping):
            hint = " (a tuple/list: put the gradients in a dict keyed like params)" if isinstance(grads_in, (tuple, list)) else ""
            raise CheckError(Cause("type", f"grads is a {type(grads_in).__name__}, not a dict{hint}",
                                   "return grads = {" + ", ".join(f"'{k}': d{k}" for k in self.shapes) + "}"))
        missing = [k for k in self.shapes if k not in grads_in]
        if missing:
            has = ", ".join(repr(k) for k in grads_in) or "nothing"
            raise CheckError(Cause("missing_key", f"grads has no {', '.join(repr(k) for k in missing)} (it has {has})",
                                   "store every gradient under its parameter's name", {"missing": missing}))
        grads, notes = {}, []
        for name, shape in self.shapes.items():
            g, note = as_float64(grads_in[name], f"grads['{name}']")
            if note:
                notes.append(note)
            if g.shape != shape:
                raise CheckError(shape_message(name, g.shape, shape, self.batch_size))
            grads[name] = g
        extra = [k for k in grads_in if k not in self.shapes]
        if extra:
            notes.append(f"grads also has {', '.join(map(repr, extra))}, which has no parameter and was ignored")
        bad = [k for k, g in grads.items() if not _isfinite(g).all()]
        if not _isfinite_scalar(loss) or bad:
            found = f"the loss is {loss}" if not _isfinite_scalar(loss) else ""
            if bad:
                k = bad[0]
                n_bad = int(grads[k].size - _count_nonzero(_isfinite(grads[k])))
                found += ("; " if found else "") + f"grads['{k}'] has {n_bad} NaN/inf entr{'y' if n_bad == 1 else 'ies'}"
            self.count += 1  # the rerun that names the operation
            raise CheckError(nonfinite_cause(self.f, (params,), what, found))
        return loss, grads, notes

    def loss(self, params: dict[str, np.ndarray], what: str) -> float:
        """Loss only (``loss_fn`` when given, else the first return value of ``f``)."""
        if self.loss_fn is not None:
            out = self._call(self.loss_fn, params, "loss_fn")
            value = as_scalar(out[0] if isinstance(out, (tuple, list)) and len(out) == 2 else out, "the value of loss_fn")
            fn = self.loss_fn
        else:
            out = self._call(self.f, params, "your function")
            if not isinstance(out, (tuple, list)) or len(out) != 2:
                raise CheckError(Cause("type", "your function returned something else than (loss, grads) at a nearby point",
                                       "always return loss, grads"))
            value = as_scalar(out[0], "the loss")
            fn = self.f
        if not _isfinite_scalar(value):
            self.count += 1
            raise CheckError(nonfinite_cause(fn, (params,), "your function", f"the loss is {value} at a point {what}"))
        return value


# --------------------------------------------------------------------------- probes


def tolerance(a: float, n: float, gnorm: float, loss: float, h: float) -> float:
    """Accepted |a − n|: relative to the tensor's gradient, plus the rounding of the difference quotient."""
    return RTOL * max(abs(a), abs(n), gnorm) + ROUNDING * EPS * abs(loss) / h


@dataclass
class Probe:
    """One directional comparison. ``status``: "match", "mismatch" (stable across steps) or "unstable"."""

    analytic: float
    numeric: float
    tol: float
    status: str
    steps: list[tuple[float, float]]  # (h, numeric) for every step tried
    definite: bool = False  # a mismatch on a line that is smooth at the last step: not a kink artefact

    @property
    def kink(self) -> bool:
        """The step had to shrink: the line through the point crossed a non-smooth spot."""
        return len(self.steps) > 1 and self.status == "match"

    @property
    def rel_error(self) -> float:
        scale = max(abs(self.analytic), abs(self.numeric), 1e-300)
        return abs(self.analytic - self.numeric) / scale


def central_difference(ev: Evaluator, params: dict[str, np.ndarray], name: str, d: np.ndarray, h: float,
                       loss: float) -> tuple[float, float]:
    """(L(p + h·d) − L(p − h·d)) / 2h for the tensor ``name``, and the gap between the one-sided slopes.

    The gap |(L(p + h·d) − L(p))/h − (L(p) − L(p − h·d))/h| is h·|φ''| on a smooth line (tiny)
    and the jump in slope when a kink lies within the stencil.
    """
    p = params[name]
    up = ev.loss(with_tensor(params, name, p + h * d), f"near params['{name}']")
    down = ev.loss(with_tensor(params, name, p - h * d), f"near params['{name}']")
    return (up - down) / (2 * h), abs(up - 2 * loss + down) / h


def probe(ev: Evaluator, params: dict[str, np.ndarray], name: str, d: np.ndarray, a: float,
          gnorm: float, loss: float, h: float = H, shrink: tuple[int, ...] = SHRINK) -> Probe:
    """Compare a = ⟨g, d⟩ with central differences, shrinking the step past kinks.

    Returns at the first step that agrees ("match"), or when two successive steps agree with
    each other but not with a ("mismatch": the gradient is wrong, or the point sits exactly on
    a kink). A mismatch is *definite* when the one-sided slopes agree at the last step (no kink
    inside the stencil, so the point is not on one); the step keeps shrinking to find such a
    step. If no step settles, it is still a "mismatch" when every estimate is farther from a
    than 3× their spread (kinks move it by bounded, step-dependent amounts); else "unstable".
    """
    steps: list[tuple[float, float]] = []
    tol = 0.0
    mismatch = False
    for div in shrink:
        s = h / div
        n, kink_gap = central_difference(ev, params, name, d, s, loss)
        tol = tolerance(a, n, gnorm, loss, s)
        smooth = kink_gap <= tol
        if abs(a - n) <= tol:
            steps.append((s, n))
            return Probe(a, n, tol, "match", steps)
        mismatch = mismatch or bool(steps and abs(n - steps[-1][1]) <= tol)
        steps.append((s, n))
        if mismatch and smooth:
            return Probe(a, n, tol, "mismatch", steps, definite=True)
    if mismatch:
        return Probe(a, steps[-1][1], tol, "mismatch", steps)
    values = [n for _, n in steps]
    if min(abs(a - n) for n in values) > 3 * (max(values) - min(values)) + tol:
        return Probe(a, steps[-1][1], tol, "mismatch", steps)
    return Probe(a, steps[-1][1], tol, "unstable", steps)


def random_direction(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """A standard Gaussian direction (every entry N(0, 1))."""
    return rng.standard_normal(shape)


def numerical_gradient(f: Callable[[np.ndarray], Any], x: Any, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of a scalar function, one entry at a time (for teaching).

    ∂f/∂x_i ≈ (f(x + h·e_i) − f(x − h·e_i)) / (2h): truncation error O(h²), rounding error
    O(ε·|f|/h); h = 1e-5 balances the two for values of order 1. Costs 2·x.size calls of f.

    A writeable float64 array ``x`` is perturbed in place, one entry at a time, and every entry
    is restored (also when f raises), so ``f = lambda _: loss(W)`` closures over ``x`` work as in
    cs231n; anything else (lists, float32, ints) is first copied to float64. Returns a float64
    array shaped like ``x``.

    >>> numerical_gradient(lambda v: (v ** 2).sum(), np.array([1.0, -2.0])).round(6)
    array([ 2., -4.])
    """
    if not (isinstance(x, _ndarray) and x.dtype == _float64 and x.flags.writeable):
        x = _array(x, dtype=_float64, copy=True)
    grad = np.zeros(x.shape, dtype=_float64)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        try:
            x[i] = old + h
            up = _scalar_or_raise(f(x))
            x[i] = old - h
            down = _scalar_or_raise(f(x))
        finally:
            x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


def _scalar_or_raise(value: Any) -> float:
    try:
        return as_scalar(value, "f(x)")
    except CheckError as err:
        raise ValueError(err.cause.line()) from None
