"""check_layer: the cs231n layer contract, ``forward(...) -> (out, cache)``, ``backward(dout, cache) -> grads``.

Calling convention (how ``inputs`` reaches ``forward``):

- a single array ``x``: ``forward(x)``; ``backward`` returns ``dx`` (an array);
- a tuple/list ``(x, w, b)``: ``forward(x, w, b)``; ``backward`` returns a tuple in the same
  order, one gradient per *differentiated* input;
- a dict ``{"x": x, "w": w}``: ``forward(x=x, w=w)``; ``backward`` returns a tuple in that
  order or a dict keyed by the names (``"x"`` or ``"dx"``).

Differentiated inputs (``wrt``) default to the float arrays among the inputs; integer labels,
dicts of settings (``bn_param``) and scalars are passed through untouched.

Two checks:

- **vector–Jacobian product** (any layer): with a random upstream gradient u, the scalar
  L = ⟨forward(inputs), u⟩ has gradient ``backward(u, cache)``; it is checked exactly like
  :func:`check_grad` (directional probes, kinks, jitter, diagnosis);
- **element-wise layers** (one input, out[i] depends only on x[i]; detected by perturbing a
  random half of the entries and seeing the other half unchanged): the numeric derivative of
  every entry from 2 evaluations, f(x + h) and f(x − h); entries whose one-sided slopes differ
  (a kink within h, such as ReLU at 0) are excluded, and the wrong entries are described by a
  condition on the input ("wrong exactly where x < 0") and by the local derivative you used.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from nbcheck.gradcheck import checker, probing
from nbcheck.gradcheck.probing import EPS, CheckError, as_float64, norm
from nbcheck.gradcheck.report import FAIL, PASS, Cause, GradReport, TensorResult, fmt

# Bound at import, like probing's: the verdict must not depend on a student's monkey-patching.
_abs, _maximum, _minimum, _isfinite = np.abs, np.maximum, np.minimum, np.isfinite
_vdot, _array_equal, _default_rng = np.vdot, np.array_equal, np.random.default_rng
KINK_RTOL = 1e-4  # one-sided slopes of a smooth function differ by ~h·|f''| ≪ 1e-4·|f'|


def _names_and_style(forward: Callable, inputs: Any) -> tuple[dict[str, Any], str]:
    if isinstance(inputs, Mapping):
        return dict(inputs), "keyword"
    try:
        params = [p.name for p in inspect.signature(forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    if isinstance(inputs, (tuple, list)):
        names = [params[i] if i < len(params) else f"input{i}" for i in range(len(inputs))]
        return dict(zip(names, inputs)), "positional"
    return {params[0] if params else "x": inputs}, "single"


def _is_float_array(v: Any) -> bool:
    return isinstance(v, np.ndarray) and v.dtype.kind == "f"


class _Layer:
    """Calls forward/backward with some inputs replaced, counting calls and validating results."""

    def __init__(self, forward: Callable, backward: Callable, values: dict[str, Any], style: str, wrt: list[str], who: str = "your"):
        self.forward, self.backward = forward, backward
        self.values, self.style, self.wrt, self.who = values, style, wrt, who
        self.count = 0

    def _call(self, fn: Callable, args: tuple, kwargs: dict, what: str) -> Any:
        self.count += 1
        return probing.call_student(fn, args, kwargs, what)

    def run_forward(self, arrays: Mapping[str, np.ndarray]) -> tuple[np.ndarray, Any]:
        vals = {**self.values, **arrays}
        if self.style == "keyword":
            out = self._call(self.forward, (), vals, f"{self.who} forward")
        else:
            out = self._call(self.forward, tuple(vals.values()), {}, f"{self.who} forward")
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise CheckError(Cause("type", f"{self.who} forward returned a {type(out).__name__}, not a pair (out, cache)", "return out, cache"))
        arr, _ = as_float64(out[0], f"the output of {self.who} forward")
        if not _isfinite(arr).all():
            raise CheckError(Cause("nonfinite", f"the output of {self.who} forward has NaN/inf entries", "check the forward formula for overflow"))
        return arr, out[1]

    def run_backward(self, dout: np.ndarray, cache: Any, shapes: Mapping[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
        raw = self._call(self.backward, (dout.copy(), cache), {}, f"{self.who} backward")
        names = self.wrt
        if isinstance(raw, Mapping):
            got = {}
            for n in names:
                key = n if n in raw else f"d{n}" if f"d{n}" in raw else None
                if key is None:
                    raise CheckError(Cause("missing_key", f"backward's dict has no gradient for '{n}' (it has {', '.join(map(repr, raw))})",
                                           f"return {{'{n}': d{n}, ...}} or a tuple in input order"))
                got[n] = raw[n if n in raw else f"d{n}"]
        elif isinstance(raw, (tuple, list)) and not (len(names) == 1 and len(raw) != 1 and _is_number_list(raw)):
            if len(raw) != len(names):
                raise CheckError(Cause("type", f"backward returned {len(raw)} gradients but the layer has {len(names)} differentiable inputs ({', '.join(names)})",
                                       f"return {', '.join('d' + n for n in names)} in this order"))
            got = dict(zip(names, raw))
        else:
            if len(names) != 1:
                raise CheckError(Cause("type", f"backward returned a single {type(raw).__name__} but the layer has {len(names)} differentiable inputs ({', '.join(names)})",
                                       f"return a tuple ({', '.join('d' + n for n in names)})"))
            got = {names[0]: raw}
        out = {}
        for n in names:
            g, _ = as_float64(got[n], f"d{n}")
            if g.shape != shapes[n]:
                raise CheckError(probing.shape_message(n, g.shape, shapes[n], None))
            if not _isfinite(g).all():
                raise CheckError(Cause("nonfinite", f"d{n} has NaN/inf entries", "check the backward formula (division by zero? overflow?)"))
            out[n] = g
        return out


def _is_number_list(raw: Sequence) -> bool:
    return all(isinstance(v, (int, float, np.floating)) for v in raw)


def _relabel(text: str, names: list[str]) -> str:
    for n in names:
        text = text.replace(f"grads['{n}']", f"d{n}").replace(f"params['{n}']", n)
    return text


def _relabel_report(report: GradReport, names: list[str]) -> GradReport:
    causes = [report.cause] + [t.cause for t in report.tensors.values()]
    for c in causes:
        if c is not None:
            c.message, c.fix = _relabel(c.message, names), _relabel(c.fix, names)
    report.notes = [_relabel(n, names).replace("your point", "your inputs") for n in report.notes]
    report.title = "Layer check"
    for t in report.tensors.values():
        t.display = f"d{t.name}"
    return report


def check_layer(
    forward: Callable[..., tuple[Any, Any]],
    backward: Callable[[np.ndarray, Any], Any],
    inputs: Any,
    *,
    wrt: Sequence[str] | None = None,
    elementwise: bool | None = None,
    reference: tuple[Callable, Callable] | None = None,
    strict: bool = False,
    seed: int = 0,
    h: float = probing.H,
    diagnose: bool = True,
) -> GradReport:
    """Check a layer's ``backward`` against its ``forward`` (or against a reference pair).

    Args:
        forward, backward: the layer (contract in the module docstring).
        inputs: a single array, a tuple/list of inputs, or a dict name → input.
        wrt: names of the inputs to differentiate (default: the float arrays).
        elementwise: force (True) or forbid (False) the entry-by-entry check; None detects it.
        reference: ``(forward_ref, backward_ref)``: compare the output and every gradient with
            the instructor's layer (same upstream gradient) instead of finite differences.
        strict: do not exclude kink entries / forgive kinks that vanish nearby.
        seed: seed of the upstream gradient and the probes.
        h: finite-difference step.

    Returns:
        A :class:`GradReport` whose tensors are named after the inputs (messages say ``dx``).
    """
    t0 = time.perf_counter()
    values, style = _names_and_style(forward, inputs)
    names = list(wrt) if wrt is not None else [n for n, v in values.items() if _is_float_array(np.asarray(v) if isinstance(v, (list, np.ndarray)) else v)]
    if not names:
        raise TypeError("check_layer: no float array among the inputs to differentiate (pass wrt=[...])")
    X, notes = probing.prepare_params({n: values[n] for n in names}, what="inputs")
    layer = _Layer(forward, backward, values, style, names)
    rng = _default_rng(seed)
    shapes = {n: x.shape for n, x in X.items()}
    try:
        out, cache = layer.run_forward(X)
        dout = rng.standard_normal(out.shape)
        grads = layer.run_backward(dout, cache, shapes)
        ref_layer = _Layer(*reference, values, style, names, who="the reference") if reference is not None else None
        if ref_layer is not None:
            ref_out, _ = ref_layer.run_forward(X)
            if ref_out.shape != out.shape or norm(out - ref_out) > checker.REF_RTOL * max(norm(ref_out), norm(out)) + checker.REF_ATOL:
                got = f"shape {out.shape}" if ref_out.shape != out.shape else f"relative error {fmt(norm(out - ref_out) / max(norm(ref_out), 1e-300), 2)}"
                cause = Cause("forward_value", f"your forward output differs from the reference ({got}, expected shape {ref_out.shape})",
                              "fix the forward pass first: the backward is checked against it")
                return GradReport(FAIL, {}, cause, notes, layer.count, "the reference", time.perf_counter() - t0, "Layer check")
        x_only = len(names) == 1 and out.shape == X[names[0]].shape
        if elementwise is None:
            elementwise = x_only and _no_leak(layer, X[names[0]], names[0], out, rng, h)
        if elementwise and x_only:
            return _elementwise(layer, ref_layer, names[0], X[names[0]], out, dout, grads[names[0]], strict, h, notes, t0)
    except CheckError as err:
        return _relabel_report(GradReport(FAIL, {}, err.cause, notes, layer.count, "finite differences", time.perf_counter() - t0), names)

    def as_loss(lay: _Layer) -> Callable:
        def loss_and_grads(params):
            o, c = lay.run_forward(params)
            return float(_vdot(o, dout)), lay.run_backward(dout, c, shapes)
        return loss_and_grads

    def loss_only(params):
        return float(_vdot(layer.run_forward(params)[0], dout))

    batch = next((x.shape[0] for x in X.values() if x.ndim >= 2), None)
    report = checker.check_grad(as_loss(layer), X, loss_fn=loss_only, strict=strict, seed=seed + 1, batch_size=batch,
                                reg=None, reference=as_loss(ref_layer) if ref_layer else None, h=h, diagnose=diagnose)
    report.notes = notes + [n for n in report.notes if "checked as a float64 copy" not in n]
    report.evaluations = layer.count
    report.seconds = time.perf_counter() - t0
    return _relabel_report(report, names)


def _no_leak(layer: _Layer, x: np.ndarray, name: str, out: np.ndarray, rng: np.random.Generator, h: float) -> bool:
    """Element-wise iff perturbing a random half of the entries leaves the other half's outputs unchanged."""
    mask = rng.random(x.shape) < 0.5
    if mask.all() or not mask.any():
        return False
    moved, _ = layer.run_forward({name: x + 1e3 * h * mask})
    return bool(_array_equal(moved[~mask], out[~mask]))


