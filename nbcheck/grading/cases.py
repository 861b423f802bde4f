"""Test cases: fixed visible ones, shipped as data, and hidden ones, drawn by the answer key.

An exercise's **answer key** is written once, in the hidden blocks of its solution notebook: for
each check, a reference that turns inputs into an :class:`Answer` (the right outputs, the outputs of
known mistakes with their explanations, tolerances, hints), the inputs of the visible cases, and a
generator of hidden ones. :func:`answer_key` registers it in the namespace the test cells run in, so
it exists in the judge and in the instructor's notebook, never in a student's copy.

The visible cases, answered, are plain data in ``nbcheck/cases/<exercise>.json``. Students' kernels
read them there, so a visible check names a known mistake without the answer key. The instructor's
command ``python -m nbcheck.cases solutions/<exercise>/<exercise>.ipynb`` rewrites the file
from the answer key; the course's tests check that it has not drifted.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

CASES_DIR = Path(__file__).resolve().parents[1] / "cases"
KEYS = "__answer_keys__"   # the name under which answer keys live in a test cells' namespace
ANSWERED = "__answered_cases__"  # where the judge keeps hidden cases answered for an earlier student
HIDDEN = re.compile(r"^\s*### BEGIN HIDDEN TESTS\s*$(.*?)^\s*### END HIDDEN TESTS\s*$", re.MULTILINE | re.DOTALL)


@dataclass
class Answer:
    """What the reference says about one case.

    Attributes:
        outputs: the right value of each output, by name, in the order the function returns them.
        mistakes: (explanation, {output: the value that mistake gives}) for known mistakes.
        alternatives: other right values ({output: value}), e.g. another convention for ReLU'(0).
        atol: an absolute tolerance for some outputs, overriding the check's.
        factors: named sizes an answer may be off by, e.g. {"N, the number of examples": 30}.
        hint: added to any failure in this case.
        accuracy: (lowest, highest) accuracy a trained model may reach here, or None.
        loss: the right loss as a function of the inputs (for gradient checks), hidden cases only.
    """

    outputs: dict[str, Any]
    mistakes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    atol: dict[str, float] = field(default_factory=dict)
    factors: dict[str, float] = field(default_factory=dict)
    hint: str = ""
    accuracy: tuple[float, float] | None = None
    loss: Callable[..., float] | None = None


@dataclass
class Case:
    """One call to check: its label (used in every message), its inputs and its answer."""

    label: str
    inputs: dict[str, Any]
    answer: Answer
    visible: bool = False


@dataclass
class AnswerKey:
    """An exercise's hidden knowledge about one check of ``function``."""

    function: str
    reference: Callable[..., Answer]
    visible: list[tuple]
    hidden: Callable[[], Iterable[tuple]]

    def cases(self, entries: Iterable[tuple]) -> list[Case]:
        """Answered cases from (label, inputs) or (label, inputs, {Answer field: value}) entries."""
        cases = []
        for label, inputs, *extra in entries:
            answer = self.reference(**inputs)
            for name, value in (extra[0] if extra else {}).items():
                setattr(answer, name, value)
            cases.append(Case(label, dict(inputs), answer))
        return cases


def answer_key(exercise: str, check: str, reference: Callable[..., Answer], *,
               visible: list[tuple], hidden: Callable[[], Iterable[tuple]] | Iterable[tuple] = (),
               function: str | None = None) -> None:
    """Register the answer key of ``check`` in the namespace of the code that calls this.

    Args:
        exercise: the exercise's id, e.g. "ex1_softmax".
        check: the check's name within the exercise.
        reference: ``reference(**inputs) -> Answer``.
        visible: (label, inputs) of the visible cases, in order; a third item, a dict, sets fields
            of that case's :class:`Answer` (e.g. ``{"accuracy": (0.45, 0.6)}``).
        hidden: the hidden cases, likewise, or a function returning them (called when the check
            runs, so registering costs nothing).
        function: the student's function the check calls (default: ``check``).
    """
    namespace = sys._getframe(1).f_globals
    draws = hidden if callable(hidden) else (lambda cases=list(hidden): cases)
    namespace.setdefault(KEYS, {})[(exercise, check)] = AnswerKey(function or check, reference, list(visible), draws)


def find_key(namespace: Mapping[str, Any], exercise: str, check: str) -> AnswerKey | None:
    return namespace.get(KEYS, {}).get((exercise, check))


