"""What the class got wrong in one assignment, after ``nbgrader autograde``: tests, causes, students.

Scores come from nbgrader's gradebook (:class:`nbgrader.api.Gradebook`), the reasons from the
autograded notebooks (``autograded/<student>/<assignment>/``): each failed test cell's one-line
message, and the known mistake the judge recognised, kept in the cell's metadata
(:mod:`nbcheck.instructor.causes`). :func:`collect` reads them into :class:`ClassResults`, whose
``ranked_*`` views put first what hit the most students; :func:`write_csv` and
:func:`nbcheck.instructor.page.write_html` write them out.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Assignment, Gradebook
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config, PyFileConfigLoader

from nbcheck.grading.validate import title
from nbcheck.instructor.causes import cause_of, fault_of
from nbcheck.judge.autograde import source_order

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Test:
    """One autograded test cell: its grade id (``notebook/grade_id`` when the assignment has several
    notebooks), what it checks (the first sentence of its comment), and its points."""

    name: str
    title: str
    max_points: float


@dataclass(frozen=True)
class Failure:
    """One student's failed test: the points lost, why (:func:`~nbcheck.instructor.causes.cause_of`), and
    the message the student saw."""

    student: str
    test: str
    points_lost: float
    cause: str
    kind: str
    message: str

    @property
    def named(self) -> bool:
        """Whether the cause names a mistake (known to the answer key, or diagnosed by the checks), rather
        than only the kind of message."""
        return self.cause != self.kind


@dataclass(frozen=True)
class Cause:
    """One cause of failure across the class: the students and tests it hit, and the points it cost."""

    name: str
    kind: str
    named: bool
    students: list[str]
    tests: list[str]
    points_lost: float
    example: str


@dataclass
class ClassResults:
    """An assignment's autograded results: every test, every student's score and failures."""

    assignment: str
    tests: list[Test]                  # in the notebook's order
    scores: dict[str, float]           # student -> autograded points
    failures: list[Failure]
    faults: dict[str, list[str]] = field(default_factory=dict)  # student -> what went wrong in their own cells

    @property
    def max_points(self) -> float:
        return sum(test.max_points for test in self.tests)

    def failed(self, test: str) -> list[Failure]:
        return [failure for failure in self.failures if failure.test == test]

    def ranked_tests(self) -> list[Test]:
        """The tests, the one most students failed first (ties in the notebook's order)."""
        return sorted(self.tests, key=lambda test: -len(self.failed(test.name)))

    def ranked_causes(self) -> list[Cause]:
        """The causes of failure, the one that hit most students first (ties: the costlier first)."""
        grouped: dict[str, list[Failure]] = {}
        for failure in self.failures:
            grouped.setdefault(failure.cause, []).append(failure)
        order = [test.name for test in self.tests]
        causes = [Cause(name, ", ".join(dict.fromkeys(f.kind for f in hit)), hit[0].named,
                        sorted({f.student for f in hit}), sorted({f.test for f in hit}, key=order.index),
                        sum(f.points_lost for f in hit), hit[0].message) for name, hit in grouped.items()]
        return sorted(causes, key=lambda cause: (-len(cause.students), -cause.points_lost, cause.name))

    def causes_of(self, test: str) -> list[tuple[str, int]]:
        """(cause, students) of the failures of ``test``, the most common first (ties: the one that hit more
        of the class)."""
        counts = Counter(failure.cause for failure in self.failed(test))
        rank = {cause.name: index for index, cause in enumerate(self.ranked_causes())}
        return sorted(counts.items(), key=lambda item: (-item[1], rank[item[0]]))

    def ranked_students(self) -> list[str]:
        """The students, the one who lost most first (ties by name)."""
        return sorted(self.scores, key=lambda student: (self.scores[student], student))

    def ranked_failures(self) -> list[Failure]:
        """Every failure, grouped by test (most failed first), then by cause (most common first)."""
        tests = {test.name: index for index, test in enumerate(self.ranked_tests())}
        causes = {cause.name: index for index, cause in enumerate(self.ranked_causes())}
        return sorted(self.failures, key=lambda f: (tests[f.test], causes[f.cause], f.student))


def course_directory(course: Path) -> CourseDirectory:
    """nbgrader's view of the course at ``course``, configured by its ``nbgrader_config.py`` as nbgrader's
    own commands would be."""
    config = Config()
    if (course / "nbgrader_config.py").exists():
        config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(course.resolve())
    return CourseDirectory(config=config)


def collect(coursedir: CourseDirectory, assignment_id: str) -> ClassResults:
    """Every autograded submission of ``assignment_id``: scores from the gradebook, reasons from the
    autograded notebooks. Raises nbgrader's ``MissingEntry`` if the gradebook lacks the assignment."""
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        cells = _test_cells(coursedir, gradebook.find_assignment(assignment_id))
        scores, lost = {}, {}
        for submission in gradebook.assignment_submissions(assignment_id):
            student = submission.student.id
            grades = [(f"{nb.name}/{grade.name}", grade) for nb in submission.notebooks for grade in nb.grades]
            grades = [(cells[key][2].name, grade) for key, grade in grades if key in cells]
            scores[student] = sum(float(grade.score) for _, grade in grades)
            lost[student] = {test: float(grade.max_score - grade.score) for test, grade in grades
                             if grade.score < grade.max_score}
    tests = [test for _, _, test in cells.values()]
    where = {test.name: (notebook, grade_id) for notebook, grade_id, test in cells.values()}
    failures, faults = [], {}
    for student in scores:
        folder = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment_id))
        notebooks = {name: _read(folder / f"{name}.ipynb") for name, _ in where.values()}
        for test, points in lost[student].items():
            notebook, grade_id = where[test]
            ename, message, named = _failure(notebooks[notebook], grade_id)
            failures.append(Failure(student, test, points, *cause_of(ename, message, named), message))
        noted = [fault for nb in notebooks.values() for fault in _faults(nb, {gid for _, gid in where.values()})]
        if noted:
            faults[student] = list(dict.fromkeys(noted))
    return ClassResults(assignment_id, tests, scores, failures, faults)


