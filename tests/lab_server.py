"""A real JupyterLab server for the tests: a free port, a token, a home of its own, its log in a file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

TOKEN = "course-test-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def jupyter_lab(root: Path, home: Path, timeout: float = 120) -> Iterator[tuple[str, Path]]:
    """Serve ``root`` with JupyterLab until the block ends; yields its URL and its log file.

    ``home`` becomes the server's HOME and Jupyter config folder, and no JUPYTER* variable of the
    caller leaks in, so the user's settings and nbgrader exchange stay out of the test.
    """
    log_path = home / "lab.log"
    env = {name: value for name, value in os.environ.items() if not name.startswith("JUPYTER")}
    env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    port = _free_port()
    with log_path.open("w") as log:  # a file, not a pipe: a full pipe would stall the server
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
             f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
             *(["--allow-root"] if os.geteuid() == 0 else [])],  # CI containers run as root
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if server.poll() is not None:
                pytest.fail(f"jupyter lab exited with {server.returncode}:\n{log_path.read_text()}")
            try:
                urllib.request.urlopen(urllib.request.Request(
                    f"{url}/api/status", headers={"Authorization": f"token {TOKEN}"}), timeout=10).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not answer within {timeout:g} s:\n{log_path.read_text()}")
                time.sleep(0.3)
        yield url, log_path
    finally:
        server.terminate()
        server.wait(timeout=60)
