"""The README shows a student what a pass and a failure look like: the very text the checks print.

A student's ex1 with the model answers, except that ``softmax_loss_naive`` forgets to divide dW by N
(the README's example), runs in a real kernel; the softmax check's output and the gradient check's
message must be the README's, character for character.
"""

from __future__ import annotations

import re

import nbformat
from nbclient import NotebookClient

from tests import course_tools

README = (course_tools.REPO / "README.md").read_text()
FORGETS_N = ("dW = dW / N + reg * W", "dW = dW + reg * W")


def readme_failure() -> str:
    """The README's sample failure: the code block after "(`dW` not divided by N):", unindented."""
    match = re.search(r"\(`dW` not divided by N\):\n\n( *)```\n(.*?)\n *```", README, re.DOTALL)
    assert match, "the README no longer shows a sample failure after '(`dW` not divided by N):'"
    indent = len(match.group(1))
    return "\n".join(line[indent:] for line in match.group(2).splitlines())


def test_the_readme_shows_what_the_checks_print(tmp_path) -> None:
    solution = nbformat.read(course_tools.notebook_path(course_tools.REPO, "solutions", "ex1_softmax"), 4)
    release = nbformat.read(course_tools.notebook_path(course_tools.REPO, "exercises", "ex1_softmax"), 4)
    answers = course_tools.model_answers(solution)
    assert FORGETS_N[0] in answers["softmax_loss_naive"], "the model softmax_loss_naive changed: update FORGETS_N"
    answers["softmax_loss_naive"] = answers["softmax_loss_naive"].replace(*FORGETS_N)
    notebook = course_tools.student_notebook(release, answers)
    ids = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in notebook.cells]
    notebook.cells = notebook.cells[:ids.index("test_softmax_loss_naive_gradient") + 1]
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()

    passed = "".join(output.get("text", "") for output in notebook.cells[ids.index("test_softmax")].outputs)
    shown = re.search(r"for example `([^`]+ pass\.)`", README)
    assert shown and shown.group(1) == passed.strip(), f"the README's pass line is not what prints: {passed!r}"

    [error] = [o for o in notebook.cells[ids.index("test_softmax_loss_naive_gradient")].outputs
               if o.output_type == "error"]
    assert f"{error.ename}: {error.evalue}" == readme_failure()
