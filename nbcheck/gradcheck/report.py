"""What a gradient check found, as an object (for tests) and as text/HTML (for students).

A :class:`GradReport` has a status (``"pass"``, ``"fail"`` or ``"inconclusive"``), one
:class:`TensorResult` per checked tensor and a list of notes. ``str(report)`` is the message
a student reads: one line per failing tensor (cause, then fix), then the evidence (relative
error, numeric vs analytic values), then the notes. ``_repr_html_`` renders the same content
as a small table in JupyterLab.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

PASS, FAIL, INCONCLUSIVE = "pass", "fail", "inconclusive"


def fmt(x: float, digits: int = 3) -> str:
    """A number rounded for humans: 3 significant digits, no trailing noise (0.0123, 2.5e-07)."""
    if x is None:
        return "?"
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def fmt_factor(alpha: float) -> str:
    """A ratio as people say it: '20×', '1/20', '−1×', '0.37×'."""
    if alpha == 0:
        return "0×"
    if abs(alpha) >= 1:
        r = round(alpha)
        return f"{r}×" if abs(alpha - r) < 0.01 * abs(alpha) else f"{fmt(alpha)}×"
    inv = 1 / alpha
    r = round(inv)
    if abs(inv - r) < 0.01 * abs(inv) and abs(r) >= 2:
        return f"1/{abs(r)}" if r > 0 else f"−1/{abs(r)}"
    return f"{fmt(alpha)}×"


def _capital(text: str) -> str:
    """Capitalise a sentence that starts with an English word (not with code such as grads['W'])."""
    first = text.split(" ", 1)[0]
    return text[:1].upper() + text[1:] if first in ("every", "the", "your", "loss") else text


def _without_label(text: str, label: str) -> str:
    """'grads['W'] is 20× too large' → 'is 20× too large' (the line already starts with the label)."""
    return text[len(label) + 1:] if text.startswith(label + " ") else text


@dataclass
class Cause:
    """A diagnosed cause: a machine-readable code, what is wrong, and what to do about it.

    ``code`` is stable (tests and the benchmark compare it); ``detail`` holds the fitted
    numbers (factor, regularisation coefficient, location, ...).
    """

    code: str
    message: str
    fix: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        def end(text: str) -> str:
            return text if text.endswith((".", "?", "!")) else text + "."

        return f"{end(self.message)} Fix: {end(self.fix)}" if self.fix else end(self.message)


@dataclass
class TensorResult:
    """The verdict on one tensor's gradient.

    ``rel_error`` is the largest relative mismatch |a − n| / max(|a|, |n|, ‖g‖) over the probes
    (directional derivatives: ``numeric`` from finite differences or the reference,
    ``analytic`` = ⟨your gradient, direction⟩).
    """

    name: str
    shape: tuple[int, ...]
    status: str = PASS
    rel_error: float = 0.0
    numeric: list[float] = field(default_factory=list)
    analytic: list[float] = field(default_factory=list)
    cause: Cause | None = None
    notes: list[str] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)  # where numeric/analytic were taken, if not along directions
    display: str | None = None  # how messages name the gradient (default grads['name'])

    @property
    def label(self) -> str:
        return self.display or f"grads['{self.name}']"


@dataclass
class GradReport:
    """Result of :func:`check_grad`, :func:`check_layer` or their reference modes.

    Attributes: ``status`` ("pass" / "fail" / "inconclusive"), ``tensors`` (name → TensorResult),
    ``cause`` (a cause that concerns the whole function: an exception, a wrong return type,
    NaN, the same factor on every tensor), ``notes``, ``evaluations`` (calls of the function(s)
    under test), ``method`` (what the gradients were compared with), ``seconds``.
    ``bool(report)`` is False only when the status is "fail", so ``assert check_grad(...)``
    does what it reads like.
    """

    status: str
    tensors: dict[str, TensorResult] = field(default_factory=dict)
    cause: Cause | None = None
    notes: list[str] = field(default_factory=list)
    evaluations: int = 0
    method: str = "finite differences"
    seconds: float = 0.0
    title: str = "Gradient check"

    def __bool__(self) -> bool:
        return self.status != FAIL

    @property
    def passed(self) -> bool:
        return self.status == PASS

    @property
    def failing(self) -> list[TensorResult]:
        return [t for t in self.tensors.values() if t.status == FAIL]

    @property
    def causes(self) -> dict[str, str]:
        """name → cause code of every failing tensor ("*" for a whole-function cause)."""
        out = {"*": self.cause.code} if self.cause else {}
        out.update({t.name: t.cause.code if t.cause else "unknown" for t in self.failing})
        return out

    def headline(self) -> str:
        n, bad = len(self.tensors), self.failing
        if self.status == PASS:
            return f"{self.title} passed: {n} tensor{'s agree' if n != 1 else ' agrees'} with {self.method} ({self.evaluations} evaluations)."
        if self.status == INCONCLUSIVE:
            return f"{self.title} inconclusive: {self.method} could not confirm or refute your gradient ({self.evaluations} evaluations)."
        if bad:
            names = ", ".join(t.label for t in bad)
            return f"{self.title} FAILED for {names} ({len(bad)} of {n} tensors, {self.evaluations} evaluations)."
        return f"{self.title} FAILED ({self.evaluations} evaluations)."

    def _cause_lines(self) -> list[str]:
        """The whole-function cause (if any), then one line per failing tensor not already explained by it."""
        lines = []
        shared = self.cause is not None and self.cause.code in ("upstream_factor", "single_example")
        if self.cause is not None:
            lines.append(_capital(self.cause.line()))
        for t in self.tensors.values():
            if t.status == FAIL and not shared:
                text = t.cause.line() if t.cause else "wrong, with no simple pattern (look at the evidence below)."
                lines.append(f"{t.label}: {_without_label(text, t.label)}")
            elif t.status == INCONCLUSIVE:
                text = t.cause.line() if t.cause else "the numerical derivative did not settle."
                lines.append(f"{t.label}: not decided: {_without_label(text, t.label)}")
        return lines

    def _evidence_lines(self) -> list[str]:
        lines = []
        for t in self.tensors.values():
            if t.status == PASS or not t.numeric:
                continue
            pairs = list(zip(t.numeric, t.analytic))[:3]
            if t.positions:
                shown = ", ".join(f"{pos}: {fmt(n)} vs {fmt(a)}" for pos, (n, a) in zip(t.positions, pairs))
                where = "at"
            else:
                shown = ", ".join(f"{fmt(n)} vs {fmt(a)}" for n, a in pairs)
                where = "along random directions:"
            lines.append(f"{t.label}: relative error {fmt(t.rel_error, 2)}; {self.method} vs yours {where} {shown}.")
        ok = [t.label for t in self.tensors.values() if t.status == PASS]
        if ok and self.status != PASS:
            lines.append(f"Correct: {', '.join(ok)}.")
        return lines

    def _all_notes(self) -> list[str]:
        notes = list(self.notes)
        for t in self.tensors.values():
            notes.extend(f"{t.label}: {n}" for n in t.notes)
        return notes

    def __str__(self) -> str:
        parts = [self.headline()]
        parts += self._cause_lines()
        evidence = self._evidence_lines()
        if evidence:
            parts.append("Evidence:")
            parts += ["  " + e for e in evidence]
        notes = self._all_notes()
        if notes:
            parts.append("Notes:")
            parts += ["  - " + n for n in notes]
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"<GradReport {self.status}: {self.headline()}>"

    def _repr_html_(self) -> str:
        colour = {PASS: "#1a7f37", FAIL: "#cf222e", INCONCLUSIVE: "#9a6700"}[self.status]
        esc = html.escape
        rows = []
        for t in self.tensors.values():
            mark = {PASS: "✓", FAIL: "✗", INCONCLUSIVE: "?"}[t.status]
            cause = esc(t.cause.line()) if t.cause and t.status != PASS else ""
            rows.append(
                f"<tr><td style='color:{colour if t.status != PASS else '#1a7f37'}'>{mark}</td>"
                f"<td><code>{esc(t.label)}</code></td><td>{esc(str(t.shape))}</td>"
                f"<td>{esc(fmt(t.rel_error, 2))}</td><td style='text-align:left'>{cause}</td></tr>"
            )
        out = [f"<div><p style='color:{colour};font-weight:bold'>{esc(self.headline())}</p>"]
        if self.cause is not None:
            out.append(f"<p>{esc(self.cause.line())}</p>")
        if rows:
            out.append(
                "<table><tr><th></th><th>tensor</th><th>shape</th><th>rel. error</th>"
                "<th style='text-align:left'>cause and fix</th></tr>" + "".join(rows) + "</table>"
            )
        evidence = [e for e in self._evidence_lines() if not e.startswith("Correct:")]
        if evidence:
            out.append("<details><summary>Evidence</summary><ul>" + "".join(f"<li>{esc(e)}</li>" for e in evidence) + "</ul></details>")
        notes = self._all_notes()
        if notes:
            out.append("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
        out.append("</div>")
        return "".join(out)
