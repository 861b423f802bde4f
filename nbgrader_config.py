"""nbgrader configuration for the course. Run nbgrader from this folder (the course root).

nbgrader's "source" step is solutions/ (the instructor's notebooks with solutions and hidden
tests) and its "release" step is exercises/ (what students get). Collected work goes to the
default submitted/, autograded/ and feedback/ folders, which are not committed.
"""

c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads this file)

# Every assignment of the course, in teaching order. Each is solutions/<id>/<id>.ipynb.
ASSIGNMENTS = ["ex1_softmax", "ex2_two_layer"]

c.CourseDirectory.course_id = "backprop-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# Every cell of an exercise, the student's demos included, runs in a few seconds; 60 s is
# ample for a slow laptop yet ends an endless loop in an ungraded cell soon, and the grader
# goes on with the next cell. Inside test cells the helpers stop a student call after 10 s.
c.Execute.timeout = 60

# Tracebacks in the graded notebook show only "GradingError: <what is wrong>": the default
# context would print the surrounding test lines, hidden ones included, into the feedback.
c.Execute.extra_arguments = ["--InteractiveShell.xmode=Minimal"]

# A student who deletes or renames a test cell still gets that test run, and scored.
c.OverwriteCells.add_missing_cells = True

# nbgrader fails a test cell that wrote anything to stderr. Our tests signal failure only by
# raising, so a correct answer that triggers a warning (warnings.warn, logging.warning, a print
# to sys.stderr) must keep its points: every stderr output is removed before scoring.
# Both settings are needed: `pattern` alone does nothing.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"[\s\S]"

# Feedback shows each test's outcome and message, but not the hidden tests' source, which
# holds the reference answers. Same preprocessors as nbgrader's default, plus ClearHiddenTests.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
