"""`jupyter lab` starts on the course with nbgrader's extensions: the real server, headless."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests import course_tools

TOKEN = "course-test-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory: pytest.TempPathFactory, course: Path):
    """A JupyterLab server on a copy of the course (so the gradebook it creates stays out of the repo)."""
    port = _free_port()
    home = tmp_path_factory.mktemp("home")  # no user settings leak in
    log = (home / "lab.log").open("w+")  # a file, not a pipe: a full pipe would stall the server
    env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={course}",
         *(["--allow-root"] if os.geteuid() == 0 else [])],  # CI containers run as root
        cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                log.seek(0)
                pytest.fail(f"jupyter lab exited with {server.returncode}:\n{log.read()}")
            try:
                if _get(f"{url}/api/status?token={TOKEN}")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        else:
            pytest.fail("jupyter lab did not answer within 60 s")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


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
