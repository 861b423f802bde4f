"""Fixtures of the browser tests: the real JupyterLab on a copy of the course, driven by Chromium.

Chromium comes from the system's packages (``apt install chromium``) and Playwright for Python
drives it; ``playwright install`` (which downloads a browser of its own) is not needed. Without
either, every browser test is skipped with a reason naming what is missing.

One JupyterLab server and one browser serve all the browser tests; each test gets a fresh page,
and the kernels it started are shut down after it, so the next test starts on a quiet machine.
"""

from __future__ import annotations

import json
import shutil
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import course_tools
from tests.browser.driver import Lab
from tests.lab_server import jupyter_lab

VIEWPORT = {"width": 1280, "height": 1000}  # a laptop screen
# JupyterLab's settings for the tests: every cell stays in the page (no virtual scrolling, so every
# output can be found), and no update check that would reach for the network.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"checkForUpdates": False},
}
LOG_LINES = 80  # of the server's log, shown under a failed browser test
LATENCIES = pytest.StashKey[dict[str, list[float]]]()  # widget -> ms from a control change to its new picture


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the real JupyterLab in Chromium (skipped without it)")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    latencies = config.stash.get(LATENCIES, {})
    if latencies:
        terminalreporter.section("widget latency in the browser (control change to new picture)")
        for name, values in latencies.items():
            terminalreporter.write_line(f"{name}: {len(values)} changes, median {statistics.median(values):.0f} ms, "
                                        f"max {max(values):.0f} ms")


@pytest.fixture(scope="session", autouse=True)
def playwright_api() -> Any:
    """Playwright's synchronous API; skips every browser test when Playwright or Chromium is missing."""
    api = pytest.importorskip("playwright.sync_api",
                              reason="Playwright is not installed: pip install -r requirements.txt")
    if shutil.which("chromium") is None:
        pytest.skip("Chromium is not installed: apt-get install chromium (see the README, 'Browser tests')")
    return api


@pytest.fixture(scope="package")
def browser(playwright_api: Any) -> Iterator[Any]:
    """Headless Chromium from the system's packages. Package-scoped: Playwright's synchronous API keeps an
    event loop running in the main thread, which would make every later test see a running loop."""
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"))
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def lab(tmp_path_factory: pytest.TempPathFactory, course: Path) -> Iterator[Lab]:
    """JupyterLab on a copy of the course (the session's, made by make_course) with the lectures added."""
    root = tmp_path_factory.mktemp("browser") / "course"
    shutil.copytree(course, root, ignore=shutil.ignore_patterns("submitted", "autograded", "feedback", "exchange"))
    shutil.copytree(course_tools.REPO / "lectures", root / "lectures")
    home = tmp_path_factory.mktemp("home")  # no user settings leak in
    for name, settings in LAB_SETTINGS.items():
        path = home / ".jupyter" / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    with jupyter_lab(root, home) as (url, log):
        yield Lab(url, root, log)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """A failed browser test's report ends with the server's log (kernels' stderr included)."""
    report = yield
    lab = getattr(item, "funcargs", {}).get("lab")
    if report.failed and isinstance(lab, Lab) and lab.log.exists():
        tail = lab.log.read_text(errors="replace").splitlines()[-LOG_LINES:]
        report.sections.append((f"JupyterLab's log, last {len(tail)} lines", "\n".join(tail)))
    return report


@pytest.fixture
def page(browser: Any, lab: Lab) -> Iterator[Any]:
    """A fresh browser page; afterwards, the kernels the test started are shut down."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    yield page
    context.close()
    for session in lab.api("GET", "sessions"):
        lab.api("DELETE", f"sessions/{session['id']}")


@pytest.fixture
def record_latencies(request: pytest.FixtureRequest) -> dict[str, list[float]]:
    """Where a test puts each widget's latencies (ms), printed at the end of the run."""
    return request.config.stash.setdefault(LATENCIES, {})
