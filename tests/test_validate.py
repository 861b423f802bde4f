"""nbgrader's Validate, as a student presses it: each failing test by what it checks, and its one-line message.

nbgrader_config.py makes Validate name a failing test cell by its title (the first sentence of
its opening comment) instead of printing its source, and a GradingError renders as one line.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from tests import course_tools


def test_validate_shows_titles_and_messages_not_test_code(course: Path, tmp_path: Path) -> None:
    release = nbformat.read(course_tools.notebook_path(course, "exercises", "ex1_softmax"), as_version=4)
    solution = nbformat.read(course_tools.notebook_path(course_tools.REPO, "solutions", "ex1_softmax"), as_version=4)
    answers = course_tools.model_answers(solution)
    answers["softmax"] = answers["softmax"].replace("axis=1, keepdims=True)\n    exp", "axis=0, keepdims=True)\n    exp")
    answers["softmax"] = answers["softmax"].replace("exp_scores.sum(axis=1, keepdims=True)", "exp_scores.sum(axis=0, keepdims=True)")
    notebook = course_tools.student_notebook(release, answers)
    path = tmp_path / "ex1_softmax.ipynb"
    nbformat.write(notebook, path)
    output = course_tools.run_nbgrader(course, "validate", str(path)).stdout
    assert "VALIDATION FAILED ON 3 CELL(S)" in output, output
    assert "Part 1, softmax: every row must be a probability distribution." in output
    words = " ".join(output.split())  # nbcheck wraps long lines to nbgrader's width
    assert "of softmax([[1, 2, 3], [0, 0, 0]]) sums to" in words
    assert "not 1: normalise each row over the classes (axis=1, keepdims=True), not each column." in words
    assert "..." not in output.replace("VALIDATION FAILED", ""), "nothing is cut off"
    assert "g.check(" not in output and "Traceback" not in output, output
