"""Every lecture runs top to bottom in a fresh kernel, as a reader would run it."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests import course_tools

REPO = course_tools.REPO
LECTURES = sorted(REPO.glob("lectures/*.ipynb"))
CELL_BUDGET_SECONDS = 120  # no lecture cell should make a reader wait longer than this


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_lecture_executes(path: Path, request: pytest.FixtureRequest) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=CELL_BUDGET_SECONDS, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, on the first error
    seconds = time.perf_counter() - start
    request.config._notebook_times.append((f"lectures/{path.name}", seconds, CELL_BUDGET_SECONDS))
