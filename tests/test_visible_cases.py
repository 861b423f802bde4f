"""The visible cases shipped in nbcheck/cases/ are what the answer keys in solutions/ say, and nothing is missing.

Students' kernels read the visible cases (inputs, right answers, known mistakes) from
``nbcheck/cases/<exercise>.json``; the judge draws the hidden ones from the answer key. If a
solution notebook changes, ``python -m nbcheck.cases solutions/<id>/<id>.ipynb`` rewrites the file.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import numpy as np
import pytest

from nbcheck.grading import cases
from tests import course_tools

SOLUTIONS = sorted(course_tools.REPO.glob("solutions/*/*.ipynb"))
REGENERATE = "python -m nbcheck.cases {0}  (from the course root)"


def _checks_called(path: Path) -> list[tuple[str, str]]:
    """(exercise, check) of every g.check(...) in the notebook's test cells."""
    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "check" and len(node.args) >= 2:
                    found.append((node.args[0].value, node.args[1].value))
    return found


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.parent.name)
def test_shipped_visible_cases_match_the_answer_key(path: Path) -> None:
    generated = cases.generate(path)
    assert generated, f"{path.name} registers no answer key"
    for exercise, checks in generated.items():
        shipped = cases.CASES_DIR / f"{exercise}.json"
        assert shipped.exists(), f"{shipped} is missing: run {REGENERATE.format(path.relative_to(course_tools.REPO))}"
        assert json.loads(shipped.read_text()) == json.loads(json.dumps(checks)), (
            f"{shipped.name} differs from what the answer key of {path.name} gives: "
            f"run {REGENERATE.format(path.relative_to(course_tools.REPO))}")


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.parent.name)
def test_every_check_has_visible_cases_and_an_answer_key(path: Path) -> None:
    keys = cases.answer_keys_of(path)
    called = _checks_called(path)
    assert called, f"{path.name}: no test cell calls g.check"
    for exercise, check in called:
        assert (exercise, check) in keys, f"{path.name} checks {exercise}/{check}, which its answer key does not define"
        function, visible = cases.visible_cases(exercise, check)
        assert visible and function == keys[(exercise, check)].function
        assert list(keys[(exercise, check)].hidden()), f"{exercise}/{check} has no hidden cases"
    unused = set(keys) - set(called)
    assert not unused, f"{path.name}: answer keys that no test cell checks: {sorted(unused)}"


def _same(a: object, b: object) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(map(_same, a, b))
    if callable(a):
        return callable(b)
    return bool(np.array_equal(a, b, equal_nan=True)) if isinstance(a, np.ndarray) else a == b


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.parent.name)
def test_hidden_cases_are_the_same_on_every_draw(path: Path) -> None:
    """The judge answers each check's hidden cases once and reuses them for every student (cases.hidden_cases):
    that is right only if they depend on nothing but the answer key's source (fixed seeds)."""
    first, second = cases.answer_keys_of(path), cases.answer_keys_of(path)
    for check, key in first.items():
        drawn, again = key.cases(key.hidden()), second[check].cases(second[check].hidden())
        assert [c.label for c in drawn] == [c.label for c in again], check
        for case, other in zip(drawn, again):
            assert _same(case.inputs, other.inputs), f"{check} {case.label}: its inputs differ between draws"
            assert _same(vars(case.answer), vars(other.answer)), f"{check} {case.label}: its answer differs"


def test_the_judge_answers_hidden_cases_once_and_freezes_them() -> None:
    calls = []

    def reference(x: np.ndarray) -> cases.Answer:
        calls.append(x)
        return cases.Answer({"y": 2 * x}, mistakes=[("forgot the 2", {"y": x.copy()})])

    def register(namespace: dict) -> None:
        """What a test cell does: register the answer key in the namespace the judge gives it."""
        namespace.update(np=np, reference=reference)
        exec("from nbcheck.grading.cases import answer_key\n"
             "answer_key('exercise', 'double', reference, visible=[], hidden=lambda: [('one', {'x': np.ones(3)})])",
             namespace)

    memo: dict = {}
    graded = []
    for _student in range(3):
        namespace = {cases.ANSWERED: memo}
        register(namespace)
        graded.append(cases.hidden_cases(namespace, "exercise", "double"))
    assert len(calls) == 1 and graded[0] is graded[2]
    (case,) = graded[0]
    for array in (case.inputs["x"], case.answer.outputs["y"], case.answer.mistakes[0][1]["y"]):
        with pytest.raises(ValueError, match="read-only"):
            array += 1
    without_memo: dict = {}
    register(without_memo)
    cases.hidden_cases(without_memo, "exercise", "double")
    cases.hidden_cases(without_memo, "exercise", "double")
    assert len(calls) == 3  # the instructor's notebook answers afresh on every run of a check
