"""nbgrader's autograde, with the test cells run by the judge: the pieces ``nbgrader_config.py`` plugs in.

- :class:`JudgedExecute` replaces nbgrader's ``Execute``: the student's cells run in a sandboxed
  kernel (:class:`~nbcheck.judge.session.Session`), and every test cell runs here, in nbgrader's
  own process, with its source taken from the gradebook. A test cell calls the student's functions
  through the session and checks what they return with nbcheck; its outputs are written into the
  notebook, where nbgrader scores them as usual (no error output: full points).
- :class:`DeduplicateIds` and :class:`OverwriteCells` fix two nbgrader faults that left a notebook
  ungraded: a duplicated test cell (``KeyError: 'grade_id'``), and a deleted cell whose neighbour was
  deleted too; :class:`OverwriteCells` also stops the false "checksum has changed" warning for the
  answer key.
- :func:`prepare_submission` (the ``pre_convert_hook``) adds an assignment the gradebook lacks
  (:func:`register_assignment`) and grades a renamed notebook in place of the missing one
  (:func:`grade_renamed_notebooks`).
- :class:`ClearHiddenCode` removes hidden code from the feedback, from the instructor's cells only.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import json
import os
import shutil
import tempfile
import time
import traceback
import warnings
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps import NbGrader
from nbgrader.converters import GenerateAssignment
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearHiddenTests
from nbgrader.preprocessors import DeduplicateIds as _DeduplicateIds
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.preprocessors import OverwriteCells as _OverwriteCells
from traitlets import Float, Integer, List
from traitlets.config import Application, Config

from nbcheck.grading.cases import ANSWERED
from nbcheck.grading.errors import GradingError
from nbcheck.judge.sandbox import Limits, capabilities
from nbcheck.judge.session import Budget, Session

_warned = False
# The hidden cases answered so far in this process, by the test cells' source (see hidden_cases).
_ANSWERED: dict[str, dict] = {}
TEST_OUTPUT_LIMIT = 20_000   # characters a test cell may print
HIDDEN_MARK = "BEGIN HIDDEN TESTS"


def _answered_cases(judged: dict[str, tuple[str, bool]]) -> dict:
    """The memo of answered hidden cases for the students graded with these test cells."""
    fingerprint = hashlib.sha256(json.dumps(sorted(judged.items())).encode()).hexdigest()
    return _ANSWERED.setdefault(fingerprint, {})


class JudgedExecute(NbGraderPreprocessor):
    """Run the student's cells in a sandboxed kernel and the test cells in the judge."""

    timeout = Integer(60, help="Seconds each of the student's cells may run.").tag(config=True)
    notebook_timeout = Integer(600, help="Seconds the whole notebook may take, tests included.").tag(config=True)
    test_timeout = Integer(120, help="Seconds each test cell may take, all its calls together.").tag(config=True)
    output_limit = Integer(1 << 20, help="Bytes of output kept for the whole notebook.").tag(config=True)
    memory_limit = Integer(2 << 30, help="Bytes of memory the student's kernel may use.").tag(config=True)
    process_limit = Integer(64, help="Processes and threads the student's kernel may run.").tag(config=True)
    cpu_limit = Integer(600, help="CPU seconds the student's kernel may use.").tag(config=True)
    file_size_limit = Integer(64 << 20, help="Bytes of the largest file the student's code may write.").tag(config=True)
    disk_limit = Integer(512 << 20, help="Bytes of the kernel's working copy, home and /tmp.").tag(config=True)
    call_time_limit = Float(10.0, help="Seconds each call of a student's function may take.").tag(config=True)

    def preprocess(self, nb: nbformat.NotebookNode, resources: dict[str, Any]) -> tuple[nbformat.NotebookNode, dict]:
        self._warn_about_missing_mechanisms()
        judged = self._judge_sources(resources)
        limits = Limits(self.memory_limit, self.process_limit, self.cpu_limit, self.file_size_limit,
                        disk=self.disk_limit)
        budget = Budget(self.timeout, self.notebook_timeout, self.test_timeout, self.output_limit)
        env = {"NBGRADER_EXECUTION": os.environ.get("NBGRADER_EXECUTION", "autograde")}
        session = Session(Path(resources["metadata"]["path"]), limits, budget, env)
        # The student's cells: everything but the cells the judge runs (restored from the gradebook),
        # and never an instructor's cell with hidden code.
        students = [cell for cell in nb.cells if cell.cell_type == "code" and cell.source.strip()
                    and cell.metadata.get("nbgrader", {}).get("grade_id") not in judged
                    and not (utils.is_locked(cell) and HIDDEN_MARK in cell.source)]
        session.notebook_sources = [cell.source for cell in students]
        start = time.monotonic()
        try:
            for cell in students:
                outputs, cell.execution_count = session.run_cell(cell.source)
                cell.outputs = [nbformat.from_dict(output) for output in outputs]
            students_done = time.monotonic()
            namespace: dict[str, Any] = {"__name__": "__judge__", ANSWERED: _answered_cases(judged)}
            for grade_id, (source, is_test) in judged.items():
                outputs, cause = self._run_test(grade_id, source, namespace, session)
                for cell in nb.cells:
                    if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id and cell.cell_type == "code":
                        cell.outputs = [nbformat.from_dict(output) for output in outputs] if is_test else []
                        cell.execution_count = None
                        if cause:  # for the instructor's class report (nbcheck.instructor.report)
                            cell.metadata["nbcheck"] = {"cause": cause}
        finally:
            session.close()
        self.log.info("Graded in %.2f s: kernel start %.2f s, student cells %.2f s, tests %.2f s",
                      time.monotonic() - start, session.kernel_seconds, students_done - start - session.kernel_seconds,
                      time.monotonic() - students_done)
        return nb, resources

    def _run_test(self, grade_id: str, source: str, namespace: dict[str, Any],
                  session: Session) -> tuple[list[dict], str | None]:
        """Run one test cell's code here, with its calls sent to the student's kernel: its outputs, and the
        known mistake it recognised (None if it passed or failed otherwise)."""
        printed, outputs = io.StringIO(), []
        error, cause = None, None
        with session.test_cell(), redirect_stdout(printed), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                exec(compile(source, f"<test cell {grade_id}>", "exec"), namespace)
            except GradingError as failure:
                error, cause = ("GradingError", str(failure)), failure.cause
            except Exception as failure:  # a fault of the test itself: the instructor's to fix
                self.log.error("Test cell %s failed with an error of its own:\n%s", grade_id, traceback.format_exc())
                error = (type(failure).__name__, f"{failure} (an error in the test itself, not in your code: "
                                                 "please tell your instructor)")
        text = printed.getvalue()
        if text:
            outputs.append({"output_type": "stream", "name": "stdout", "text": text[:TEST_OUTPUT_LIMIT]})
        if error is not None:
            name, message = error
            outputs.append({"output_type": "error", "ename": name, "evalue": message,
                            "traceback": [f"\x1b[0;31m{name}\x1b[0m: {message}"]})
        return outputs, cause

    def _judge_sources(self, resources: dict[str, Any]) -> dict[str, tuple[str, bool]]:
        """grade_id -> (source, is a test) of the cells the judge runs, from the gradebook, in the source's order:
        the test cells and the answer-key cells (locked cells whose code is hidden from students)."""
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
            solutions = {cell.name for cell in notebook.solution_cells}
            tests = {cell.name for cell in notebook.grade_cells if cell.cell_type == "code" and cell.name not in solutions}
            sources = {cell.name: (cell.source, cell.name in tests) for cell in notebook.source_cells
                       if cell.cell_type == "code" and (cell.name in tests or (cell.locked and HIDDEN_MARK in cell.source))}
            order = source_order(self.config, info["assignment"], info["notebook"],
                                 [cell.name for cell in notebook.source_cells])
        return dict(sorted(sources.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order)))

    def _warn_about_missing_mechanisms(self) -> None:
        global _warned
        if not _warned:
            _warned = True
            for sentence in capabilities().missing:
                self.log.warning("nbcheck's sandbox: %s.", sentence)


