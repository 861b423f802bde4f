"""The class report as one HTML page: bar charts (matplotlib, embedded as PNG) and the tables behind them.

The page needs no network and no files beside it: the charts are ``data:`` URIs, the style is inline.
"""

from __future__ import annotations

import base64
import html
import io
import textwrap
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from matplotlib.figure import Figure  # not pyplot: no backend, no global state

from nbcheck.instructor.report import ClassResults, Failure, pass_rate

NAMED, KIND = "#d95f02", "#7570b3"   # bars of named mistakes, and of kinds of message
PASSED, FAILED = "#1b9e77", "#d95f02"
MAX_CAUSES_CHARTED = 20
MAX_NAMES = 12  # students listed by name in a cause's row

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 28px; }
p.summary { color: #555; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.n { text-align: right; white-space: nowrap; }
code { font-size: 13px; } img { max-width: 100%; }
details summary { cursor: pointer; } details div { white-space: pre-wrap; color: #444; font-size: 13px; }
.named { color: #b34700; }
"""


def write_html(results: ClassResults, path: Path) -> Path:
    """Write the report page to ``path``; returns it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(results), encoding="utf-8")
    return path


def page(results: ClassResults) -> str:
    """The report as one self-contained HTML document."""
    students, points = len(results.scores), results.max_points
    mean = sum(results.scores.values()) / students if students else 0.0
    summary = (f"{students} students, {len(results.tests)} autograded tests worth {points:g} points; mean score "
               f"{mean:.3g} of {points:g}. Made {datetime.now():%Y-%m-%d %H:%M} from the gradebook and the autograded "
               "notebooks. Everything is sorted by how many students it hit.")
    body = [f"<h1>{_e(results.assignment)}: what the class got wrong</h1>", f'<p class="summary">{_e(summary)}</p>',
            "<h2>Tests</h2>", _chart(_tests_figure(results), "pass rate of each test"), _tests_table(results),
            "<h2>Causes of failure</h2>",
            ("<p>A cause in <span class='named'>orange</span> is a named mistake: one the exercise's answer key "
             "knows, or one the checks diagnosed from the value (a sign, a factor, a transpose, a near miss, a function it "
             "builds on that fails). The others are the kind of message the student got.</p>"),
            _chart(_causes_figure(results), "students hit by each cause"), _more_causes(results),
            _causes_table(results),
            "<h2>Students</h2>", _chart(_scores_figure(results), "distribution of scores"), _students_table(results)]
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{_e(results.assignment)}: class "
            f"report</title><style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


# --------------------------------------------------------------------------- charts

def _chart(figure: Figure | None, alt: str) -> str:
    if figure is None:
        return ""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _bars(labels: Sequence[str], values: Sequence[float], colours: Sequence[str], notes: Sequence[str],
          xlabel: str, xmax: float) -> Figure:
    """Horizontal bars, the first label on top, each with its note at the bar's end."""
    wrapped = ["\n".join(textwrap.wrap(label, 48)) or " " for label in labels]
    height = 0.9 + 0.3 * sum(label.count("\n") + 1 for label in wrapped) + 0.1 * len(wrapped)
    figure = Figure(figsize=(10.5, height), layout="constrained")
    axes = figure.subplots()
    rows = range(len(labels))[::-1]
    axes.barh(list(rows), values, color=colours, height=0.7)
    axes.set_yticks(list(rows), wrapped, fontsize=9)
    for row, value, note in zip(rows, values, notes):
        axes.text(value + xmax * 0.01, row, note, va="center", fontsize=9)
    axes.set_xlim(0, xmax * 1.12)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.set_xlabel(xlabel)
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def _tests_figure(results: ClassResults) -> Figure | None:
    tests = results.ranked_tests()
    if not tests or not results.scores:
        return None
    students = len(results.scores)
    rates = [100 * pass_rate(results, test) for test in tests]
    notes = [f"{students - len(results.failed(t.name))}/{students} pass ({t.max_points:g} pt)" for t in tests]
    colours = [PASSED if rate == 100 else FAILED for rate in rates]
    return _bars([t.name for t in tests], rates, colours, notes, "students who pass (%)", 100)


def _causes_figure(results: ClassResults) -> Figure | None:
    causes = results.ranked_causes()[:MAX_CAUSES_CHARTED]
    if not causes:
        return None
    hit = [len(cause.students) for cause in causes]
    notes = [f"{n} student{'s' if n != 1 else ''}, {len(c.tests)} test{'s' if len(c.tests) != 1 else ''}"
             for n, c in zip(hit, causes)]
    return _bars([c.name for c in causes], hit, [NAMED if c.named else KIND for c in causes], notes,
                 "students hit", max(hit))


def _more_causes(results: ClassResults) -> str:
    count = len(results.ranked_causes())
    return (f"<p>The chart shows the {MAX_CAUSES_CHARTED} causes that hit the most students; the table lists all "
            f"{count}.</p>" if count > MAX_CAUSES_CHARTED else "")


def _scores_figure(results: ClassResults) -> Figure | None:
    if not results.scores:
        return None
    figure = Figure(figsize=(10.5, 2.6), layout="constrained")
    axes = figure.subplots()
    top = results.max_points
    bins = [b - 0.5 for b in range(int(top) + 2)] if top == int(top) and top <= 60 else 20
    axes.hist(list(results.scores.values()), bins=bins, color=KIND, rwidth=0.85)
    axes.set_xlabel(f"autograded score (of {top:g})")
    axes.set_ylabel("students")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    return figure


# --------------------------------------------------------------------------- tables

def _tests_table(results: ClassResults) -> str:
    rows = []
    for test in results.ranked_tests():
        failed = len(results.failed(test.name))
        causes = "; ".join(f"{_e(cause)} ({n})" for cause, n in results.causes_of(test.name)[:4])
        passed = f"{len(results.scores) - failed}/{len(results.scores)}"
        rows.append(f"<tr><td><code>{_e(test.name)}</code></td><td>{_e(test.title)}</td>"
                    f"<td class='n'>{test.max_points:g}</td><td class='n'>{passed}</td>"
                    f"<td class='n'>{pass_rate(results, test):.0%}</td><td>{causes}</td></tr>")
    return _table(["test", "what it checks", "points", "passed", "pass rate", "causes of failure (students)"], rows)


def _causes_table(results: ClassResults) -> str:
    rows = []
    for cause in results.ranked_causes():
        names = ", ".join(cause.students[:MAX_NAMES]) + (f" and {len(cause.students) - MAX_NAMES} more"
                                                         if len(cause.students) > MAX_NAMES else "")
        label = f"<span class='named'>{_e(cause.name)}</span>" if cause.named else _e(cause.name)
        rows.append(f"<tr><td>{label}{_message(cause.example)}</td><td>{_e(cause.kind)}</td>"
                    f"<td class='n'>{len(cause.students)}</td><td class='n'>{cause.points_lost:g}</td>"
                    f"<td>{', '.join(f'<code>{_e(t)}</code>' for t in cause.tests)}</td><td>{_e(names)}</td></tr>")
    return _table(["cause", "kind", "students", "points lost", "tests", "who"], rows)


def _students_table(results: ClassResults) -> str:
    rows = []
    for student in results.ranked_students():
        failures = sorted((f for f in results.failures if f.student == student),
                          key=lambda f: [t.name for t in results.tests].index(f.test))
        lost = "".join(_lost(failure) for failure in failures) or "nothing"
        faults = results.faults.get(student, [])
        noted = f"<div>in their own cells: {_e(', '.join(faults))}</div>" if faults else ""
        rows.append(f"<tr><td>{_e(student)}</td><td class='n'>{results.scores[student]:g}/{results.max_points:g}</td>"
                    f"<td>{lost}{noted}</td></tr>")
    return _table(["student", "score", "what they lost, and why"], rows)


def _lost(failure: Failure) -> str:
    cause = f"<span class='named'>{_e(failure.cause)}</span>" if failure.named else _e(failure.cause)
    return (f"<details><summary><code>{_e(failure.test)}</code> −{failure.points_lost:g}: {cause}</summary>"
            f"<div>{_e(failure.message)}</div></details>")


def _message(text: str) -> str:
    return f"<details><summary>example message</summary><div>{_e(text)}</div></details>" if text else ""


def _table(headers: Sequence[str], rows: Sequence[str]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>"


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)
