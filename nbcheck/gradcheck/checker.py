"""check_grad / assert_grad: probe every tensor, resolve kinks, diagnose what is left.

Flow of :func:`check_grad` (T tensors, K directions each):

1. one call ``f(params)`` for the loss and the analytic gradients (validated: types, keys,
   shapes, NaN/Inf);
2. per tensor, K Gaussian directions compared with central differences (2 evaluations each,
   so a pass costs 2·K·T + 1 evaluations when no kink is crossed) or, in reference mode, with
   the instructor's gradient (no finite differences);
3. tensors that disagree are re-checked once at a jittered point p + σ·N(0, I): a bug is a
   property of the code, so a disagreement that vanishes there was a kink (a note), one that
   persists is a failure (``strict=True`` skips the jitter and reports the point as it is);
4. failures are diagnosed (:mod:`nbcheck.gradcheck.diagnosis`) at the point where they
   persisted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nbcheck.gradcheck import diagnosis, probing
from nbcheck.gradcheck.probing import CheckError, Evaluator, Probe, dot, norm
from nbcheck.gradcheck.report import FAIL, INCONCLUSIVE, PASS, Cause, GradReport, TensorResult, fmt

K = 2  # directions per tensor: a wrong gradient escapes one direction with probability ~0
JITTER = 1e-3  # σ of the re-check point, relative to the parameters' RMS (at least 1e-3 absolute)
REF_RTOL = 1e-5  # reference mode: ‖g − g_ref‖ ≤ 1e-5·max(‖g‖, ‖g_ref‖) (float64 reorderings differ by ~1e-13)
REF_ATOL = 1e-12


@dataclass
class Hints:
    """What the caller knows about the model; every field optional (sharper diagnosis)."""

    batch_size: int | None = None
    reg: float | None = None
    regularized: tuple[str, ...] | None = None
    reg_scale: float = 0.5  # the loss carries reg_scale·reg·‖W‖² → gradient 2·reg_scale·reg·W
    examples: Callable[[np.ndarray], Callable[[dict[str, np.ndarray]], Any]] | None = None

    @property
    def reg_grad(self) -> float | None:
        """Coefficient c of the correct regularisation gradient c·W."""
        return None if self.reg is None else 2 * self.reg_scale * self.reg


class FiniteDifferences:
    """Numeric directional derivatives of the loss at a point."""

    method = "finite differences"

    def __init__(self, ev: Evaluator, params: dict[str, np.ndarray], loss: float, h: float):
        self.ev, self.params, self.loss, self.h = ev, params, loss, h

    def probe(self, name: str, d: np.ndarray, a: float, gnorm: float) -> Probe:
        return probing.probe(self.ev, self.params, name, d, a, gnorm, self.loss, self.h)


class ReferenceGradients:
    """Exact directional derivatives ⟨g_ref, d⟩ from an instructor's gradient (no evaluations)."""

    method = "the reference"

    def __init__(self, grads: dict[str, np.ndarray]):
        self.grads = grads

    def probe(self, name: str, d: np.ndarray, a: float, gnorm: float) -> Probe:
        n = dot(self.grads[name], d)
        tol = REF_RTOL * max(abs(a), abs(n), gnorm) + REF_ATOL
        return Probe(a, n, tol, "match" if abs(a - n) <= tol else "mismatch", [(0.0, n)])


@dataclass
class Point:
    """Parameters, loss, the student's gradients there, and what they are compared with."""

    params: dict[str, np.ndarray]
    loss: float
    grads: dict[str, np.ndarray]
    oracle: Any


@dataclass
class TensorProbes:
    name: str
    directions: list[np.ndarray]
    probes: list[Probe]

    @property
    def status(self) -> str:
        states = {p.status for p in self.probes}
        if states == {"match"}:
            return "match"
        return "mismatch" if "mismatch" in states else "unstable"

    @property
    def definite(self) -> bool:
        """Wrong where the loss is smooth along two probes: a jittered point cannot excuse it.

        Two, because along a single line the slopes of several kinks at the point can cancel,
        making a non-differentiable point look smooth (about 1 probe in 1000 at exact kinks).
        """
        return sum(p.definite for p in self.probes) >= 2

    @property
    def rel_error(self) -> float:
        return max(p.rel_error for p in self.probes)


def probe_tensors(point: Point, names: Collection[str], rng: np.random.Generator, k: int) -> dict[str, TensorProbes]:
    """K random directions per tensor, each compared by the point's oracle."""
    out = {}
    for name in names:
        g = point.grads[name]
        gnorm = norm(g)
        dirs = [probing.random_direction(rng, g.shape) for _ in range(k)]
        out[name] = TensorProbes(name, dirs, [point.oracle.probe(name, d, dot(g, d), gnorm) for d in dirs])
    return out