_CONDITIONS = [
    ("x < 0", lambda x: x < 0), ("x > 0", lambda x: x > 0), ("x <= 0", lambda x: x <= 0), ("x >= 0", lambda x: x >= 0),
    ("|x| > 1", lambda x: _abs(x) > 1), ("|x| < 1", lambda x: _abs(x) < 1), ("x > 1", lambda x: x > 1), ("x < -1", lambda x: x < -1),
]
_LOCAL = [
    ("1", lambda x, o: np.ones_like(x)), ("0", lambda x, o: np.zeros_like(x)), ("x", lambda x, o: x), ("out", lambda x, o: o),
    ("1 − out", lambda x, o: 1 - o), ("out·(1 − out)", lambda x, o: o * (1 - o)), ("1 − out²", lambda x, o: 1 - o * o),
    ("1 − x²", lambda x, o: 1 - x * x), ("x·(1 − x)", lambda x, o: x * (1 - x)), ("2x", lambda x, o: 2 * x),
    ("−1", lambda x, o: -np.ones_like(x)),
]


def _describe_local(q: np.ndarray, x: np.ndarray, o: np.ndarray) -> str | None:
    for label, fn in _LOCAL:
        ref = fn(x, o)
        if np.all(_abs(q - ref) <= 1e-6 * _maximum(_abs(ref), 1e-3)):
            return label
    return None


