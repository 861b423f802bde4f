"""nbgrader configuration for the course. Run nbgrader from this folder (the course root).

nbgrader's "source" step is solutions/ (the instructor's notebooks with solutions and hidden
tests) and its "release" step is exercises/ (what students get). Collected work goes to the
default submitted/, autograded/ and feedback/ folders, which are not committed.

Autograde runs the student's cells in a sandboxed kernel and every test cell in nbcheck's judge,
a separate process the student's code cannot reach (see nbcheck/judge/ and the README).
"""

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput, LimitOutput,
                                    OverwriteKernelspec, SaveAutoGrades)

from nbcheck.grading.validate import summarise_validation
from nbcheck.judge.autograde import DeduplicateIds, JudgedExecute, OverwriteCells

c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads this file)

# Every assignment of the course, in teaching order. Each is solutions/<id>/<id>.ipynb.
ASSIGNMENTS = ["ex1_softmax", "ex2_two_layer", "ex3_deep_net", "ex4_autodiff", "ex5_training"]

c.CourseDirectory.course_id = "backprop-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# Autograde: nbgrader's pipeline with three pieces replaced by nbcheck's. JudgedExecute runs the
# notebook (student cells in a sandbox, test cells in the judge); DeduplicateIds and OverwriteCells
# keep a notebook with a duplicated or deleted cell gradable.
c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells,
                                      CheckCellMetadata]
c.Autograde.autograde_preprocessors = [JudgedExecute, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
                                       AssignLatePenalties, CheckCellMetadata]
# A renamed notebook (ex1_softmax-Copy1.ipynb) is graded in place of the missing one.
c.Autograde.pre_convert_hook = "nbcheck.judge.autograde.grade_renamed_notebooks"

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

# Feedback shows each test's outcome and message, but not the answer key. Same preprocessors as
# nbgrader's default, plus nbcheck's ClearHiddenCode (nbgrader's ClearHiddenTests on the
# instructor's cells only: a student's cell that mentions the markers cannot stop the feedback).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbcheck.judge.autograde.ClearHiddenCode",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