def reference_mismatch(point: Point, name: str) -> tuple[bool, float]:
    """Exact comparison of a whole tensor with the reference: (wrong?, relative error)."""
    g, ref = point.grads[name], point.oracle.grads[name]
    err = norm(g - ref)
    scale = max(norm(g), norm(ref))
    return err > REF_RTOL * scale + REF_ATOL, err / scale if scale > 0 else 0.0


def jittered(params: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """p + σ·N(0, I) with σ = 1e-3·max(1, RMS of all parameters): far from kinks, close in behaviour."""
    total = sum(float(dot(p, p)) for p in params.values())
    count = sum(p.size for p in params.values())
    sigma = JITTER * max(1.0, (total / max(count, 1)) ** 0.5)
    out = {}
    for name, p in params.items():
        q = np.asarray(p + sigma * rng.standard_normal(p.shape))  # an array even when p is 0-d
        q.flags.writeable = False
        out[name] = q
    return out


def _evaluate_point(ev: Evaluator, params: dict[str, np.ndarray], reference: Callable | None,
                    h: float, notes: list[str]) -> Point:
    loss, grads, more = ev.loss_and_grads(params)
    notes.extend(n for n in more if n not in notes)
    if reference is None:
        return Point(params, loss, grads, FiniteDifferences(ev, params, loss, h))
    ref_ev = Evaluator(reference, None, ev.shapes, ev.batch_size)
    try:
        ref_loss, ref_grads, _ = ref_ev.loss_and_grads(params, "the reference")
    except CheckError as err:  # the instructor's function is broken: not the student's fault
        raise RuntimeError(f"reference function failed: {err.cause.line()}") from None
    point = Point(params, loss, grads, ReferenceGradients(ref_grads))
    point.ref_loss = ref_loss  # type: ignore[attr-defined]
    return point


def _tensor_status(point: Point, probes: TensorProbes, reference: bool) -> str:
    if reference:
        return "mismatch" if reference_mismatch(point, probes.name)[0] else "match"
    return probes.status


def check_grad(
    f: Callable[[dict[str, np.ndarray]], tuple[Any, Mapping[str, Any]]],
    params: Mapping[str, Any],
    *,
    loss_fn: Callable[[dict[str, np.ndarray]], Any] | None = None,
    strict: bool = False,
    seed: int = 0,
    batch_size: int | None = None,
    reg: float | None = None,
    regularized: Collection[str] | None = None,
    reg_scale: float = 0.5,
    reference: Callable[[dict[str, np.ndarray]], tuple[Any, Mapping[str, Any]]] | None = None,
    directions: int = K,
    h: float = probing.H,
    diagnose: bool = True,
    examples: Callable[[np.ndarray], Callable[[dict[str, np.ndarray]], Any]] | None = None,
) -> GradReport:
    """Check the gradients returned by ``f`` against finite differences (or a reference).

    Args:
        f: ``f(params) -> (loss, grads)``; ``grads`` a dict keyed and shaped like ``params``.
            It receives read-only float64 copies, never the caller's arrays.
        params: dict name → array at which to check (any real dtype; up-cast to float64).
        loss_fn: optional forward-only ``loss_fn(params) -> loss`` used for the finite
            differences (cheaper than computing gradients at every probe).
        strict: report disagreements at the given point even when they vanish at a nearby
            point (kinks): for courses that grade a ReLU'(0) convention.
        seed: seed of the random directions and of the jitter (results are reproducible).
        batch_size: N, to name factors of N ("divide by N").
        reg: regularisation strength; the loss is assumed to contain
            ``reg_scale * reg * sum(W**2)`` (default reg_scale 0.5, gradient reg·W).
        regularized: names of the regularised tensors (default: all but 1-D ones named b...).
        reference: instructor's ``f_ref(params) -> (loss, grads)``: compare exactly with it
            (loss value and every gradient entry, relative tolerance 1e-5) instead of using
            finite differences.
        directions: K, random directions per tensor (default 2).
        h: finite-difference step (default 1e-6; retried at h/10, h/100 across kinks).
        diagnose: spend extra evaluations to name the cause of a failure (default True).
        examples: ``examples(indices) -> loss_fn``, the loss on those examples of the batch only (with
            the same regularisation): it lets the diagnosis recognise a gradient of part of the batch.

    Returns:
        A :class:`GradReport`; ``str(report)`` is the message for the student.
    """
    t0 = time.perf_counter()
    P, notes = probing.prepare_params(params)
    shapes = {k: v.shape for k, v in P.items()}
    hints = Hints(batch_size, reg, tuple(regularized) if regularized is not None else None, reg_scale, examples)
    ev = Evaluator(f, loss_fn, shapes, batch_size)
    rng = probing._default_rng(seed)
    method = "the reference" if reference is not None else "finite differences"

    def finish(status: str, results: dict[str, TensorResult], cause: Cause | None = None) -> GradReport:
        return GradReport(status, results, cause, notes, ev.count, method, time.perf_counter() - t0)

    try:
        point = _evaluate_point(ev, P, reference, h, notes)
        if reference is not None and not _loss_matches(point):
            cause = Cause("loss_value", f"your loss is {fmt(point.loss, 6)} but the reference loss is {fmt(point.ref_loss, 6)}",
                          "check the loss formula (mean over examples, regularisation term) before the gradients")
            return finish(FAIL, {k: TensorResult(k, s) for k, s in shapes.items()}, cause)
        probes = probe_tensors(point, P, rng, directions)
        status = {k: _tensor_status(point, probes[k], reference is not None) for k in P}
        bad = [k for k in P if status[k] != "match"]
        kink_note = any(p.kink for tp in probes.values() for p in tp.probes)
        diag_point, diag_probes = point, probes
        for k in bad:  # one smooth disagreement: two more directions decide whether it is definite
            tp = probes[k]
            if reference is None and sum(p.definite for p in tp.probes) == 1:
                extra = probe_tensors(point, [k], rng, 2)[k]
                tp.directions += extra.directions
                tp.probes += extra.probes
        if bad and not strict:
            point2 = _evaluate_point(ev, jittered(P, rng), reference, h, notes)
            probes2 = probe_tensors(point2, bad, rng, directions)
            for k in bad:
                s2 = _tensor_status(point2, probes2[k], reference is not None)
                if s2 == "match" and probes[k].definite:
                    status[k] = "mismatch"  # wrong at your point where the loss is smooth: a real bug there
                    notes.append(f"grads['{k}'] is wrong at your point but happens to agree at a nearby one "
                                 "(the bug may only show where a ReLU input is close to 0)")
                elif s2 == "match":
                    status[k] = "match"
                    notes.append(
                        f"grads['{k}'] disagreed with {method} at your point but agrees at a nearby point: "
                        "your point sits on a kink (e.g. a ReLU input exactly 0), which is not a bug")
                else:
                    status[k] = s2
            diag_point, diag_probes = point2, {**probes, **probes2}
        elif bad and strict:
            for k in bad:
                if _on_kink(probes[k]):
                    notes.append(f"grads['{k}']: your point sits on a kink (one-sided slopes differ); strict mode grades it as is")
        if kink_note and reference is None:
            notes.append("some finite differences crossed a kink and were repeated with a smaller step")
        results = {}
        for k in P:
            tp = diag_probes[k]
            s = {"match": PASS, "mismatch": FAIL, "unstable": INCONCLUSIVE}[status[k]]
            rel = reference_mismatch(diag_point, k)[1] if reference is not None else tp.rel_error
            results[k] = TensorResult(k, shapes[k], s, rel, [p.numeric for p in tp.probes], [p.analytic for p in tp.probes])
        failing = [k for k in P if results[k].status == FAIL]
        unstable = [k for k in P if results[k].status == INCONCLUSIVE]
        for k in unstable:
            results[k].cause = Cause("unstable", "the finite differences kept changing as the step shrank (kinks everywhere, or a loss that is not deterministic)",
                                     "check with a fixed random seed inside the loss, or use check_grad(..., reference=...)")
        if failing or unstable:
            det = diagnosis.determinism(diag_point, ev)
            if det is not None:
                return finish(FAIL, results, det)
        cause = None
        if failing and diagnose:
            cause, tensor_causes, more = diagnosis.diagnose(diag_point, {k: diag_probes[k] for k in failing}, results, hints, rng, ev)
            notes.extend(more)
            for k, c in tensor_causes.items():
                results[k].cause = c
        overall = FAIL if failing else INCONCLUSIVE if unstable else PASS
        return finish(overall, results, cause)
    except CheckError as err:
        return finish(FAIL, {}, err.cause)


def _loss_matches(point: Point) -> bool:
    ref = point.ref_loss  # type: ignore[attr-defined]
    return abs(point.loss - ref) <= REF_RTOL * max(abs(ref), abs(point.loss)) + REF_ATOL


def _on_kink(tp: TensorProbes) -> bool:
    """Stable mismatch whose numeric value does not depend on the step: typical of a point on a kink."""
    return any(p.status == "mismatch" and len(p.steps) > 1 for p in tp.probes)


def assert_grad(f: Callable, params: Mapping[str, Any], **options: Any) -> GradReport:
    """:func:`check_grad`, raising ``AssertionError(str(report))`` when the status is "fail".

    "inconclusive" does not raise: it only happens when the finite differences never settle
    (kinks at every step and at the jittered point, or a non-deterministic loss), and a
    correct gradient must never lose points; graders who need a verdict there pass
    ``reference=`` (exact, always conclusive). Returns the report otherwise.
    """
    report = check_grad(f, params, **options)
    if report.status == FAIL:
        raise AssertionError(str(report))
    return report
