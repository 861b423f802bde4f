"""`jupyter lab` starts on the course with nbgrader's extensions: the real server, headless."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests import course_tools
from tests.lab_server import TOKEN, jupyter_lab

def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory: pytest.TempPathFactory, course: Path):
    """A JupyterLab server on a copy of the course (so the gradebook it creates stays out of the repo)."""
    with jupyter_lab(course, tmp_path_factory.mktemp("home")) as (url, _):
        yield url


def test_lab_serves_with_nbgrader_extension(lab_url: str) -> None:
    status, page = _get(f"{lab_url}/lab?token={TOKEN}")
    assert status == 200, f"/lab answered {status}"
    assert "@jupyter/nbgrader" in page, "JupyterLab does not list nbgrader's lab extension"
    assert "@jupyter-widgets/jupyterlab-manager" in page, "JupyterLab does not list the ipywidgets extension"


def test_formgrader_is_served(lab_url: str) -> None:
    status, body = _get(f"{lab_url}/formgrader/api/assignments?token={TOKEN}")
    assert status == 200, f"formgrader's API answered {status}: nbgrader's server extension is not enabled"
    for assignment_id in course_tools.assignment_ids():
        assert assignment_id in body, f"formgrader does not list {assignment_id}: {body[:300]}"


def test_course_notebooks_are_reachable(lab_url: str) -> None:
    status, listing = _get(f"{lab_url}/api/contents/exercises?token={TOKEN}")
    assert status == 200, f"exercises/ not served: {status}"
    for assignment_id in course_tools.assignment_ids():
        assert assignment_id in listing, f"JupyterLab does not show exercises/{assignment_id}"