def hidden_cases(namespace: Mapping[str, Any], exercise: str, check: str) -> list[Case]:
    """The answered hidden cases of ``check`` whose answer key is registered in ``namespace``, or [].

    Answering can be the costliest part of a test (a reference that simulates every known mistake).
    Hidden cases are drawn with fixed seeds, so the answers depend only on the test cells' source;
    the judge puts a memo of them in the namespace (under ``ANSWERED``) for every student graded with
    the same source, and they are answered once. Their arrays are made read-only: nothing a check
    does to one student's cases can reach the next student's.
    """
    key = find_key(namespace, exercise, check)
    if key is None:
        return []
    memo = namespace.get(ANSWERED)
    if memo is None:
        return key.cases(key.hidden())
    if (exercise, check) not in memo:
        cases = key.cases(key.hidden())
        for case in cases:
            _freeze([case.inputs, case.answer.outputs, case.answer.mistakes, case.answer.alternatives])
        memo[(exercise, check)] = cases
    return memo[(exercise, check)]


def _freeze(value: Any) -> None:
    """Make every numpy array in ``value`` (nested in lists, tuples and dicts) read-only."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, (list, tuple)):
        for item in value:
            _freeze(item)
    elif isinstance(value, dict):
        for item in value.values():
            _freeze(item)


# --------------------------------------------------------------------------- visible cases as data

def visible_cases(exercise: str, check: str) -> tuple[str, list[Case]]:
    """The student's function that ``check`` calls, and its answered visible cases, from
    ``nbcheck/cases/<exercise>.json``."""
    entry = _load(exercise).get(check)
    if entry is None:
        raise KeyError(f"{exercise} has no visible cases called {check!r}: regenerate nbcheck/cases/{exercise}.json "
                       "(python -m nbcheck.cases solutions/<exercise>/<exercise>.ipynb)")
    cases = [Case(c["label"], from_json(c["inputs"]), Answer(
        outputs=from_json(c["outputs"]), mistakes=[(m, from_json(v)) for m, v in c.get("mistakes", [])],
        alternatives=from_json(c.get("alternatives", [])), atol=from_json(c.get("atol", {})),
        factors=from_json(c.get("factors", {})), hint=c.get("hint", ""),
        accuracy=tuple(c["accuracy"]) if "accuracy" in c else None), visible=True) for c in entry["cases"]]
    return entry["function"], cases


@cache
def _load(exercise: str) -> dict[str, Any]:
    path = CASES_DIR / f"{exercise}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def to_json(value: Any) -> Any:
    """``value`` as JSON: arrays become {"array": nested lists, "dtype": ...}; floats keep every digit."""
    if isinstance(value, np.ndarray):
        return {"array": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, np.generic):
        return to_json(np.asarray(value)) | {"scalar": True}
    if isinstance(value, float) and not np.isfinite(value):
        return {"float": repr(value)}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def from_json(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"float"}:
        return float(value["float"])
    if isinstance(value, dict) and "array" in value and "dtype" in value:
        array = np.array(value["array"], dtype=np.dtype(value["dtype"]))
        return array[()] if value.get("scalar") else array
    if isinstance(value, dict):
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def answer_keys_of(notebook: Path) -> dict[tuple[str, str], AnswerKey]:
    """Run the hidden blocks of a solution notebook (and nothing else) and return its answer keys."""
    import nbformat
    namespace: dict[str, Any] = {"__name__": "__answer_key__"}
    exec("import numpy as np\nimport nbcheck\nfrom nbcheck import grading as g", namespace)
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "code":
            for block in HIDDEN.findall(cell.source):
                exec(compile(block, f"<hidden block of {notebook.name}>", "exec"), namespace)
    return namespace.get(KEYS, {})


def generate(notebook: Path) -> dict[str, dict[str, Any]]:
    """exercise -> the JSON of its visible cases, answered by the notebook's answer keys."""
    files: dict[str, dict[str, Any]] = {}
    for (exercise, check), key in answer_keys_of(notebook).items():
        entries = []
        for case in key.cases(key.visible):
            answer = case.answer
            entry = {"label": case.label, "inputs": to_json(case.inputs), "outputs": to_json(answer.outputs)}
            if answer.mistakes:
                entry["mistakes"] = [[why, to_json(wrong)] for why, wrong in answer.mistakes]
            for name in ("alternatives", "atol", "factors", "hint", "accuracy"):
                if getattr(answer, name):
                    entry[name] = to_json(getattr(answer, name))
            entries.append(entry)
        files.setdefault(exercise, {})[check] = {"function": key.function, "cases": entries}
    return files


def write(notebook: Path) -> list[Path]:
    """Regenerate ``nbcheck/cases/<exercise>.json`` from ``notebook``; returns the files written."""
    written = []
    for exercise, checks in generate(notebook).items():
        path = CASES_DIR / f"{exercise}.json"
        # One line per case: readable in a diff, compact enough for the arrays.
        body = ",\n".join(f' {json.dumps(name)}: {{"function": {json.dumps(entry["function"])}, "cases": [\n  '
                          + ",\n  ".join(json.dumps(case) for case in entry["cases"]) + "]}"
                          for name, entry in checks.items())
        path.write_text("{\n" + body + "\n}\n")
        written.append(path)
    _load.cache_clear()
    return written
