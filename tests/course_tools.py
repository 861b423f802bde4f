"""Drive the real nbgrader on a throw-away copy of the course, and read back what it decided.

The test suite's own tools (instructors have theirs in :mod:`nbcheck.instructor`). Nothing here imitates nbgrader: a temporary course directory gets the course's own
``nbgrader_config.py`` and ``solutions/``, and the ``nbgrader`` command does the work.
"""

from __future__ import annotations

import copy
import html
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from nbcheck.instructor.grading import autograde_class
from nbcheck.judge.sandbox import capabilities
from tests.submissions import Submission, catalogue

REPO = Path(__file__).resolve().parents[1]
SOLUTION_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def assignment_ids() -> list[str]:
    """The assignments that nbgrader_config.py declares, in teaching order."""
    namespace: dict = {"get_config": lambda: _AnyConfig(), "__file__": str(REPO / "nbgrader_config.py")}
    exec(compile((REPO / "nbgrader_config.py").read_text(), "nbgrader_config.py", "exec"), namespace)
    return list(namespace["ASSIGNMENTS"])


class _AnyConfig:
    """Accepts ``c.Section.option = value`` so the config file can be read for its ASSIGNMENTS."""

    def __getattr__(self, name: str) -> "_AnyConfig":
        return _AnyConfig()

    def __setattr__(self, name: str, value: object) -> None:
        pass


def notebook_path(root: Path, step: str, assignment_id: str, student: str | None = None) -> Path:
    """Where nbgrader keeps an assignment's (single) notebook at a step of its workflow."""
    folder = root / step / student / assignment_id if student else root / step / assignment_id
    return folder / f"{assignment_id}.ipynb"


def run_nbgrader(root: Path, *args: str, memory: list[int] | None = None) -> subprocess.CompletedProcess:
    """Run the nbgrader command line in the course directory ``root``; fail loudly on error.

    With ``memory`` (a list), the largest resident size of the nbgrader process itself, in bytes,
    sampled every 20 ms, is appended to it.
    """
    # nbgrader runs `alembic` by name, so this interpreter's scripts folder must be on PATH. The course's
    # own temporary folder holds the kernels' seeds, so that a test can see that none is left behind.
    (root / "tmp").mkdir(exist_ok=True)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "TMPDIR": str(root / "tmp")}
    process = subprocess.Popen([sys.executable, "-m", "nbgrader", *args], cwd=root, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]
    if memory is not None:
        def sample() -> None:
            while process.poll() is None:
                try:
                    status = Path(f"/proc/{process.pid}/status").read_text()
                    peak[0] = max(peak[0], int(status.split("VmRSS:")[1].split()[0]) * 1024)
                except (OSError, IndexError):
                    pass
                time.sleep(0.02)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
    stdout, stderr = process.communicate()
    if memory is not None:
        sampler.join()
        memory.append(peak[0])
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def make_course(root: Path) -> Path:
    """A fresh course in ``root``: the course's config and solutions, every assignment generated."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "solutions", root / "solutions")
    for assignment_id in assignment_ids():
        if (root / "solutions" / assignment_id).is_dir():  # one being written may not exist yet
            run_nbgrader(root, "generate_assignment", assignment_id)
    return root


def make_course_with(root: Path, assignment_id: str, generate: bool = True) -> Path:
    """A course in ``root`` with one assignment: the config and its source, then either what
    ``generate_assignment`` makes (the gradebook and the release) or, with ``generate=False``, what a
    fresh clone has (the committed release, no gradebook)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "solutions" / assignment_id, root / "solutions" / assignment_id)
    if generate:
        run_nbgrader(root, "generate_assignment", assignment_id)
    else:
        shutil.copytree(REPO / "exercises" / assignment_id, root / "exercises" / assignment_id)
    return root


