"""The class report (``python -m nbcheck.instructor report``) on a synthetic class graded by the real nbgrader.

Eight students of ex1_softmax, taken from its catalogue (tests/submissions/ex1_softmax.py): the model
solution, the untouched release, and six known mistakes, one of them made by two students. The
report must agree with the catalogue on who failed what, name the mistakes the answer key knows,
sort by how many students each problem hit, and draw its charts into the page. Every message the
catalogues produce must land in a group of its own kind, not in "other".
"""

from __future__ import annotations

import base64
import csv
import io
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import matplotlib.image
import nbformat
import pytest

from nbcheck.instructor import causes
from nbcheck.instructor.report import ClassResults, collect, course_directory
from tests import course_tools
from tests.submissions import catalogue

ASSIGNMENT = "ex1_softmax"
# student -> the catalogue entry they hand in ("model_solution" and "untouched" are not entries).
CLASS = {
    "model_solution": "model_solution",
    "untouched": "untouched",
    "doubled_penalty_gradient": "naive_reg_grad_doubled",
    "doubled_penalty_gradient_too": "naive_reg_grad_doubled",
    "gradient_not_divided": "naive_grad_not_divided_by_n",
    "penalty_without_half": "naive_penalty_without_half",
    "sign_error": "vectorised_sign_error",
    "softmax_in_place": "softmax_in_place",
}


@dataclass
class Report:
    root: Path
    results: ClassResults      # the same report, read in this process
    stdout: str
    failures: list[dict[str, str]]
    tests: list[dict[str, str]]
    html: str


