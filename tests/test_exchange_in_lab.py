"""JupyterLab's Assignment List and Formgrader work on the course's exchange, as shipped (the real server).

Out of the box nbgrader's exchange is /usr/local/share/nbgrader/exchange, which does not exist: the
Assignment List showed "Error fetching courses!" and the server logged CRITICAL lines. The course's
nbgrader_config.py makes its own exchange/; these tests release, fetch, submit and list through the
server's REST endpoints (what the Assignment List panel and Formgrader call) and read the server's log.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests import course_tools
from tests.lab_server import TOKEN, jupyter_lab

ASSIGNMENT = "ex1_softmax"
COURSE_ID = "backprop-course"


class Lab:
    """A JupyterLab server on a course copy: JSON requests with the token, and its log."""

    def __init__(self, url: str, log: Path) -> None:
        self.url, self.log = url, log

    def call(self, path: str, data: dict[str, str] | None = None) -> object:
        request = urllib.request.Request(f"{self.url}/{path}", headers={"Authorization": f"token {TOKEN}"},
                                         data=None if data is None else urllib.parse.urlencode(data).encode(),
                                         method="GET" if data is None else "POST")
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("lab")
    course = course_tools.make_course_with(root / "course", ASSIGNMENT)
    home = root / "home"  # the server's user: their own exchange cache, no settings leaking in
    home.mkdir()
    with jupyter_lab(course, home) as (url, log):
        yield Lab(url, log)

def test_release_fetch_submit_collect_through_the_server(lab: Lab) -> None:
    # before anything is released: an empty list, not an error
    assert lab.call("courses") == {"success": True, "value": []}
    assert lab.call(f"assignments?course_id={COURSE_ID}") == {"success": True, "value": []}
    assert lab.call(f"formgrader/api/assignment/{ASSIGNMENT}/release", {})["success"]
    assert lab.call("courses") == {"success": True, "value": [COURSE_ID]}
    fetched = lab.call("assignments/fetch", {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
    assert [entry["status"] for entry in fetched["value"]] == ["fetched"], fetched
    submitted = lab.call("assignments/submit", {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
    assert submitted["success"] and sorted(entry["status"] for entry in submitted["value"]) == ["fetched", "submitted"]
    assert lab.call(f"formgrader/api/assignment/{ASSIGNMENT}/collect", {})["success"]
    assert lab.call(f"formgrader/api/assignment/{ASSIGNMENT}")["num_submissions"] == 1


def test_formgrader_can_release(lab: Lab) -> None:
    listed = {entry["name"]: entry for entry in lab.call("formgrader/api/assignments")}
    assert listed[ASSIGNMENT]["releaseable"], "formgrader finds no working exchange: its Release button is off"


def test_the_server_log_has_no_exchange_error(lab: Lab) -> None:
    lab.call("courses")  # at least one listing, whatever the order the tests ran in
    log = lab.log.read_text()
    assert "exchange directory does not exist" not in log
    bad = [line for line in log.splitlines() if re.match(r"\[[CE] ", line)]
    assert not bad, "the server logged errors:\n" + "\n".join(bad[:10])
