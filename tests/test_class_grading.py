"""``python -m nbcheck.instructor grade``: a class autograded with every core, into the course's one gradebook."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

from tests import course_tools
from tests.submissions import catalogue

ASSIGNMENT = "ex1_softmax"


def grade(course: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbcheck.instructor", "grade", *args, "--course", str(course)],
                          capture_output=True, text=True)


def test_a_class_graded_in_parallel_lands_in_one_gradebook(tmp_path: Path) -> None:
    course = course_tools.make_course_with(tmp_path / "course", ASSIGNMENT)
    assert grade(course, ASSIGNMENT).returncode == 2, "nothing submitted yet: told so, nothing run"
    solution = nbformat.read(course_tools.notebook_path(course_tools.REPO, "solutions", ASSIGNMENT), as_version=4)
    release = nbformat.read(course_tools.notebook_path(course, "exercises", ASSIGNMENT), as_version=4)
    answers = course_tools.model_answers(solution)
    mistakes = [entry for entry in catalogue(ASSIGNMENT) if entry.start == "model" and not entry.files][:3]
    expected = {"model": 7.0, "untouched": 0.0, **{entry.name: entry.score for entry in mistakes}}
    notebooks = {"model": course_tools.student_notebook(release, answers), "untouched": release,
                 **{entry.name: course_tools.submitted(release, answers, entry).notebook for entry in mistakes}}
    for student, notebook in notebooks.items():
        path = course_tools.notebook_path(course, "submitted", ASSIGNMENT, student)
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, path)

    result = grade(course, ASSIGNMENT, "--workers", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"graded {len(expected)} notebooks of {ASSIGNMENT}" in result.stdout and "2 at a time" in result.stdout
    assert "kernel start" in result.stdout, "where the time went"
    for student, score in expected.items():
        assert course_tools.read_grades(course, ASSIGNMENT, student).score == score, student