def expected_failures(test_ids: list[str]) -> dict[str, set[str]]:
    """test -> the students the catalogue says fail it."""
    entries = {s.name: s for s in catalogue(ASSIGNMENT)}
    fails = {"model_solution": set(), "untouched": set(test_ids)}
    return {test: {student for student, entry in CLASS.items()
                   if test in (fails[entry] if entry in fails else entries[entry].fails)} for test in test_ids}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The class, graded once by nbgrader in a course of its own, and its report made by the command."""
    root = tmp_path_factory.mktemp("report") / "course"
    (root / "solutions").mkdir(parents=True)
    shutil.copy(course_tools.REPO / "nbgrader_config.py", root)
    shutil.copytree(course_tools.REPO / "solutions" / ASSIGNMENT, root / "solutions" / ASSIGNMENT)
    course_tools.run_nbgrader(root, "generate_assignment", ASSIGNMENT)
    solution = nbformat.read(course_tools.notebook_path(course_tools.REPO, "solutions", ASSIGNMENT), as_version=4)
    release = nbformat.read(course_tools.notebook_path(root, "exercises", ASSIGNMENT), as_version=4)
    answers = course_tools.model_answers(solution)
    entries = {s.name: s for s in catalogue(ASSIGNMENT)}
    made = {"model_solution": course_tools.student_notebook(release, answers), "untouched": release}
    notebooks = {student: made[entry] if entry in made else course_tools.submitted(release, answers, entries[entry])
                 for student, entry in CLASS.items()}
    course_tools.autograde(root, ASSIGNMENT, notebooks, workers=1)  # one course: one gradebook for the class

    out = root / "reports" / "first-look"
    run = subprocess.run([sys.executable, "-m", "nbcheck.instructor", "report", ASSIGNMENT, "--out", str(out)],
                         cwd=root, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    with (out / "failures.csv").open(newline="", encoding="utf-8") as file:
        failures = list(csv.DictReader(file))
    with (out / "tests.csv").open(newline="", encoding="utf-8") as file:
        tests = list(csv.DictReader(file))
    return Report(root, collect(course_directory(root), ASSIGNMENT), run.stdout, failures, tests,
                  (out / "report.html").read_text(encoding="utf-8"))


def test_pass_rates_agree_with_the_catalogue(report: Report) -> None:
    expected = expected_failures([row["test"] for row in report.tests])
    assert len(report.tests) == 6 and all(expected.values()), "every test of ex1 is failed by someone"
    for row in report.tests:
        failing = expected[row["test"]]
        assert (int(row["students"]), int(row["passed"])) == (len(CLASS), len(CLASS) - len(failing)), row
        assert float(row["pass rate"]) == pytest.approx(1 - len(failing) / len(CLASS), abs=5e-4)  # 3 decimals
        lost = {f["student"] for f in report.failures if f["test"] == row["test"]}
        assert lost == failing, f"{row['test']}: the report says {sorted(lost)} failed, the catalogue {sorted(failing)}"
    assert not any(f["student"] == "model_solution" for f in report.failures)
    assert report.results.scores["model_solution"] == report.results.max_points == 7


def test_points_lost_are_each_tests_points(report: Report) -> None:
    points = {row["test"]: float(row["points"]) for row in report.tests}
    for failure in report.failures:
        assert float(failure["points lost"]) == points[failure["test"]], failure
    for student, score in report.results.scores.items():
        lost = sum(float(f["points lost"]) for f in report.failures if f["student"] == student)
        assert score == report.results.max_points - lost, student


def causes_of(report: Report, student: str) -> dict[str, str]:
    return {f["test"]: f["cause"] for f in report.failures if f["student"] == student}


def test_named_mistakes_are_the_causes_with_the_right_students(report: Report) -> None:
    doubled = {f["student"] for f in report.failures if "counted twice" in f["cause"]}
    assert doubled == {"doubled_penalty_gradient", "doubled_penalty_gradient_too"}
    for student in doubled:
        [(test, cause)] = causes_of(report, student).items()
        assert test == "test_softmax_loss_naive_gradient" and cause == "the gradient of the penalty is counted twice"
        autograded = nbformat.read(course_tools.notebook_path(report.root, "autograded", ASSIGNMENT, student), 4)
        [cell] = [c for c in autograded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == test]
        assert cell.metadata.get("nbcheck", {}).get("cause") == cause, "the judge keeps the mistake the check named"
    [failure] = [f for f in report.failures if f["student"] == "penalty_without_half"]
    assert failure["test"] == "test_softmax_loss_naive_value" and failure["kind"] == causes.VALUE
    assert failure["cause"].startswith("the penalty is reg * sum(W**2)") and failure["cause"] in failure["message"]
    # Diagnosed by the checks from the value, when the answer key names no mistake:
    assert causes_of(report, "gradient_not_divided") == {
        "test_softmax_loss_naive_gradient": "off by a factor of N, the number of examples"}
    assert causes_of(report, "sign_error") == {"test_softmax_loss": "a sign error",
                                               "test_train_softmax": "builds on `softmax_loss`, which fails"}
    # and otherwise the kind of message:
    assert causes_of(report, "softmax_in_place") == {"test_softmax": causes.MODIFIED}
    assert set(causes_of(report, "untouched").values()) == {causes.NOT_IMPLEMENTED}
    for failure in report.failures:
        assert failure["message"] and failure["kind"] not in (causes.OTHER, causes.TEST_ERROR, causes.NO_MESSAGE)


def test_sorted_by_how_many_students_each_problem_hit(report: Report) -> None:
    failing = [len(CLASS) - int(row["passed"]) for row in report.tests]
    assert failing == sorted(failing, reverse=True) and failing[0] > failing[1]
    assert report.tests[0]["test"] == "test_softmax_loss_naive_gradient"
    order = list(dict.fromkeys(f["test"] for f in report.failures))
    assert order == [row["test"] for row in report.tests if int(row["passed"]) < len(CLASS)]
    ranked = report.results.ranked_causes()
    hit = [len(cause.students) for cause in ranked]
    assert hit == sorted(hit, reverse=True)
    assert ranked[0].name == "the gradient of the penalty is counted twice" and ranked[0].named
    assert ranked[1].name == causes.NOT_IMPLEMENTED and ranked[1].points_lost == 7, "ties: the costlier first"
    assert [f["student"] for f in report.failures[:2]] == ["doubled_penalty_gradient", "doubled_penalty_gradient_too"]
    assert report.results.ranked_students()[:2] == ["untouched", "sign_error"]
    assert "2 students: the gradient of the penalty is counted twice" in report.stdout


def test_the_page_has_its_charts_and_works_offline(report: Report) -> None:
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([^"]+)"', report.html)
    assert [alt for alt, _ in images] == ["pass rate of each test", "students hit by each cause",
                                          "distribution of scores"]
    for alt, data in images:
        picture = matplotlib.image.imread(io.BytesIO(base64.b64decode(data)), format="png")
        assert picture.shape[0] > 150 and picture.shape[1] > 600, f"{alt}: {picture.shape}"
        assert picture[..., :3].std() > 0.05, f"{alt} is blank"
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", report.html), "the page loads something from the network"
    for name in [*CLASS, *(row["test"] for row in report.tests), "the gradient of the penalty is counted twice"]:
        assert name in report.html


def test_missing_assignment_says_what_to_run(report: Report) -> None:
    run = subprocess.run([sys.executable, "-m", "nbcheck.instructor", "report", "ex9_missing"], cwd=report.root,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 2
    assert "ex9_missing is not in the gradebook" in run.stderr and "nbgrader autograde ex9_missing" in run.stderr


@pytest.mark.parametrize("assignment_id", course_tools.assignment_ids())
def test_every_catalogue_message_lands_in_a_group(graded, assignment_id: str) -> None:
    """Each failure of the catalogue (the suite's grading of it, shared with test_assignments) has a kind."""
    unplaced = []
    for student, grades in graded(assignment_id).items():
        for test, text in grades.failed().items():
            ename, _, message = text.partition(": ")
            kind = causes.kind_of(ename, message)
            if kind in (causes.OTHER, causes.TEST_ERROR, causes.NO_MESSAGE):
                unplaced.append(f"{student}/{test} ({kind}): {text[:200]}")
            expected = {"untouched": causes.NOT_IMPLEMENTED, "tamper_renamed": causes.NOT_DEFINED,
                        "tamper_endless_loop": causes.TIME}.get(student)
            assert expected in (None, kind), f"{student}/{test}: {kind}, expected {expected}: {text[:200]}"
    assert not unplaced, "messages no group of nbcheck/instructor/causes.py fits:\n" + "\n".join(unplaced)
