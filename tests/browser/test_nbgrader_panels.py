"""nbgrader's panels in JupyterLab work on the course out of the box: Formgrader and the Assignment List.

The course's nbgrader_config.py sets up the exchange for one machine, so after the instructor
releases ex1_softmax, Formgrader shows it released and a student's Assignment List offers it, can
fetch it, and neither shows an error (no "Error fetching courses!", no "exchange directory does not
exist") nor makes the server log one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests import course_tools
from tests.browser import driver
from tests.browser.driver import Lab

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ERRORS = re.compile(r"error|does not exist|could not be created|unwritable", re.IGNORECASE)
SERVER_ERRORS = re.compile(r"^\[[CE] ", re.MULTILINE)  # the server's CRITICAL and ERROR log lines


@pytest.fixture(scope="module")
def released(lab: Lab) -> Path:
    """The course copy, with ex1_softmax released through nbgrader's exchange by the instructor."""
    course_tools.run_nbgrader(lab.root, "release_assignment", "ex1_softmax")
    return lab.root


def open_lab(page: Page, lab: Lab) -> None:
    page.goto(f"{lab.url}/lab?reset&token={driver.TOKEN}")
    page.locator(".lm-MenuBar-item", has_text="Nbgrader").wait_for(timeout=driver.TIMEOUT_MS)


def server_errors(lab: Lab, offset: int) -> list[str]:
    log = lab.log_from(offset)
    return [log[match.start():].splitlines()[0] for match in SERVER_ERRORS.finditer(log)]


def test_formgrader_lists_every_assignment_without_errors(page: Page, lab: Lab, released: Path) -> None:
    offset = lab.log.stat().st_size
    open_lab(page, lab)
    driver.menu(page, "Nbgrader", "Formgrader")
    formgrader = page.frame_locator("#formgrader iframe")
    rows = formgrader.locator("tr", has=formgrader.locator("td", has_text="ex1_softmax"))
    rows.first.wait_for(timeout=driver.TIMEOUT_MS)

    assert "released" in rows.first.inner_text(), f"ex1_softmax is not shown released: {rows.first.inner_text()}"
    text = formgrader.locator("body").inner_text()
    for assignment_id in course_tools.assignment_ids():
        assert assignment_id in text, f"Formgrader does not list {assignment_id}"
    assert not ERRORS.search(text), f"Formgrader shows an error:\n{text}"
    assert not server_errors(lab, offset), "\n".join(server_errors(lab, offset))


def test_assignment_list_offers_the_released_assignment_without_errors(page: Page, lab: Lab,
                                                                     released: Path) -> None:
    offset = lab.log.stat().st_size
    open_lab(page, lab)
    driver.menu(page, "Nbgrader", "Assignment List")
    panel = page.locator("#nbgrader-assignment-list")
    offered = panel.locator("#released_assignments_list .list_item", has_text="ex1_softmax")
    offered.wait_for(timeout=driver.TIMEOUT_MS)
    assert not ERRORS.search(panel.inner_text()), f"the Assignment List shows an error:\n{panel.inner_text()}"
    assert "backprop-course" in panel.locator("#course_list_default").inner_text()

    offered.get_by_role("button", name="Fetch").click()
    fetched = panel.locator("#fetched_assignments_list .list_item", has_text="ex1_softmax")
    fetched.first.wait_for(timeout=driver.TIMEOUT_MS)
    assert not ERRORS.search(panel.inner_text()), f"the Assignment List shows an error:\n{panel.inner_text()}"
    assert not server_errors(lab, offset), "\n".join(server_errors(lab, offset))