def _elementwise(layer: _Layer, ref_layer: _Layer | None, name: str, x: np.ndarray, out: np.ndarray, dout: np.ndarray,
                 dx: np.ndarray, strict: bool, h: float, notes: list[str], t0: float) -> GradReport:
    x_up, x_down = x + h, x - h
    step_up, step_down = x_up - x, x - x_down  # the steps actually taken in floating point
    o_up, _ = layer.run_forward({name: x_up})
    o_down, _ = layer.run_forward({name: x_down})
    slope_up, slope_down = (o_up - out) / step_up, (out - o_down) / step_down
    noise = 100 * EPS * (_abs(o_up) + _abs(o_down) + _abs(out)) / h
    kink = _abs(slope_up - slope_down) > KINK_RTOL * _maximum(_abs(slope_up), _abs(slope_down)) + noise
    if ref_layer is not None:
        _, ref_cache = ref_layer.run_forward({name: x})
        expected = ref_layer.run_backward(dout, ref_cache, {name: x.shape})[name]
        method = "the reference"
    else:
        expected = (o_up - o_down) / (step_up + step_down) * dout
        method = "finite differences"
    tol = 1e-5 * _maximum(_abs(dx), _abs(expected)) + 1e-8 * _abs(expected).max() + noise * _abs(dout)
    if strict:
        low, high = _minimum(slope_up, slope_down) * dout, _maximum(slope_up, slope_down) * dout
        lo, hi = _minimum(low, high), _maximum(low, high)
        wrong = np.where(kink, (dx < lo - tol) | (dx > hi + tol), _abs(dx - expected) > tol)
    else:
        wrong = ~kink & (_abs(dx - expected) > tol)
    if kink.any():
        one = kink.sum() == 1
        notes.append(f"{int(kink.sum())} entr{'y' if one else 'ies'} of {name} {'lies' if one else 'lie'} within {fmt(h)} of a kink "
                     f"(e.g. ReLU at 0) and {'were checked against the one-sided slopes' if strict else 'were not compared'}")
    rel = _abs(dx - expected) / _maximum(_maximum(_abs(dx), _abs(expected)), 1e-300)
    result = TensorResult(name, x.shape, PASS, float(rel[~kink].max()) if (~kink).any() else 0.0)
    if not wrong.any():
        return _relabel_report(GradReport(PASS, {name: result}, None, notes, layer.count, method, time.perf_counter() - t0), [name])
    result.status = FAIL
    idx = np.flatnonzero(wrong)[:3]
    result.numeric = [float(expected.flat[i]) for i in idx]
    result.analytic = [float(dx.flat[i]) for i in idx]
    result.positions = [f"{name}{list(np.unravel_index(i, x.shape))} = {fmt(x.flat[i])}" for i in idx]
    result.cause = _elementwise_cause(name, x, out, dout, dx, expected, wrong, kink)
    return _relabel_report(GradReport(FAIL, {name: result}, None, notes, layer.count, method, time.perf_counter() - t0), [name])


