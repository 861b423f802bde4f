"""What the hostile corpus (tests/submissions/hostile.py) must not achieve, beyond its scores.

Every hostile and faulty submission is graded with the catalogues, through nbgrader and the
course's own configuration (tests/test_assignments.py checks each one's exact score and reasons).
These tests look at what a score cannot show: the gradebook, the machine's processes and files,
the network and the grader's own memory; and they grade a correct student after hostile ones in
the same course copy, the way one instructor's class is graded.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from nbcheck.judge.sandbox import capabilities
from tests import course_tools
from tests.submissions import catalogue
from tests.submissions.hostile import HOSTILE

ASSIGNMENTS = sorted(HOSTILE)
needs_bwrap = pytest.mark.skipif(capabilities().bwrap is None, reason="needs bubblewrap (bwrap) to isolate the kernel")


def _courses(course: Path) -> list[Path]:
    return [course, *sorted(course.parent.glob(f"{course.name}-shard*"))]


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_no_student_got_extra_credit_or_a_hostile_point(course: Path, graded, assignment_id: str) -> None:
    results = graded(assignment_id)
    attacks = {s.name for s in HOSTILE[assignment_id] if s.start == "release"}
    for root in _courses(course):
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
            for submission in gradebook.assignment_submissions(assignment_id):
                extra = sum(grade.extra_credit or 0 for notebook in submission.notebooks for grade in notebook.grades)
                assert extra == 0, f"{submission.student_id} has extra credit in {root.name}"
                if submission.student_id in attacks:
                    assert submission.score == 0, f"{submission.student_id} scored {submission.score}"
    assert all(results[name].score == 0 for name in attacks if name in results)


def test_no_process_outlives_grading(graded) -> None:
    for assignment_id in ASSIGNMENTS:
        graded(assignment_id)
    time.sleep(1.0)  # a daemon that waited for the grader to leave would act now
    left = subprocess.run(["pgrep", "-af", "nbcheck-hostile|nbcheck.judge.kernel"], capture_output=True, text=True)
    assert left.stdout.strip() == "", f"processes left behind by graded notebooks:\n{left.stdout}"


@needs_bwrap
def test_no_file_was_left_in_shared_places(course: Path, graded) -> None:
    for assignment_id in ASSIGNMENTS:
        graded(assignment_id)
    for folder in ("/tmp", "/dev/shm", "/var/tmp", str(Path.home())):
        assert not (Path(folder) / "nbcheck-hostile-marker").exists(), f"a submission wrote into {folder}"
    for root in _courses(course):  # the graders' TMPDIR (tests/course_tools.py)
        assert not list((root / "tmp").glob("nbcheck-seed-*")), f"a kernel's seed folder was left in {root.name}"


@needs_bwrap
def test_the_network_was_out_of_reach(graded, answer_server) -> None:
    if answer_server is None:
        pytest.skip("port 47123 was taken, so there was no server to reach")
    graded("ex1_softmax")
    assert answer_server == [], f"a submission reached the answer server: {answer_server}"


@needs_bwrap
def test_a_correct_student_graded_after_hostile_ones_gets_full_marks(tmp_path: Path) -> None:
    """Hostile students that rewrite nbcheck or the gradebook, then a correct one, in one course copy."""
    root = course_tools.make_course(tmp_path / "course")
    solution = course_tools.nbformat.read(course_tools.notebook_path(course_tools.REPO, "solutions", "ex1_softmax"), 4)
    release = course_tools.nbformat.read(course_tools.notebook_path(root, "exercises", "ex1_softmax"), 4)
    answers = course_tools.model_answers(solution)
    wanted = ("hostile_rewrite_nbcheck_on_disk", "hostile_rewrite_every_nbcheck", "hostile_fake_package_submitted",
              "hostile_extra_credit", "hostile_daemon_after_grading")
    hostile = {f"a_{s.name}": course_tools.submitted(release, answers, s)
               for s in catalogue("ex1_softmax") if s.name in wanted}
    students = {**hostile, "z_correct": course_tools.student_notebook(release, answers)}  # graded last: sorted ids
    results = course_tools.autograde(root, "ex1_softmax", students, workers=1)
    assert results["z_correct"].score == results["z_correct"].max_score, results["z_correct"].failed()
    assert all(results[name].score == 0 for name in hostile)


def test_the_grader_stays_small_however_much_a_notebook_prints(tmp_path: Path) -> None:
    root = course_tools.make_course(tmp_path / "course")
    solution = course_tools.nbformat.read(course_tools.notebook_path(course_tools.REPO, "solutions", "ex1_softmax"), 4)
    release = course_tools.nbformat.read(course_tools.notebook_path(root, "exercises", "ex1_softmax"), 4)
    answers = course_tools.model_answers(solution)
    floods = {s.name: course_tools.submitted(release, answers, s) for s in catalogue("ex1_softmax")
              if s.name in ("fault_printing_forever", "fault_huge_output")}
    for student, submission in floods.items():
        path = course_tools.notebook_path(root, "submitted", "ex1_softmax", student)
        path.parent.mkdir(parents=True)
        course_tools.nbformat.write(submission.notebook, path)
    memory: list[int] = []
    course_tools.run_nbgrader(root, "autograde", "ex1_softmax", memory=memory)
    assert 0 < memory[0] < 500 << 20, f"nbgrader grew to {memory[0] >> 20} MB"
    grades = {s: course_tools.read_grades(root, "ex1_softmax", s) for s in floods}
    assert grades["fault_huge_output"].score == 7 and grades["fault_printing_forever"].score == 6
