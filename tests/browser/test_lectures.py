"""Every lecture runs in JupyterLab, and every control of every widget redraws the picture.

A reader's view: Run All in the browser, then each control of each widget changed twice in a row
(a dropdown's next option, a slider's step down, or up from its lowest value, a click), each change
followed by a new picture whose bytes differ from the one before. The time from the input event to
the new picture is recorded and printed at the end of the run.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest

from nbcheck import widgets as demos
from tests import course_tools
from tests.browser import driver
from tests.browser.driver import Lab

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LECTURES = sorted((course_tools.REPO / "lectures").glob("0*.ipynb"))
DEMOS = [name for name in demos.__all__ if hasattr(getattr(demos, name), "_repr_mimebundle_")]


def demos_called(notebook: nbformat.NotebookNode) -> set[str]:
    """The names of the widget classes that the notebook's code cells call."""
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    return {name for name in DEMOS if re.search(rf"\b{name}\(", code)}


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda path: path.stem)
def test_lecture_runs_and_every_widget_control_redraws(lecture: Path, lab: Lab, page: Page,
                                                       record_latencies: dict[str, list[float]]) -> None:
    notebook = nbformat.read(lecture, as_version=4)
    driver.open_notebook(page, lab, f"lectures/{lecture.name}", len(notebook.cells))
    driver.run_all(page)
    errors = driver.errors(page)
    assert not errors, f"{lecture.name} fails in JupyterLab:\n" + "\n".join(errors)
    not_run = [i for i, prompt in enumerate(driver.prompts(page)) if not re.fullmatch(r"\[\d+\]:", prompt)]
    assert not not_run, f"{lecture.name}: code cells {not_run} (counting code cells only) did not run"

    shown = driver.widgets(page, [cell.source for cell in notebook.cells], DEMOS)
    assert {widget.name for widget in shown} == demos_called(notebook), \
        f"{lecture.name}: the widgets shown are not the ones its cells create"
    for widget in shown:
        assert widget.controls, f"{widget.name} shows no controls"
        driver.operate_all(page, widget)
        record_latencies.setdefault(widget.name, []).extend(widget.latencies_ms)