def _elementwise_cause(name: str, x: np.ndarray, out: np.ndarray, dout: np.ndarray, dx: np.ndarray,
                       expected: np.ndarray, wrong: np.ndarray, kink: np.ndarray) -> Cause:
    usable = ~kink
    where = "everywhere" if (wrong == usable).all() else None
    if where is None:
        for label, cond in _CONDITIONS:
            if _array_equal(cond(x) & usable, wrong):
                where = f"exactly where {label.replace('x', name)}"
                break
    where = where or f"at {int(wrong.sum())} of {int(usable.sum())} entries (no simple condition on {name})"
    sel = wrong & (_abs(dout) > 1e-3)
    yours = _describe_local(dx[sel] / dout[sel], x[sel], out[sel]) if sel.any() else None
    right = _describe_local(expected[sel] / dout[sel], x[sel], out[sel]) if sel.any() else None
    detail = {"where": where, "yours": yours, "correct": right}
    msg = f"d{name} is wrong {where}"
    times = {lab: (f"dout·({lab})" if " " in lab else f"dout·{lab}") for lab in (yours, right) if lab}
    if yours and right:
        msg += f": there d{name} = {times[yours]} but should be {times[right]}"
    elif yours:
        msg += f": there d{name} = {times[yours]}"
    if right == "0" and yours:
        fix = "multiply dout by the mask of the active region (for ReLU: (x > 0)) so the gradient is 0 there"
    elif right in ("out·(1 − out)", "1 − out²") and yours:
        fix = f"the local derivative is {right} with out the forward output (sigmoid: s·(1 − s); tanh: 1 − tanh²)"
    else:
        fix = "differentiate the forward function and multiply dout by that local derivative, entry by entry"
    return Cause("elementwise", msg, fix, detail)
