"""nbgrader's whole workflow through its own exchange, on one machine, with several students (ex1_softmax).

The instructor's course is a copy of this one, with its nbgrader_config.py as shipped, so the
exchange is the course's exchange/ folder. Four students, each with a home of their own (where
nbgrader keeps their submissions' cache) and a config naming the course and its exchange, as
JupyterHub's /etc/jupyter/nbgrader_config.py would:

- alice submits the model answers;
- bob submits the model answers, then again with a known mistake: the second is the one graded;
- carol submits the model answers after the due date;
- dave submits the release untouched.

release_assignment → fetch_assignment → submit → collect → autograde → generate_feedback →
release_feedback → fetch_feedback → export, each the real ``nbgrader`` command. Everything here runs
as one OS user, so the students name themselves with ``--student`` (nbgrader's option for this);
nbgrader would otherwise take the OS user name.
"""

from __future__ import annotations

import csv
import html
import os
import re
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from tests import course_tools
from tests.submissions import catalogue
from tests.submissions.ex1_softmax import FULL

ASSIGNMENT = "ex1_softmax"
COURSE_ID = "backprop-course"
# bob's second submission: a catalogued mistake that fails one test
MISTAKE = next(entry for entry in catalogue(ASSIGNMENT) if entry.name == "naive_grad_not_divided_by_n")
STUDENTS = ("alice", "bob", "carol", "dave")
SCORES = {"alice": FULL, "bob": MISTAKE.score, "carol": FULL, "dave": 0}  # the autograded points each must get
FEEDBACK_SCORE = re.compile(rf"{ASSIGNMENT} \(Score: ([\d.]+) / ([\d.]+)\)")
TAG = re.compile(r"<[^>]+>")


@dataclass
class ClassRun:
    """What the run left behind: the course, each student's home, the due date and autograde's log."""

    course: Path
    homes: dict[str, Path]
    duedate: datetime
    autograde_log: str