def source_order(config: Any, assignment: str, notebook: str, fallback: list[str]) -> list[str]:
    """The grade ids of the source notebook in its order (from ``source_directory``), else ``fallback``."""
    coursedir = CourseDirectory(config=config)
    path = Path(coursedir.format_path(coursedir.source_directory, ".", assignment)) / f"{notebook}.ipynb"
    if not path.exists():
        return fallback
    cells = nbformat.read(path, as_version=4).cells
    return [cell.metadata["nbgrader"]["grade_id"] for cell in cells if cell.metadata.get("nbgrader", {}).get("grade_id")]


class DeduplicateIds(_DeduplicateIds):
    """nbgrader's, except that a duplicate loses its nbgrader metadata altogether (not ``{}``, which
    made ``add_missing_cells`` fail with ``KeyError: 'grade_id'``): the last copy is graded."""

    def preprocess_cell(self, cell: nbformat.NotebookNode, resources: dict, index: int) -> tuple:
        if not (utils.is_grade(cell) or utils.is_solution(cell) or utils.is_locked(cell)):
            return cell, resources
        grade_id = cell.metadata.nbgrader.get("grade_id")
        if grade_id in self.grade_ids:
            self.log.warning("Cell with id '%s' exists multiple times: the last one is graded", grade_id)
            del cell.metadata["nbgrader"]
        else:
            self.grade_ids.add(grade_id)
        return cell, resources


