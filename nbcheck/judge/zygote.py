"""A warm process that forks the students' kernels: ``python -m nbcheck.judge.zygote``.

Starting an IPython kernel costs about 0.8 s of CPU, most of it importing IPython, ipykernel,
numpy and matplotlib. The zygote imports them once, inside a sandbox
(:class:`nbcheck.judge.sandbox.Zygote` starts it), before it has seen any student's files, and
then forks one kernel per request. The child, before any student code runs:

1. takes a private mount namespace with fresh tmpfs for its home, ``/tmp`` and its sockets, copies
   the student's files into its home and hides the folder they came from and the kernels' logs;
2. sets its resource limits, drops to the user id it was given, with no capabilities and no way to
   gain any (``no_new_privs``), and dies with the zygote;
3. starts the IPython kernel with the judge's agent, as :mod:`nbcheck.judge.kernel` does.

The zygote itself never runs a student's code. It reads one JSON request per line on stdin and
writes one line per event on stdout: ``started <pid>`` after a fork, ``exited <pid> <status>``
when a kernel has ended (pids as the sandbox sees them; status as ``os.waitpid`` gives it).
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import select
import shutil
import signal
import sys
import traceback
from typing import Any

from nbcheck.judge.kernel import apply_limits
from nbcheck.judge.sandbox import HOME, INSIDE_KERNEL as KERNEL, ZYGOTE_LOGS as LOGS, ZYGOTE_SEEDS as SEEDS

CLONE_NEWNS = 0x00020000
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x4000, 0x40000
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
# What a kernel imports before it runs a cell: the kernel (with its debugger, which brings debugpy and pydevd,
# and IPython's magics), the plotting backend, numpy and the judge's agent. Imported here, none of it is paid
# again per kernel: the kernel's own start-up then takes ~0.03 s instead of ~0.2 s.
WARM_MODULES = ("ipykernel.kernelapp", "ipykernel.debugger", "IPython.core.debugger", "IPython.core.completerlib",
                "IPython.extensions.storemagic", "sqlite3", "psutil", "matplotlib.pyplot",
                "matplotlib_inline.backend_inline", "numpy", "nbcheck.grading", "nbcheck.judge.agent")
_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _mount_tmpfs(target: str, size: int, mode: str) -> None:
    options = f"size={size},mode={mode}".encode()
    _check(_libc.mount(b"tmpfs", target.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options), f"mount {target}")


def become_kernel(request: dict[str, Any]) -> None:
    """In the forked child: isolate, copy the student's files, drop privileges, run the kernel. Never returns."""
    seed, uid, disk = os.path.join(SEEDS, request["seed"]), int(request["uid"]), int(request["disk"])
    log = os.open(os.path.join(LOGS, request["seed"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.setsid()
    _check(_libc.unshare(CLONE_NEWNS), "unshare")
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
    connection = open(os.path.join(seed, "kernel.json")).read()
    _mount_tmpfs("/tmp", disk, "1777")
    _mount_tmpfs(HOME, disk, "0700")
    _mount_tmpfs(KERNEL, 1 << 20, "0700")
    work = os.path.join(HOME, "work")
    shutil.copytree(os.path.join(seed, "files"), work)
    os.makedirs(os.environ["MPLCONFIGDIR"], exist_ok=True)
    with open(os.path.join(KERNEL, "kernel.json"), "w") as file:
        file.write(connection)
    _mount_tmpfs(SEEDS, 4096, "0000")   # the folder the files came from, and other kernels' logs: gone
    _mount_tmpfs(LOGS, 4096, "0000")
    for folder in (HOME, KERNEL):
        for root, directories, files in os.walk(folder):
            for name in [root, *(os.path.join(root, f) for f in directories + files)]:
                os.chown(name, uid, uid)
    apply_limits(request["limits"])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a file past the limit fails with "File too large"
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # from root to another user: every capability is dropped
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")
    os.environ.update(request["env"])   # over the zygote's own, which bwrap made from nothing
    os.chdir(work)
    from ipykernel.kernelapp import IPKernelApp
    IPKernelApp.launch_instance(argv=["-f", os.path.join(KERNEL, "kernel.json"), "--quiet",
                                      "--HistoryManager.hist_file=:memory:"],
                                extensions=["nbcheck.judge.agent"])


def serve() -> None:
    """Fork a kernel for each request on stdin; report each start and each end on stdout."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    requests = os.fdopen(0, "r")
    while True:
        ready, _, _ = select.select([requests, wake_read], [], [])
        if wake_read in ready:
            os.read(wake_read, 4096)
            _reap()
        if requests in ready:
            line = requests.readline()
            if not line:  # the judge is gone
                return
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.close(wake_read)
                os.close(wake_write)
                try:
                    become_kernel(json.loads(line))
                except BaseException:  # noqa: BLE001  (the judge reads it in the kernel's log)
                    traceback.print_exc()
                    sys.stderr.flush()
                os._exit(70)
            _say(f"started {pid}")


def _reap() -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _say(f"exited {pid} {status}")


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> None:
    # Everything a kernel imports anyway, imported once here: a fork then starts a kernel for a fraction
    # of the cost. matplotlib reads its font cache (copied from the seeds: no rebuild) and its backend now.
    fonts = os.path.join(SEEDS, "matplotlib")
    if os.path.isdir(fonts):
        shutil.copytree(fonts, os.environ["MPLCONFIGDIR"], dirs_exist_ok=True)
    for module in WARM_MODULES:
        importlib.import_module(module)
    _say("ready")
    serve()


if __name__ == "__main__":
    main()