def _test_cells(coursedir: CourseDirectory, assignment: Assignment) -> dict[str, tuple[str, str, Test]]:
    """"notebook/grade_id" -> (notebook, grade id, :class:`Test`) of the assignment's autograded tests, in the
    source notebooks' order. A test is named by its grade id, prefixed by its notebook's name when the
    assignment has several notebooks."""
    cells = {}
    for notebook in assignment.notebooks:
        solutions = {cell.name for cell in notebook.solution_cells}
        sources = {cell.name: cell.source for cell in notebook.source_cells}
        tests = {cell.name: cell for cell in notebook.grade_cells
                 if cell.cell_type == "code" and cell.name not in solutions}
        order = source_order(coursedir.config, assignment.name, notebook.name, list(sources))
        for grade_id in sorted(tests, key=lambda name: order.index(name) if name in order else len(order)):
            name = f"{notebook.name}/{grade_id}" if len(assignment.notebooks) > 1 else grade_id
            test = Test(name, title(sources.get(grade_id, "")), float(tests[grade_id].max_score))
            cells[f"{notebook.name}/{grade_id}"] = (notebook.name, grade_id, test)
    return cells


def _read(path: Path) -> nbformat.NotebookNode | None:
    return nbformat.read(path, as_version=4) if path.exists() else None


def _failure(notebook: nbformat.NotebookNode | None, grade_id: str) -> tuple[str, str, str | None]:
    """(exception name, message, named mistake) of a failed test cell, from its outputs and metadata."""
    cell = next((c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id), None) \
        if notebook is not None else None
    if cell is None:
        return "", "", None
    named = cell.metadata.get("nbcheck", {}).get("cause")
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return output.ename, ANSI.sub("", output.evalue), named
    for output in cell.get("outputs", []):  # nbgrader fails a test cell that wrote to stderr, too
        if output.output_type == "stream" and output.name == "stderr":
            return "stderr", output.text.strip(), named
    return "", "", named


def _faults(notebook: nbformat.NotebookNode | None, tests: Iterable[str]) -> list[str]:
    """What the judge noted in the student's own cells (a time limit, a dead kernel, an output flood)."""
    if notebook is None:
        return []
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("grade_id") in tests:
            continue
        for output in cell.get("outputs", []):
            text = output.get("evalue", "") if output.output_type == "error" else output.get("text", "")
            fault = fault_of(ANSI.sub("", text)) if output.output_type in ("error", "stream") else None
            if fault:
                found.append(fault)
    return found


def write_csv(results: ClassResults, folder: Path) -> tuple[Path, Path]:
    """Write ``failures.csv`` (one row per student and failed test) and ``tests.csv`` (one row per test,
    with its pass rate) into ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    failures, tests = folder / "failures.csv", folder / "tests.csv"
    with failures.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["student", "test", "points lost", "cause", "kind", "message"])
        for f in results.ranked_failures():
            writer.writerow([f.student, f.test, f"{f.points_lost:g}", f.cause, f.kind, f.message])
    with tests.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["test", "what it checks", "points", "students", "passed", "pass rate", "main cause"])
        for test in results.ranked_tests():
            failed = results.failed(test.name)
            causes = results.causes_of(test.name)
            writer.writerow([test.name, test.title, f"{test.max_points:g}", len(results.scores),
                             len(results.scores) - len(failed), f"{pass_rate(results, test):.3f}",
                             causes[0][0] if causes else ""])
    return failures, tests


def pass_rate(results: ClassResults, test: Test) -> float:
    """The fraction of the class that passed ``test`` (1 for a class of no one)."""
    students = len(results.scores)
    return 1.0 - len(results.failed(test.name)) / students if students else 1.0