class OverwriteCells(_OverwriteCells):
    """nbgrader's, with two changes.

    - A locked cell with hidden code (the answer key) is, in the release, its source without that
      code, so its checksum never matches the gradebook's and nbgrader warned "Attribute 'checksum'
      ... has changed!" for every submission. A copy exactly as released is restored silently; any
      other change to a locked cell is still reported, and undone.
    - A missing cell goes back after the nearest cell before it that the submission still has
      (nbgrader's own code fails when that neighbour was deleted too).
    """

    def preprocess_cell(self, cell: nbformat.NotebookNode, resources: dict, index: int) -> tuple:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None:
            try:
                source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:  # nbgrader's preprocess_cell reports it
                pass
            else:
                if source.locked and cell.source != source.source and cell.source == released_source(source.source):
                    cell.source = source.source
        return super().preprocess_cell(cell, resources, index)

    def add_missing_grade_cells(self, nb: nbformat.NotebookNode, resources: dict) -> tuple:
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        sources = {cell.name: cell for cell in source_nb.source_cells}
        order = source_order(self.config, self.assignment_id, self.notebook_id, list(sources))
        solutions = {cell.name for cell in source_nb.solution_cells}
        for grade_cell in source_nb.grade_cells:
            present = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells]
            if grade_cell.name in present or grade_cell.name not in sources:
                continue
            self.log.warning("Missing grade cell %s encountered, adding to notebook", grade_cell.name)
            earlier = order[:order.index(grade_cell.name)] if grade_cell.name in order else []
            position = max((present.index(name) + 1 for name in earlier if name in present), default=0)
            nb.cells.insert(position, self.missing_cell_transform(
                sources[grade_cell.name], grade_cell.max_score, is_solution=grade_cell.name in solutions))
        return nb, resources


def released_source(source: str) -> str:
    """``source`` as ``generate_assignment`` releases it: without its hidden-test regions."""
    cell = nbformat.v4.new_code_cell(source)
    ClearHiddenTests()._remove_hidden_test_region(cell)  # the very code generate_assignment runs
    return cell.source


