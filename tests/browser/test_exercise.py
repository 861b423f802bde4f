"""A student's wrong answer, in JupyterLab: the test cell shows one line, and Validate names the test.

The student types a softmax that normalises each column instead of each row into their copy of
ex1_softmax, runs the notebook and presses nbgrader's Validate button, as the README's student
workflow says.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import nbformat
import pytest

from tests import course_tools
from tests.browser import driver
from tests.browser.driver import Lab

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WRONG_SOFTMAX = '''def softmax(scores: np.ndarray) -> np.ndarray:
    exp_scores = np.exp(scores - scores.max(axis=1, keepdims=True))
    return exp_scores / exp_scores.sum(axis=0, keepdims=True)
'''
SOFTMAX_TITLE = "Part 1, softmax: every row must be a probability distribution."
SOFTMAX_ADVICE = "normalise each row over the classes (axis=1, keepdims=True), not each column."


def cell_index(notebook: nbformat.NotebookNode, grade_id: str) -> int:
    return next(i for i, cell in enumerate(notebook.cells)
                if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def open_with_wrong_softmax(page: Page, lab: Lab) -> nbformat.NotebookNode:
    """Open a student's copy of ex1_softmax and type the wrong softmax into its solution cell."""
    path = course_tools.notebook_path(lab.root, "student", "ex1_softmax")  # Validate saves it: keep the release
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(course_tools.notebook_path(lab.root, "exercises", "ex1_softmax"), path)
    notebook = nbformat.read(path, as_version=4)
    driver.open_notebook(page, lab, path.relative_to(lab.root).as_posix(), len(notebook.cells))
    driver.type_into_cell(page, cell_index(notebook, "softmax"), WRONG_SOFTMAX)
    return notebook


def test_a_failing_check_shows_one_line_and_no_traceback(page: Page, lab: Lab) -> None:
    notebook = open_with_wrong_softmax(page, lab)
    driver.run_all(page)  # stops at the first failing test cell, the softmax test

    output = page.locator(".jp-Notebook .jp-Cell").nth(cell_index(notebook, "test_softmax")).locator(
        ".jp-OutputArea-output").inner_text().strip()
    assert output.startswith("GradingError: ") and output.endswith(SOFTMAX_ADVICE), output
    assert "\n" not in output and "Traceback" not in output, f"not one line:\n{output}"
    assert driver.errors(page) == [output], "another cell failed before the softmax test"


def test_validate_names_the_failing_test_and_its_message(page: Page, lab: Lab) -> None:
    open_with_wrong_softmax(page, lab)
    # Validate saves the notebook first, then has nbgrader validate the saved file.
    page.locator(".jp-NotebookPanel-toolbar .jp-Toolbar-item", has_text="Validate").locator("button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator(".jp-Dialog-header", has_text="Validation Results").wait_for(timeout=driver.TIMEOUT_MS)

    blocks = [" ".join(text.split()) for text in dialog.locator(".jp-Dialog-body pre").all_inner_texts()]
    assert SOFTMAX_TITLE in blocks, f"Validate does not list the softmax test by its title:\n{blocks}"
    message = blocks[blocks.index(SOFTMAX_TITLE) + 1]
    assert message.startswith("GradingError: ") and message.endswith(SOFTMAX_ADVICE), message
    text = dialog.inner_text()
    assert "Traceback" not in text and "g.check(" not in text, f"Validate shows code or a traceback:\n{text}"
