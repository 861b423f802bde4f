"""Catalogues of known submissions, one module per assignment (``tests/submissions/<id>.py``).

Each module defines ``SUBMISSIONS``: wrong answers that must lose exactly the points of the
tests they break, with a message naming the wrong quantity, and correct answers written
another way that must keep full marks. The suite grades them all through nbgrader.
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
    """

    name: str
    mistake: str
    score: float
    edits: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    replace: dict[str, str] = field(default_factory=dict)
    fails: dict[str, str] = field(default_factory=dict)


def catalogue(assignment_id: str) -> list[Submission]:
    """The submissions listed for ``assignment_id`` (empty when it has no catalogue yet)."""
    try:
        module = importlib.import_module(f"tests.submissions.{assignment_id}")
    except ModuleNotFoundError as error:
        if error.name == f"tests.submissions.{assignment_id}":
            return []
        raise
    names = [s.name for s in module.SUBMISSIONS]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise ValueError(f"{assignment_id}: submission names used twice: {sorted(duplicated)}")
    return list(module.SUBMISSIONS)