class ClearHiddenCode(ClearHiddenTests):
    """nbgrader's ClearHiddenTests for feedback, on the instructor's cells only.

    A student's own cell may contain the words "BEGIN HIDDEN TESTS" (in a string, say); nbgrader's
    preprocessor would then fail the whole feedback run. Cells the student wrote have no hidden code.
    """

    # nbconvert's HTML exporter sets every preprocessor's display_data_priority, which nbgrader's base class
    # does not take as config: each feedback run warned "not recognized". Configurable, as in nbgrader's GetGrades.
    display_data_priority = List(NbGraderPreprocessor.display_data_priority.default_value).tag(config=True)

    def preprocess_cell(self, cell: nbformat.NotebookNode, resources: dict, index: int) -> tuple:
        if not utils.is_locked(cell):
            return cell, resources
        return super().preprocess_cell(cell, resources, index)


def nbgrader_config() -> Config:
    """The configuration of the nbgrader command that is running; inside JupyterLab (formgrader's buttons),
    the course's, loaded as formgrader loads it."""
    app = Application.instance()
    if isinstance(app, NbGrader):
        return app.config
    loader = NbGrader()
    loader.load_config_file()
    return loader.config


def prepare_submission(assignment: str, student: str, notebooks: list[str]) -> None:
    """nbgrader ``pre_convert_hook`` of autograde, run before each submission is graded.

    The assignment is added to the gradebook if it is missing (:func:`register_assignment`), then a
    renamed notebook takes the missing one's place (:func:`grade_renamed_notebooks`).
    """
    if notebooks:
        expected = register_assignment(Path(notebooks[0]).parent.name, nbgrader_config())
        grade_renamed_notebooks(notebooks, expected)


def register_assignment(assignment_id: str, config: Config) -> list[str]:
    """Add ``assignment_id`` to the gradebook, if it is missing, by running ``generate_assignment`` on its source;
    return the names of its notebooks.

    nbgrader's autograde needs the assignment's notebooks and cells (points, checksums, the hidden
    tests) in the gradebook, and only ``generate_assignment`` puts them there. Without this, autograde
    after a fresh clone (the release handed out from git, no gradebook yet) failed with "No assignment
    with ID ... exists in the database". The release it writes goes to a temporary folder: the one
    students have (``exercises/``) stays as it is.
    """
    log = Application.instance().log
    coursedir = CourseDirectory(config=config)

    def notebooks() -> list[str]:
        with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
            try:
                return [notebook.name for notebook in gradebook.find_assignment(assignment_id).notebooks]
            except MissingEntry:
                return []

    found = notebooks()
    if found:  # (`nbgrader db assignment add`, to set a due date, makes an assignment without notebooks)
        return found
    log.warning("%s is not in the gradebook yet: adding it with generate_assignment", assignment_id)
    with tempfile.TemporaryDirectory() as release:
        generator = CourseDirectory(config=config, assignment_id=assignment_id, notebook_id="*",
                                    release_directory=release)
        try:
            GenerateAssignment(coursedir=generator, config=config).start()
        except Exception:
            log.error("Could not add %s to the gradebook: run `nbgrader generate_assignment %s` and read its "
                      "error", assignment_id, assignment_id)
            raise
    return notebooks()


def grade_renamed_notebooks(notebooks: list[str], expected: list[str]) -> None:
    """A notebook the submission lacks is graded from the one it has instead (part of :func:`prepare_submission`).

    A student who renamed ``ex1_softmax.ipynb`` (to ``ex1_softmax-Copy1.ipynb``, say) would
    otherwise get no grade at all. For each notebook of the assignment (``expected``) missing from
    the submission (``notebooks``, paths), the submission's unknown notebook with the closest name
    is copied to the expected name, and graded (its original stays untouched).
    """
    folder = Path(notebooks[0]).parent
    present = [Path(path).stem for path in notebooks]
    unknown = [name for name in present if name not in expected]
    for name in expected:
        if name in present or not unknown:
            continue
        closest = max(unknown, key=lambda other: difflib.SequenceMatcher(None, name, other).ratio())
        unknown.remove(closest)
        target = folder / f"{name}.ipynb"
        shutil.copy(folder / f"{closest}.ipynb", target)
        notebooks.append(str(target))
        Application.instance().log.warning("%s has no %s.ipynb: grading %s.ipynb in its place", folder,
                                           name, closest)
