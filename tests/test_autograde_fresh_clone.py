"""Autograde on a fresh clone, and what its log warns about (ex1_softmax, the real nbgrader).

- A fresh clone has the release (exercises/) but no gradebook: ``nbgrader autograde`` adds the
  assignment itself, with the notebooks and cells that ``generate_assignment`` would record, and leaves
  exercises/ as it is. So does a gradebook where ``nbgrader db assignment add`` set only a due date.
- "Attribute 'checksum' ... has changed!" appears for a locked cell the student changed, and not for
  the answer key of an untouched notebook (released without its hidden code, so its checksum always
  differs from the source's).
"""

from __future__ import annotations

import filecmp
import re
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from tests import course_tools

ASSIGNMENT = "ex1_softmax"
EDITED_TEST = "test_softmax"  # the locked test cell the student "edited" changes to `pass`
SANITIZING = re.compile(r"Sanitizing \S+/submitted/(\w+)/")
REGISTERED = f"{ASSIGNMENT} is not in the gradebook yet: adding it with generate_assignment"


def recorded(course: Path) -> dict[str, dict]:
    """What the gradebook holds about the assignment's notebook: its grade, solution and source cells."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_notebook(ASSIGNMENT, ASSIGNMENT)
        return {"grade": {cell.name: (cell.cell_type, cell.max_score) for cell in notebook.grade_cells},
                "solution": {cell.name for cell in notebook.solution_cells},
                "source": {cell.name: (cell.cell_type, cell.locked, cell.checksum, cell.source)
                           for cell in notebook.source_cells}}


def submit(course: Path, student: str, notebook: nbformat.NotebookNode) -> None:
    path = course_tools.notebook_path(course, "submitted", ASSIGNMENT, student)
    path.parent.mkdir(parents=True)
    nbformat.write(notebook, path)


def log_by_student(log: str) -> dict[str, str]:
    """autograde's log cut into each submission's part (from "Sanitizing .../submitted/<student>/")."""
    parts = SANITIZING.split(log)
    return dict(zip(parts[1::2], parts[2::2]))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The gradebook's record of the assignment after `nbgrader generate_assignment`."""
    return recorded(course_tools.make_course_with(tmp_path_factory.mktemp("reference") / "course", ASSIGNMENT))


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A fresh clone (release, no gradebook) autograded for an untouched notebook and for the model
    answers with a locked test cell edited: the course and autograde's log."""
    course = course_tools.make_course_with(tmp_path_factory.mktemp("fresh") / "course", ASSIGNMENT, generate=False)
    release = nbformat.read(course_tools.notebook_path(course, "exercises", ASSIGNMENT), as_version=4)
    solution = nbformat.read(course_tools.notebook_path(course, "solutions", ASSIGNMENT), as_version=4)
    edited = course_tools.student_notebook(release, {**course_tools.model_answers(solution), EDITED_TEST: "pass"})
    submit(course, "untouched", release)
    submit(course, "edited", edited)
    result = course_tools.run_nbgrader(course, "autograde", ASSIGNMENT)
    return course, result.stdout + result.stderr


def test_autograde_adds_the_assignment_as_generate_assignment_would(fresh: tuple[Path, str], reference) -> None:
    course, log = fresh
    assert REGISTERED in log
    assert recorded(course) == reference
    comparison = filecmp.dircmp(course / "exercises" / ASSIGNMENT, course_tools.REPO / "exercises" / ASSIGNMENT)
    assert not (comparison.diff_files or comparison.left_only or comparison.right_only), "autograde changed exercises/"
    assert course_tools.read_grades(course, ASSIGNMENT, "untouched").score == 0


def test_an_untouched_notebook_logs_no_changed_cell(fresh: tuple[Path, str]) -> None:
    part = log_by_student(fresh[1])["untouched"]
    assert "has changed!" not in part, [line for line in part.splitlines() if "has changed!" in line]


def test_an_edited_locked_cell_is_reported_and_restored(fresh: tuple[Path, str]) -> None:
    course, log = fresh
    changed = [line for line in log_by_student(log)["edited"].splitlines() if "has changed!" in line]
    assert len(changed) == 1 and f"Attribute 'checksum' for cell {EDITED_TEST} has changed!" in changed[0], changed
    grades = course_tools.read_grades(course, ASSIGNMENT, "edited")
    assert grades.score == grades.max_score, f"the restored test cell should pass the model answers: {grades.failed()}"


def test_autograde_completes_an_assignment_that_has_only_a_due_date(tmp_path: Path, reference) -> None:
    course = course_tools.make_course_with(tmp_path / "course", ASSIGNMENT, generate=False)
    course_tools.run_nbgrader(course, "db", "assignment", "add", ASSIGNMENT, "--duedate=2030-01-01 12:00:00 UTC")
    submit(course, "untouched", nbformat.read(course_tools.notebook_path(course, "exercises", ASSIGNMENT), as_version=4))
    assert REGISTERED in course_tools.run_nbgrader(course, "autograde", ASSIGNMENT).stderr
    assert recorded(course) == reference
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        assert str(gradebook.find_assignment(ASSIGNMENT).duedate) == "2030-01-01 12:00:00", "the due date was lost"