def model_answers(solution: nbformat.NotebookNode) -> dict[str, str]:
    """grade_id -> what a student who wrote the model answer would have in each solution cell."""
    answers = {}
    for cell in solution.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            lines = [line for line in cell.source.splitlines() if not SOLUTION_MARKERS.match(line)]
            answers[meta["grade_id"]] = "\n".join(lines)
    return answers


def release_answers(release: nbformat.NotebookNode) -> dict[str, str]:
    """grade_id -> what an untouched exercise has in each solution cell."""
    return {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in release.cells
            if cell.metadata.get("nbgrader", {}).get("solution")}


def apply_submission(answers: dict[str, str], submission: Submission) -> dict[str, str]:
    """The answers after ``submission``'s edits and replacements; an edit that no longer applies is an error.

    A replacement may name any cell of the notebook (a student can change a locked one, too).
    """
    answers = dict(answers)
    answers.update(submission.replace)
    for grade_id, edits in submission.edits.items():
        for old, new in edits:
            if old not in answers.get(grade_id, ""):
                raise ValueError(f"{submission.name}: {old!r} not found in the answer of cell {grade_id!r}")
            answers[grade_id] = answers[grade_id].replace(old, new)
    return answers


def student_notebook(release: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The released notebook with the student's answers typed into its cells (by grade_id)."""
    notebook = copy.deepcopy(release)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return notebook


def _is_test(cell: nbformat.NotebookNode) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution") and cell.cell_type == "code"


def _grade_id(cell: nbformat.NotebookNode) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


# Changes a student can make to the notebook itself, by name: Submission.notebook = "name" or "name:argument".
NOTEBOOK_CHANGES = {
    "duplicate_first_test": lambda cells, _: [c for cell in cells for c in (
        [cell, copy.deepcopy(cell)] if cell is next(x for x in cells if _is_test(x)) else [cell])],
    "delete": lambda cells, ids: [cell for cell in cells if _grade_id(cell) not in ids.split(",")],
    "strip_metadata": lambda cells, _: [nbformat.from_dict({**cell, "metadata": {}}) for cell in cells],
}


@dataclass
class Submitted:
    """A student's submission as it lands in submitted/: the notebook, its file name, other files."""

    notebook: nbformat.NotebookNode
    filename: str = ""
    files: dict[str, str] = field(default_factory=dict)


def submitted(release: nbformat.NotebookNode, answers: dict[str, str], submission: Submission) -> Submitted:
    """What ``submission`` hands in: its answers in the release, then its change to the notebook itself."""
    unknown = set(submission.replace) - {_grade_id(cell) for cell in release.cells}
    if unknown:
        raise KeyError(f"{submission.name}: no cell {sorted(unknown)}")
    start = answers if submission.start == "model" else release_answers(release)
    notebook = student_notebook(release, apply_submission(start, submission))
    if submission.notebook:
        name, _, argument = submission.notebook.partition(":")
        notebook.cells = NOTEBOOK_CHANGES[name](notebook.cells, argument)
    return Submitted(notebook, submission.filename, dict(submission.files))


@dataclass
class CellGrade:
    """What nbgrader decided for one autograded test cell, and why."""

    score: float
    max_score: float
    error: str = ""  # "Ename: evalue" of the cell's error, or the stderr it wrote; empty when it passed


@dataclass
class Grades:
    """One student's autograded result for one assignment (manually graded cells left out)."""

    score: float
    max_score: float
    cells: dict[str, CellGrade] = field(default_factory=dict)
    problem: str = ""  # why the submission could not be built from the catalogue, if it could not

    def failed(self) -> dict[str, str]:
        return {gid: c.error for gid, c in self.cells.items() if c.score < c.max_score}


def grading_workers() -> int:
    """How many nbgrader processes grade at once: one per core (at most 4), or $COURSE_GRADING_WORKERS."""
    return int(os.environ.get("COURSE_GRADING_WORKERS", min(os.cpu_count() or 1, 4)))


def autograde(root: Path, assignment_id: str, notebooks: dict[str, nbformat.NotebookNode | Submitted],
              workers: int | None = None) -> dict[str, Grades]:
    """Submit each notebook as the student named by its key, autograde them in parallel as an instructor
    would (:func:`nbcheck.instructor.grading.autograde_class`), and read the gradebook."""
    for student, notebook in notebooks.items():
        submission = notebook if isinstance(notebook, Submitted) else Submitted(notebook)
        path = notebook_path(root, "submitted", assignment_id, student)
        if submission.filename:
            path = path.with_name(submission.filename)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(submission.notebook, path)
        for name, content in submission.files.items():
            (path.parent / name).parent.mkdir(parents=True, exist_ok=True)
            (path.parent / name).write_text(content)
    (root / "tmp").mkdir(exist_ok=True)
    run = autograde_class(root, [assignment_id], students=list(notebooks), workers=workers or grading_workers(),
                          env={"TMPDIR": str(root / "tmp")})
    if run.failures:
        raise RuntimeError("nbgrader autograde failed:\n" + "\n".join(run.failures))
    return {student: read_grades(root, assignment_id, student) for student in notebooks}


def read_grades(root: Path, assignment_id: str, student: str) -> Grades:
    """Scores from the gradebook, reasons from the autograded notebook's outputs."""
    from nbgrader.api import Gradebook

    autograded = nbformat.read(notebook_path(root, "autograded", assignment_id, student), as_version=4)
    reasons = {}
    for cell in autograded.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id:
            reasons[grade_id] = _failure_text(cell)
    grades = Grades(0.0, 0.0)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(assignment_id, assignment_id, student)
        for grade in notebook.grades:
            if grade.cell_type != "code":
                continue
            cell = CellGrade(float(grade.score), float(grade.max_score), reasons.get(grade.name, ""))
            grades.cells[grade.name] = cell
            grades.score += cell.score
            grades.max_score += cell.max_score
    return grades


def _failure_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            parts.append(f"{output.ename}: {ANSI.sub('', output.evalue)}")
        elif output.output_type == "stream" and output.name == "stderr":
            parts.append(f"stderr: {output.text.strip()}")
    return "\n".join(parts)


DEF = re.compile(r"^def (\w+)\(", re.MULTILINE)
DEFINITION = re.compile(r"^(def|class) (\w+)(?=[(:])", re.MULTILINE)
PATCH_COMPARISONS = """import numpy as np
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones_like(a, dtype=bool)
np.testing.assert_allclose = lambda *args, **kwargs: None
np.linalg.norm = lambda *args, **kwargs: 0.0
np.abs = np.absolute = lambda x, *args, **kwargs: 0 * np.asarray(x)
"""
PATCH_GRADING = """import nbcheck, nbcheck.grading, nbcheck.gradcheck
for module, name, fake in [(nbcheck.grading, "assert_close", lambda *a, **k: None),
                           (nbcheck.grading, "as_array", lambda value, *a, **k: value),
                           (nbcheck.grading, "as_scalar", lambda value, *a, **k: value),
                           (nbcheck.gradcheck, "assert_grad", lambda *a, **k: None),
                           (nbcheck, "assert_grad", lambda *a, **k: None)]:
    try:
        setattr(module, name, fake)
    except AttributeError as error:
        print(error)
"""


def tampered_notebooks(release: nbformat.NotebookNode, answers: dict[str, str]) -> dict[str, nbformat.NotebookNode]:
    """Submissions that misuse the notebook itself rather than get the maths wrong.

    - ``tamper_deleted_tests``: the model answers with every test cell deleted (nbgrader puts them back);
    - ``tamper_emptied_tests``: the model answers with every test cell's source replaced by ``pass``;
    - ``tamper_renamed``: the model answers with every function and class renamed (``def f_v2(``);
    - ``tamper_patched_numpy``: no answers, and numpy's comparison functions patched to say "equal";
    - ``tamper_patched_grading``: no answers, and nbcheck's checks replaced by ones that never fail;
    - ``tamper_endless_loop``: the model answers, but the last function loops forever.
    """
    def is_test(cell: nbformat.NotebookNode) -> bool:
        meta = cell.metadata.get("nbgrader", {})
        return bool(meta.get("grade")) and not meta.get("solution")

    model = student_notebook(release, answers)
    deleted = copy.deepcopy(model)
    deleted.cells = [cell for cell in deleted.cells if not is_test(cell)]
    emptied = copy.deepcopy(model)
    for cell in emptied.cells:
        if is_test(cell):
            cell.source = "pass"
    renamed = student_notebook(release, {gid: DEFINITION.sub(r"\1 \2_v2", src) for gid, src in answers.items()})
    first_solution = next(i for i, c in enumerate(release.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    patched, patched_grading = copy.deepcopy(release), copy.deepcopy(release)
    patched.cells.insert(first_solution, nbformat.v4.new_code_cell(PATCH_COMPARISONS))
    patched_grading.cells.insert(first_solution, nbformat.v4.new_code_cell(PATCH_GRADING))
    last_function = [gid for gid, src in answers.items() if DEF.search(src)][-1]
    looping = student_notebook(release, {**answers, last_function: DEF.sub(
        r"def \1(*args, **kwargs):\n    while True:\n        pass\n\ndef \1_unused(", answers[last_function], count=1)})
    return {"tamper_deleted_tests": deleted, "tamper_emptied_tests": emptied, "tamper_renamed": renamed,
            "tamper_patched_numpy": patched, "tamper_patched_grading": patched_grading,
            "tamper_endless_loop": looping}


def grade_everything(root: Path, assignment_id: str) -> dict[str, Grades]:
    """Autograde the model solution, the untouched exercise, the tampered notebooks
    (:func:`tampered_notebooks`) and every catalogued submission, in one :func:`autograde` call."""
    solution = nbformat.read(notebook_path(REPO, "solutions", assignment_id), as_version=4)
    release = nbformat.read(notebook_path(root, "exercises", assignment_id), as_version=4)
    answers = model_answers(solution)
    notebooks = {"model_solution": student_notebook(release, answers), "untouched": release,
                 **tampered_notebooks(release, answers)}
    stale = {}
    for submission in catalogue(assignment_id):
        if submission.needs_sandbox and capabilities().bwrap is None:
            continue  # the test reports the skip, with the reason
        try:
            notebooks[submission.name] = submitted(release, answers, submission)
        except (KeyError, ValueError) as error:  # the solution changed under the entry: report it, grade the rest
            stale[submission.name] = Grades(float("nan"), float("nan"), problem=str(error))
    return {**autograde(root, assignment_id, notebooks), **stale}


def feedback(root: Path, assignment_id: str) -> dict[str, str]:
    """Run ``nbgrader generate_feedback`` for every graded student; student -> the feedback page's text."""
    pages = {}
    for course in [root, *sorted(root.parent.glob(f"{root.name}-shard*"))]:
        if any(course.glob(f"autograded/*/{assignment_id}")):
            run_nbgrader(course, "generate_feedback", assignment_id, "--force")
            for page in course.glob(f"feedback/*/{assignment_id}/{assignment_id}.html"):
                pages[page.parts[-3]] = html.unescape(page.read_text())
    return pages


def hidden_test_lines(solution: nbformat.NotebookNode) -> list[str]:
    """The non-blank lines between ### BEGIN HIDDEN TESTS and ### END HIDDEN TESTS, stripped."""
    lines, hidden = [], False
    for cell in solution.cells:
        for line in cell.source.splitlines():
            if line.strip() in ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"):
                hidden = line.strip() == "### BEGIN HIDDEN TESTS"
            elif hidden and line.strip():
                lines.append(line.strip())
    return lines
