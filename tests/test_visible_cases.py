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