def student_nbgrader(home: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ``nbgrader`` as the student whose home is ``home``, in it; fail loudly on error."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("JUPYTER")}
    env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=home, env=env, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed for {home.name}:\n{result.stdout}\n{result.stderr}"
    return result


def work_on(home: Path, notebook: nbformat.NotebookNode) -> None:
    """The student's fetched notebook, replaced by ``notebook`` (what they typed)."""
    nbformat.write(notebook, home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")


def fetched(home: Path) -> nbformat.NotebookNode:
    return nbformat.read(home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


def submit(home: Path) -> None:
    student_nbgrader(home, "submit", ASSIGNMENT, f"--student={home.name}")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> ClassRun:
    root = tmp_path_factory.mktemp("exchange")
    course = course_tools.make_course_with(root / "course", ASSIGNMENT)
    exchange = course / "exchange"
    course_tools.run_nbgrader(course, "release_assignment", ASSIGNMENT)

    homes = {}
    for student in STUDENTS:
        home = homes[student] = root / "home" / student
        (home / ".jupyter").mkdir(parents=True)
        (home / ".jupyter" / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.CourseDirectory.course_id = {COURSE_ID!r}\nc.Exchange.root = {str(exchange)!r}\n")
        student_nbgrader(home, "fetch_assignment", ASSIGNMENT)

    solution = nbformat.read(course_tools.notebook_path(course, "solutions", ASSIGNMENT), as_version=4)
    answers = course_tools.model_answers(solution)
    for student in ("alice", "bob"):
        work_on(homes[student], course_tools.student_notebook(fetched(homes[student]), answers))
        submit(homes[student])
    work_on(homes["bob"], course_tools.submitted(fetched(homes["bob"]), answers, MISTAKE).notebook)
    submit(homes["bob"])
    submit(homes["dave"])  # untouched

    # The due date falls after everyone but carol has submitted.
    duedate = datetime.now(UTC)
    course_tools.run_nbgrader(course, "db", "assignment", "add", ASSIGNMENT,
                              f"--duedate={duedate.strftime('%Y-%m-%d %H:%M:%S.%f')} UTC")
    time.sleep(1)
    work_on(homes["carol"], course_tools.student_notebook(fetched(homes["carol"]), answers))
    submit(homes["carol"])

    # One OS user submitted for everyone here, which collect would report as a possible cheat.
    course_tools.run_nbgrader(course, "collect", ASSIGNMENT, "--ExchangeCollect.check_owner=False")
    graded = course_tools.run_nbgrader(course, "autograde", ASSIGNMENT)
    course_tools.run_nbgrader(course, "generate_feedback", ASSIGNMENT)
    course_tools.run_nbgrader(course, "release_feedback", ASSIGNMENT)
    for home in homes.values():
        student_nbgrader(home, "fetch_feedback", ASSIGNMENT, f"--student={home.name}")
    course_tools.run_nbgrader(course, "export")
    return ClassRun(course, homes, duedate.replace(tzinfo=None), graded.stdout + graded.stderr)


def feedback_pages(home: Path) -> list[Path]:
    return sorted((home / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))


def page_text(path: Path) -> str:
    return html.unescape(TAG.sub("", path.read_text()))


def test_the_exchange_is_the_course_folder_nbgrader_expects(run: ClassRun) -> None:
    exchange = run.course / "exchange"
    assert stat.S_IMODE(exchange.stat().st_mode) == 0o777, "nbgrader's release_assignment expects a world-writable root"
    assert sorted(path.name for path in (exchange / COURSE_ID).iterdir()) == ["feedback", "inbound", "outbound"]
    assert len(list((exchange / COURSE_ID / "inbound").glob(f"bob+{ASSIGNMENT}+*"))) == 2, "bob submitted twice"


def test_students_fetch_the_release_and_nothing_hidden(run: ClassRun) -> None:
    release = (run.course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert "BEGIN HIDDEN TESTS" not in release and "BEGIN SOLUTION" not in release
    # dave submitted his copy untouched; the others' copies hold their answers now
    assert (run.homes["dave"] / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text() == release


def test_export_writes_each_students_grade(run: ClassRun) -> None:
    with (run.course / "grades.csv").open() as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(STUDENTS), f"grades.csv lists {sorted(rows)}"
    for student, score in SCORES.items():
        row = rows[student]
        assert (row["assignment"], float(row["raw_score"]), float(row["score"])) == (ASSIGNMENT, score, score), (
            f"{student}: grades.csv has {row}, expected {score} points")
        assert float(row["late_submission_penalty"]) == 0.0, "the course sets no late penalty (nbgrader's default)"


def test_the_second_submission_is_the_one_graded(run: ClassRun) -> None:
    grades = course_tools.read_grades(run.course, ASSIGNMENT, "bob")
    assert grades.score == MISTAKE.score, f"bob's second submission scores {MISTAKE.score}, collect took another"
    assert set(grades.failed()) == set(MISTAKE.fails)
    with Gradebook(f"sqlite:///{run.course / 'gradebook.db'}") as gradebook:
        timestamp = gradebook.find_submission(ASSIGNMENT, "bob").timestamp
    latest = max(path.name.split("+")[2] for path in (run.course / "exchange" / COURSE_ID / "inbound").glob("bob+*"))
    assert timestamp.strftime("%Y-%m-%d %H:%M:%S.%f") == latest.removesuffix(" UTC")


def test_the_late_submission_is_flagged_late(run: ClassRun) -> None:
    with Gradebook(f"sqlite:///{run.course / 'gradebook.db'}") as gradebook:
        late = {student: gradebook.find_submission(ASSIGNMENT, student).total_seconds_late for student in STUDENTS}
    assert late["carol"] >= 1, f"carol submitted a second after the due date {run.duedate}: {late}"
    assert [student for student, seconds in late.items() if seconds > 0] == ["carol"], late
    assert re.search(rf"SubmittedAssignment<{ASSIGNMENT} for carol> is [\d.]+ seconds late", run.autograde_log)


def test_autograde_reports_no_changed_cell(run: ClassRun) -> None:
    # nobody edited a locked cell: the answer key, released without its hidden code, is no change
    assert "has changed!" not in run.autograde_log


def test_each_student_fetches_their_own_feedback(run: ClassRun) -> None:
    for student, score in SCORES.items():
        pages = feedback_pages(run.homes[student])
        assert len(pages) == 1, f"{student} fetched {len(pages)} feedback pages: {pages}"
        found = FEEDBACK_SCORE.search(page_text(pages[0]))
        assert found, f"{student}'s feedback shows no score"
        assert float(found.group(1)) == score, f"{student}'s feedback says {found.group(0)}, expected {score}"


def test_feedback_says_why_in_one_line_and_hides_the_answer_key(run: ClassRun) -> None:
    solution = nbformat.read(course_tools.notebook_path(run.course, "solutions", ASSIGNMENT), as_version=4)
    public = "\n".join([cell.source for cell in fetched(run.homes["dave"]).cells]
                       + list(course_tools.model_answers(solution).values()))
    secret = [line for line in course_tools.hidden_test_lines(solution) if line not in public and not line.startswith("#")]
    assert secret, "ex1_softmax has no hidden test lines"
    for student, home in run.homes.items():
        text = page_text(feedback_pages(home)[0])
        leaked = [line for line in secret if line in text]
        assert not leaked, f"{student}'s feedback shows the answer key: {leaked[:3]}"
        reasons = [line.strip() for line in text.splitlines() if line.strip().startswith("GradingError: ")]
        if student == "bob":
            assert len(reasons) == 1 and next(iter(MISTAKE.fails.values())) in reasons[0], reasons
        elif student == "dave":
            assert len(reasons) == len(course_tools.read_grades(run.course, ASSIGNMENT, "dave").cells), reasons
        else:
            assert reasons == [], f"{student} earned every point, yet the feedback shows {reasons}"
