"""nbgrader configuration for the course. Run nbgrader from this folder (the course root).

nbgrader's "source" step is solutions/ (the instructor's notebooks with solutions and hidden
tests) and its "release" step is exercises/ (what students get). Collected work goes to the
default submitted/, autograded/ and feedback/ folders, which are not committed. nbgrader's exchange
(release, fetch, submit, collect, feedback) is the folder exchange/ of the course: see EXCHANGE below.

Autograde runs the student's cells in a sandboxed kernel and every test cell in nbcheck's judge,
a separate process the student's code cannot reach (see nbcheck/judge/ and the README).
"""

from pathlib import Path

from nbcheck.grading.validate import summarise_validation
from nbcheck.judge.metadata import compile_metadata_schema_once

c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads this file)

# Every assignment of the course, in teaching order. Each is solutions/<id>/<id>.ipynb.
ASSIGNMENTS = ["ex1_softmax", "ex2_two_layer", "ex3_deep_net", "ex4_autodiff", "ex5_training"]

c.CourseDirectory.course_id = "backprop-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# nbgrader's exchange, where release_assignment and release_feedback put files for students and submit
# puts theirs. On one machine it is the folder exchange/ of the course, made here on first use with the
# permissions nbgrader expects (everyone may write: students' submissions go in). On JupyterHub, set it
# to the exchange that instructors and students share, e.g. Path("/srv/nbgrader/exchange"), which the
# admin makes (README, "The exchange").
COURSE = Path(__file__).resolve().parent
EXCHANGE = COURSE / "exchange"
c.Exchange.root = str(EXCHANGE)
if EXCHANGE.is_relative_to(COURSE) and not EXCHANGE.is_dir():
    EXCHANGE.mkdir()
    EXCHANGE.chmod(0o777)

# Autograde: nbgrader's pipeline with three pieces replaced by nbcheck's. JudgedExecute runs the
# notebook (student cells in a sandbox, test cells in the judge); DeduplicateIds and OverwriteCells
# keep a notebook with a duplicated or deleted cell gradable, and OverwriteCells warns "Attribute
# 'checksum' ... has changed!" only for a locked cell the student really changed. Named by dotted
# path, as nbconvert allows, so that Formgrader can show this configuration (it cannot serialise classes).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbcheck.judge.autograde.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbcheck.judge.autograde.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "nbcheck.judge.autograde.JudgedExecute",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# Before each submission is graded: an assignment missing from the gradebook (no generate_assignment
# run yet, e.g. on a fresh clone) is added to it from solutions/, and a renamed notebook
# (ex1_softmax-Copy1.ipynb) is graded in place of the missing one.
c.Autograde.pre_convert_hook = "nbcheck.judge.autograde.prepare_submission"

# The limits of the student's code during autograde (these are the defaults). Every cell of an
# exercise, the demos included, runs in a few seconds; a student cell that runs longer than 60 s is
# interrupted and the grader goes on. Each call that a test makes gets 10 s.
c.JudgedExecute.timeout = 60
c.JudgedExecute.notebook_timeout = 600
c.JudgedExecute.memory_limit = 2 << 30

# A student who deletes or renames a test cell still gets that test run, and scored.
c.OverwriteCells.add_missing_cells = True

# Each exercise keeps its answer key (references, known mistakes, hidden cases) in one locked cell
# whose content is all hidden; only the judge runs it. nbgrader would otherwise insist that hidden
# regions sit in test cells.
c.ClearHiddenTests.enforce_metadata = False

# Validate (the button in JupyterLab, and `nbgrader validate`) names each failing test by what it
# checks and shows its one-line message, not the test cell's source.
summarise_validation()

# nbgrader checks each cell's metadata against its JSON schema several times per notebook, checking
# the schema itself every time; compiled once, grading a notebook costs a tenth less.
compile_metadata_schema_once()

# Feedback shows each test's outcome and message, but not the answer key. Same preprocessors as
# nbgrader's default, plus nbcheck's ClearHiddenCode (nbgrader's ClearHiddenTests on the
# instructor's cells only: a student's cell that mentions the markers cannot stop the feedback).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbcheck.judge.autograde.ClearHiddenCode",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
