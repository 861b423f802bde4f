"""Catalogues of known submissions, one module per assignment (``tests/submissions/<id>.py``).

Each module defines ``SUBMISSIONS``: wrong answers that must lose exactly the points of the
tests they break, with a message naming the wrong quantity, and correct answers written
another way that must keep full marks. ``tests/submissions/hostile.py`` adds, per assignment,
submissions that attack the grading or fault while graded. The suite grades them all through
nbgrader, in one run per assignment.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Submission:
    """One student's answers, described as changes to the model answers.

    Attributes:
        name: unique within the assignment; used as the nbgrader student id.
        mistake: what the student did, in words ("the gradient is not divided by N").
        edits: solution-cell grade_id -> exact (old, new) replacements applied, in order, to the
            model answer (the solution code without its BEGIN/END SOLUTION lines).
        replace: solution-cell grade_id -> the whole new source of that cell.
        fails: test-cell grade_id -> a substring its failure message must contain. Every test
            cell not named here must pass.
        score: the exact autograded total the submission must receive.
        start: "model" (edits apply to the model answers) or "release" (to the untouched exercise).
        notebook: a change to the notebook itself, by name (see course_tools.NOTEBOOK_CHANGES).
        filename: the notebook's file name, when the student renamed it.
        files: extra files submitted beside the notebook, path -> content.
        needs_sandbox: it holds only when bubblewrap isolates the kernel (skipped without it).
    """

    name: str
    mistake: str
    score: float
    edits: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    replace: dict[str, str] = field(default_factory=dict)
    fails: dict[str, str] = field(default_factory=dict)
    start: str = "model"
    notebook: str = ""
    filename: str = ""
    files: dict[str, str] = field(default_factory=dict)
    needs_sandbox: bool = False


def catalogue(assignment_id: str) -> list[Submission]:
    """The submissions listed for ``assignment_id``, the hostile ones included (empty when it has none yet)."""
    from tests.submissions.hostile import HOSTILE
    try:
        submissions = list(importlib.import_module(f"tests.submissions.{assignment_id}").SUBMISSIONS)
    except ModuleNotFoundError as error:
        if error.name != f"tests.submissions.{assignment_id}":
            raise
        submissions = []
    submissions += HOSTILE.get(assignment_id, [])
    names = [s.name for s in submissions]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise ValueError(f"{assignment_id}: submission names used twice: {sorted(duplicated)}")
    return submissions
