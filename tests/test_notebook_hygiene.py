"""Every notebook of the course is clean, valid, and carries sound nbgrader metadata.

Parametrised over the notebooks present, so a new notebook is covered without new test code.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from tests import course_tools

REPO = course_tools.REPO
NOTEBOOKS = sorted(REPO.glob("lectures/*.ipynb")) + sorted(REPO.glob("solutions/*/*.ipynb")) \
    + sorted(REPO.glob("exercises/*/*.ipynb"))
SOLUTIONS = sorted(REPO.glob("solutions/*/*.ipynb"))
DELIMITERS = [("### BEGIN SOLUTION", "### END SOLUTION"), ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")]
GRADE_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _name(path: Path) -> str:
    return str(path.relative_to(REPO))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_name)
def test_notebook_is_valid_and_clean(path: Path) -> None:
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    assert notebook.nbformat == 4, f"{_name(path)} is nbformat v{notebook.nbformat}, not v4"
    nbformat.validate(notebook)
    kernel = notebook.metadata.get("kernelspec", {}).get("name")
    assert kernel == "python3", f"{_name(path)} has kernelspec {kernel!r}, not 'python3'"
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, (
                f"{_name(path)}, cell {index}: committed with outputs or an execution count. "
                "Clear them: jupyter nbconvert --clear-output --inplace " + _name(path))


def test_every_assignment_is_declared_and_present() -> None:
    declared = course_tools.assignment_ids()
    for step in ("solutions", "exercises"):
        present = sorted(p.name for p in (REPO / step).iterdir() if p.is_dir())
        assert present == sorted(declared), (
            f"{step}/ holds {present} but nbgrader_config.py declares ASSIGNMENTS = {declared}")
        for assignment_id in declared:
            path = course_tools.notebook_path(REPO, step, assignment_id)
            assert path.exists(), f"{_name(path)} is missing"


def _nbgrader_cells(path: Path) -> list[tuple[int, nbformat.NotebookNode, dict]]:
    notebook = nbformat.read(path, as_version=4)
    return [(i, c, c.metadata["nbgrader"]) for i, c in enumerate(notebook.cells) if "nbgrader" in c.metadata]


@pytest.mark.parametrize("path", SOLUTIONS, ids=_name)
def test_nbgrader_metadata_is_sound(path: Path) -> None:
    cells = _nbgrader_cells(path)
    grade_ids = [meta.get("grade_id") for _, _, meta in cells]
    duplicated = sorted({g for g in grade_ids if grade_ids.count(g) > 1})
    assert not duplicated, f"{_name(path)}: grade_ids used twice: {duplicated}"
    assert any(meta.get("grade") and cell.cell_type == "code" for _, cell, meta in cells), \
        f"{_name(path)} has no autograded test cell"
    for index, cell, meta in cells:
        where = f"{_name(path)}, cell {index} ({meta.get('grade_id')})"
        assert meta.get("schema_version") == 3, f"{where}: nbgrader schema_version should be 3"
        assert GRADE_ID.match(meta.get("grade_id") or ""), f"{where}: grade_id should be lowercase_with_underscores"
        if meta.get("grade"):
            points = meta.get("points")
            assert isinstance(points, (int, float)) and points > 0, f"{where}: a graded cell needs points > 0"
        if meta.get("grade") and not meta.get("solution"):
            assert meta.get("locked"), f"{where}: a test cell must be locked"
        if meta.get("solution"):
            assert "### BEGIN SOLUTION" in cell.source, f"{where}: a solution cell without ### BEGIN SOLUTION"
        for begin, end in DELIMITERS:
            _assert_balanced(cell.source, begin, end, where)
        if "### BEGIN HIDDEN TESTS" in cell.source:
            assert meta.get("grade_id") == "answer_key", (
                f"{where}: hidden code belongs in the exercise's answer key cell (grade_id answer_key), once")


@pytest.mark.parametrize("path", SOLUTIONS, ids=_name)
def test_one_answer_key_holds_all_hidden_code(path: Path) -> None:
    keys = [(index, cell, meta) for index, cell, meta in _nbgrader_cells(path) if meta.get("grade_id") == "answer_key"]
    assert len(keys) == 1, f"{_name(path)} needs exactly one answer key cell (grade_id answer_key)"
    index, cell, meta = keys[0]
    assert cell.cell_type == "code" and meta.get("locked") and not meta.get("grade") and not meta.get("solution"), (
        f"{_name(path)}, cell {index}: the answer key must be a locked code cell, neither graded nor a solution")
    visible = [line for line in cell.source.split("### BEGIN HIDDEN TESTS")[0].splitlines() if line.strip()]
    after = cell.source.split("### END HIDDEN TESTS")[-1].strip()
    assert all(line.startswith("#") for line in visible) and not after, (
        f"{_name(path)}, cell {index}: the answer key's code must all be hidden; only comments may show")
    tests = [i for i, c, m in _nbgrader_cells(path) if m.get("grade") and c.cell_type == "code"]
    assert tests and index < min(tests), f"{_name(path)}: the answer key must come before the first test cell"


@pytest.mark.parametrize("path", SOLUTIONS, ids=_name)
def test_test_cells_are_thin(path: Path) -> None:
    """A test cell says what it checks and asks nbcheck to check it: it fits on a screen."""
    for index, cell, meta in _nbgrader_cells(path):
        if not (meta.get("grade") and cell.cell_type == "code"):
            continue
        where = f"{_name(path)}, cell {index} ({meta['grade_id']})"
        lines = cell.source.splitlines()
        code = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
        assert len(lines) <= 30, f"{where} has {len(lines)} lines; a test cell fits on a screen (30 lines)"
        assert len(code) <= 12, f"{where} has {len(code)} lines of code; move checking logic into nbcheck"
        assert lines[0].startswith("#"), f"{where} should open with a comment saying what it checks"


def _assert_balanced(source: str, begin: str, end: str, where: str) -> None:
    depth = 0
    for line in source.splitlines():
        if line.strip() == begin:
            depth += 1
            assert depth == 1, f"{where}: {begin} nested or repeated before {end}"
        elif line.strip() == end:
            depth -= 1
            assert depth == 0, f"{where}: {end} without {begin}"
        elif begin in line or end in line:
            pytest.fail(f"{where}: {begin!r}/{end!r} must stand alone on their line: {line!r}")
    assert depth == 0, f"{where}: {begin} without {end}"
