"""The assignments grade as they should, through the real nbgrader.

- No drift: exercises/ is exactly what `nbgrader generate_assignment` makes of solutions/.
- The model solution earns every autograded point; the untouched exercise earns none, and
  every test it fails says why in words.
- Each catalogued submission (tests/submissions/) gets exactly its expected score, fails
  exactly the tests it should, with a message naming the wrong quantity.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from nbcheck.judge.sandbox import capabilities
from tests import course_tools
from tests.submissions import catalogue

ASSIGNMENTS = course_tools.assignment_ids()
REGENERATE = "nbgrader generate_assignment {0} --force  (from the course root)"


def _cells(path: Path) -> list[tuple[str, str, dict]]:
    notebook = nbformat.read(path, as_version=4)
    return [(cell.cell_type, cell.source, dict(cell.metadata)) for cell in notebook.cells]


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_exercise_is_what_nbgrader_generates(course: Path, assignment_id: str) -> None:
    committed = course_tools.notebook_path(course_tools.REPO, "exercises", assignment_id)
    assert committed.exists(), f"{committed} is missing: run {REGENERATE.format(assignment_id)}"
    generated = _cells(course_tools.notebook_path(course, "exercises", assignment_id))
    ours = _cells(committed)
    assert len(ours) == len(generated), (
        f"{committed} has {len(ours)} cells, nbgrader generates {len(generated)}: "
        f"run {REGENERATE.format(assignment_id)}")
    for index, (mine, theirs) in enumerate(zip(ours, generated)):
        assert mine == theirs, (
            f"{committed}, cell {index} ({theirs[2].get('nbgrader', {}).get('grade_id', theirs[0])}) differs from "
            f"what nbgrader generates from solutions/: never edit exercises/ by hand; run "
            f"{REGENERATE.format(assignment_id)}")


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_model_solution_gets_full_marks(graded, assignment_id: str) -> None:
    grades = graded(assignment_id)["model_solution"]
    assert grades.max_score > 0, f"{assignment_id} has no autograded test cells"
    assert grades.failed() == {}, f"the model solution of {assignment_id} fails: {grades.failed()}"
    assert grades.score == grades.max_score


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_untouched_exercise_gets_zero_with_reasons(graded, assignment_id: str) -> None:
    grades = graded(assignment_id)["untouched"]
    assert grades.score == 0, f"an untouched {assignment_id} earns points in {[g for g, c in grades.cells.items() if c.score]}"
    for grade_id, reason in grades.failed().items():
        assert reason.startswith("GradingError: ") and len(reason) > 40, (
            f"{assignment_id}: test cell {grade_id} fails an untouched notebook without a reason "
            f"a student can act on: {reason!r}")


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_deleted_or_emptied_test_cells_are_restored(graded, assignment_id: str) -> None:
    results = graded(assignment_id)
    for student in ("tamper_deleted_tests", "tamper_emptied_tests"):
        grades = results[student]
        assert grades.cells.keys() == results["model_solution"].cells.keys(), f"{student}: tests not restored"
        assert grades.score == grades.max_score, f"{student}: {grades.failed()}"


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_renamed_functions_score_zero_and_say_so(graded, assignment_id: str) -> None:
    grades = graded(assignment_id)["tamper_renamed"]
    assert grades.score == 0
    for grade_id, reason in grades.failed().items():
        assert "is not defined" in reason and "keep the name" in reason, f"{grade_id}: {reason!r}"


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
@pytest.mark.parametrize("student", ["tamper_patched_numpy", "tamper_patched_grading"])
def test_patching_the_checks_does_not_pass_an_empty_answer(graded, assignment_id: str, student: str) -> None:
    grades = graded(assignment_id)[student]
    assert grades.score == 0, f"{student} earned points in {[g for g, c in grades.cells.items() if c.score]}"


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_endless_loop_loses_only_its_tests_and_says_why(graded, assignment_id: str) -> None:
    results = graded(assignment_id)
    grades = results["tamper_endless_loop"]
    assert 0 < grades.score < grades.max_score, f"expected partial credit, got {grades.score:g}/{grades.max_score:g}"
    assert grades.cells.keys() == results["model_solution"].cells.keys(), "the grader stopped early"
    for grade_id, reason in grades.failed().items():
        assert "did not finish within" in reason, f"{grade_id}: {reason!r}"


SUBMISSIONS = [(a, s) for a in ASSIGNMENTS for s in catalogue(a)]


@pytest.mark.parametrize("assignment_id,submission", SUBMISSIONS,
                         ids=[f"{a}-{s.name}" for a, s in SUBMISSIONS])
def test_known_submission_gets_its_score(graded, assignment_id: str, submission) -> None:
    if submission.needs_sandbox and capabilities().bwrap is None:
        pytest.skip("needs bubblewrap: without it the student's code can read the course folder")
    grades = graded(assignment_id)[submission.name]
    assert not grades.problem, f"tests/submissions/{assignment_id}.py no longer fits the solution: {grades.problem}"
    failed = grades.failed()
    assert set(failed) == set(submission.fails), (
        f"{submission.mistake}: expected to fail {sorted(submission.fails)}, failed {sorted(failed)}: {failed}")
    for grade_id, needle in submission.fails.items():
        assert needle in failed[grade_id], (
            f"{submission.mistake}: the message of {grade_id} should mention {needle!r}; it says {failed[grade_id]!r}")
    assert grades.score == submission.score, (
        f"{submission.mistake}: scored {grades.score:g} of {grades.max_score:g}, expected {submission.score:g}")


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_feedback_gives_reasons_but_not_hidden_tests(course: Path, graded, assignment_id: str) -> None:
    results = graded(assignment_id)
    pages = course_tools.feedback(course, assignment_id)
    assert set(pages) == set(results), f"feedback missing for {sorted(set(results) - set(pages))}"
    solution = nbformat.read(course_tools.notebook_path(course_tools.REPO, "solutions", assignment_id), as_version=4)
    # Lines a student may legitimately show: the released notebook's and the model answers'.
    public = "\n".join([c.source for c in nbformat.read(
        course_tools.notebook_path(course, "exercises", assignment_id), as_version=4).cells]
        + list(course_tools.model_answers(solution).values()))
    secret = [line for line in course_tools.hidden_test_lines(solution)
              if line not in public and not line.startswith("#")]
    assert secret, f"{assignment_id} has no hidden test lines"
    for student, page in pages.items():
        leaked = [line for line in secret if line in page]
        assert not leaked, f"the feedback of {student} shows hidden test lines: {leaked[:3]}"
    for grade_id, reason in results["untouched"].failed().items():
        assert reason.splitlines()[0].split(": ", 1)[1] in pages["untouched"], (
            f"the feedback does not show why {grade_id} failed: {reason!r}")
