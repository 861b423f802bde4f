"""Entry point of the student's kernel during autograde: ``python -m nbcheck.judge.kernel SEED WORK LIMITS``.

Runs inside the sandbox (:mod:`nbcheck.judge.sandbox`), first thing in the new process: it sets the
resource limits (they bind every process the student's code starts), copies the student's files
from the read-only seed into the private working directory, and starts an IPython kernel with the
judge's agent loaded (:mod:`nbcheck.judge.agent`).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sys

LIMITS = {"memory": resource.RLIMIT_AS, "processes": resource.RLIMIT_NPROC, "cpu_seconds": resource.RLIMIT_CPU,
          "file_size": resource.RLIMIT_FSIZE, "open_files": resource.RLIMIT_NOFILE}


def apply_limits(limits: dict[str, int]) -> None:
    """Set each limit as both soft and hard, so the student's code cannot raise it again."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for name, value in limits.items():
        if value:
            resource.setrlimit(LIMITS[name], (value, value))


def main(seed: str, work: str, limits: str) -> None:
    apply_limits(json.loads(limits))
    # A file larger than the limit fails with "File too large" instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    os.makedirs(work, exist_ok=True)
    shutil.copytree(os.path.join(seed, "files"), work, dirs_exist_ok=True)
    if os.path.isdir(os.path.join(seed, "matplotlib")):  # its font cache: no rebuild at every start
        shutil.copytree(os.path.join(seed, "matplotlib"), os.environ["MPLCONFIGDIR"], dirs_exist_ok=True)
    os.chdir(work)
    from ipykernel.kernelapp import IPKernelApp
    IPKernelApp.launch_instance(argv=["-f", os.path.join(seed, "kernel.json"), "--quiet",
                                      "--HistoryManager.hist_file=:memory:"],
                                extensions=["nbcheck.judge.agent"])


if __name__ == "__main__":
    main(*sys.argv[1:4])
