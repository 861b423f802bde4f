"""The sandbox of the student's kernel during autograde, tried from inside a real kernel.

Each test starts a SandboxedKernel, runs code in it as a student cell would, and checks what that
code could see and do. Tests that need bubblewrap or cgroups are skipped, with the reason, where
the machine lacks them (the README says how to install bubblewrap).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from nbcheck.judge.sandbox import FIRST_UID, Limits, SandboxedKernel, Zygote, capabilities

CAPS = capabilities()
needs_bwrap = pytest.mark.skipif(CAPS.bwrap is None, reason="bubblewrap (bwrap) is not installed or cannot run here")
needs_cgroup = pytest.mark.skipif(CAPS.cgroup is None, reason="cgroups are not writable here (they need root)")


def run(kernel: SandboxedKernel, code: str, timeout: float = 30.0) -> str:
    """What ``code`` prints in the kernel (stdout and error names), as one string."""
    client = kernel.client
    msg_id = client.execute(code, allow_stdin=False)
    printed = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            message = client.get_iopub_msg(timeout=1)
        except Exception:
            if not kernel.alive():
                return "".join(printed) + "<kernel died>"
            continue
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            printed.append(content["text"])
        elif kind == "error":
            printed.append(f"{content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(printed)
    raise TimeoutError(f"no answer within {timeout} s: {''.join(printed)}")


@pytest.fixture
def student_files(tmp_path: Path) -> Path:
    folder = tmp_path / "submitted" / "alice" / "ex1"
    folder.mkdir(parents=True)
    (folder / "data.csv").write_text("1,2,3\n")
    (folder / "ex1.ipynb").write_text("{\"the autograded notebook\": \"holds the hidden tests\"}")
    (tmp_path / "gradebook.db").write_text("secret grades")
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "answers.txt").write_text("secret answers")
    return folder


@pytest.fixture
def kernel(student_files: Path):
    kernel = SandboxedKernel(student_files, Limits(memory=1 << 30, processes=48, file_size=8 << 20, disk=64 << 20),
                             env={"NBGRADER_EXECUTION": "autograde"})
    yield kernel
    kernel.close()


def test_the_kernel_gets_the_students_files_but_not_the_notebook(kernel: SandboxedKernel) -> None:
    out = run(kernel, "import os; print(sorted(os.listdir('.')), open('data.csv').read().strip(), "
                      "os.environ['NBGRADER_EXECUTION'])")
    assert out.strip() == "['data.csv'] 1,2,3 autograde"


@needs_bwrap
def test_the_course_folder_and_the_grader_are_out_of_reach(kernel: SandboxedKernel, student_files: Path) -> None:
    course = student_files.parents[2]
    import nbcheck
    out = run(kernel, f"""
import os
for path in [{str(course / 'gradebook.db')!r}, {str(course / 'solutions' / 'answers.txt')!r},
             {str(student_files / 'ex1.ipynb')!r}, {nbcheck.__file__!r}, '/root/.bashrc', '/etc/shadow']:
    try:
        open(path).read(); print('READ', path)
    except OSError as error:
        print(type(error).__name__)
print(os.path.exists({str(course)!r}), os.getppid(), len([p for p in os.listdir('/proc') if p.isdigit()]) < 10)
""")
    assert "READ" not in out, out
    assert out.strip().endswith("False 1 True"), out  # a PID namespace of its own: the grader is not visible


@needs_bwrap
def test_the_kernel_has_no_network(kernel: SandboxedKernel) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        out = run(kernel, f"""
import socket
for address in [("127.0.0.1", {port}), ("pypi.org", 443)]:
    try:
        socket.create_connection(address, timeout=2); print("CONNECTED", address)
    except OSError as error:
        print(type(error).__name__)
""")
        server.settimeout(0.2)
        with pytest.raises(OSError):
            server.accept()
    assert "CONNECTED" not in out, out


@needs_bwrap
def test_the_kernel_runs_as_an_unprivileged_user(kernel: SandboxedKernel) -> None:
    uid = int(run(kernel, "import os; print(os.getuid())"))
    assert uid != 0
    if CAPS.root:
        assert FIRST_UID <= uid < FIRST_UID + 1000
    caps = run(kernel, "print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])")
    assert int(caps, 16) == 0


def test_nbcheck_is_a_read_only_copy(kernel: SandboxedKernel) -> None:
    out = run(kernel, """
import nbcheck, os
path = os.path.join(os.path.dirname(nbcheck.__file__), 'grading', 'checks.py')
try:
    open(path, 'a').write('# changed'); print('WROTE')
except OSError as error:
    print(type(error).__name__)
""")
    if CAPS.bwrap:
        assert "WROTE" not in out
    import nbcheck
    assert "# changed" not in (Path(nbcheck.__file__).parent / "grading" / "checks.py").read_text()


def test_memory_is_limited(kernel: SandboxedKernel) -> None:
    out = run(kernel, "import numpy as np\ntry:\n    x = np.ones(300_000_000)\n    print('ALLOCATED', x.sum())\n"
                      "except MemoryError:\n    print('MemoryError')")
    assert "ALLOCATED" not in out


def test_files_are_limited_in_size(kernel: SandboxedKernel) -> None:
    out = run(kernel, "try:\n    open('big', 'wb').write(b'0' * (20 << 20)); print('WROTE')\n"
                      "except OSError as error:\n    print(error.strerror)")
    assert "File too large" in out


def test_processes_are_limited(kernel: SandboxedKernel) -> None:
    out = run(kernel, """
import subprocess
children = []
try:
    for _ in range(200):
        children.append(subprocess.Popen(['sleep', '30']))
    print('STARTED', len(children))
except OSError as error:
    print('stopped after', len(children), type(error).__name__)
""")
    assert "STARTED" not in out, out


def test_nothing_survives_the_sandbox(kernel: SandboxedKernel) -> None:
    marker = f"nbcheck-test-{os.getpid()}-{time.monotonic_ns()}"
    run(kernel, f"""
import os, subprocess, sys
sleeper = [sys.executable, '-c', 'import time; time.sleep(300)', '{marker}']
subprocess.Popen(sleeper, start_new_session=True)
if os.fork() == 0:  # a daemon of its own session, as a process that hides from its parent would
    os.setsid()
    os.execv(sys.executable, sleeper)
open('/tmp/{marker}', 'w').write('left behind')
""")
    time.sleep(0.5)
    seed = kernel.seed
    running = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
    assert running, "the test's processes did not start"
    kernel.close()
    time.sleep(0.3)
    assert subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split() == []
    assert not seed.exists() and not Path(f"/tmp/{marker}").exists()


@needs_cgroup
def test_a_cgroup_holds_the_sandbox_and_is_removed(kernel: SandboxedKernel) -> None:
    directories = list(kernel.cgroup.dirs)
    assert all(d.exists() for d in directories)
    kernel.close()
    assert not any(d.exists() for d in directories)


@needs_cgroup
@needs_bwrap
def test_kernels_forked_one_after_another_share_nothing(student_files: Path) -> None:
    """As root, kernels are forked by one warm zygote: the next student's kernel finds nothing of the last
    one's, nor the folder the files came from, and cannot reach the zygote."""
    first = SandboxedKernel(student_files, Limits(disk=64 << 20))
    if first.zygote is None:
        first.close()
        pytest.skip("no zygote on this machine (it needs root, bubblewrap, cgroups and a Python outside /tmp)")
    try:
        run(first, "import os\nopen('/tmp/left', 'w').write('x'); open(os.path.expanduser('~/left'), 'w').write('x')")
    finally:
        first.close()
    second = SandboxedKernel(student_files, Limits(disk=64 << 20))
    try:
        assert second.zygote is first.zygote
        out = run(second, """
import os, signal
print(os.path.exists('/tmp/left'), os.path.exists(os.path.expanduser('~/left')))
for path in ['/run/seeds', '/run/logs', '/proc/1/root/run/seeds']:
    try:
        print(sorted(os.listdir(path)))
    except OSError as error:
        print(type(error).__name__)
for attempt in [lambda: open('/proc/1/environ').read(), lambda: os.kill(1, signal.SIGKILL)]:
    try:
        attempt(); print('REACHED THE ZYGOTE')
    except OSError as error:
        print(type(error).__name__)
""")
        assert out.split("\n")[:6] == ["False False", "PermissionError", "PermissionError", "PermissionError",
                                       "PermissionError", "PermissionError"], out
        assert second.zygote.alive()
    finally:
        second.close()


def test_without_the_zygote_each_kernel_is_a_process_of_its_own(student_files: Path, monkeypatch) -> None:
    """Where the zygote cannot run (no root, no cgroups, a Python under /tmp), kernels start the plain way."""
    monkeypatch.setattr(Zygote, "_failed", "switched off by the test")
    kernel = SandboxedKernel(student_files, Limits(disk=64 << 20), env={"NBGRADER_EXECUTION": "autograde"})
    try:
        assert kernel.zygote is None
        out = run(kernel, "import os; print(sorted(os.listdir('.')), os.environ['NBGRADER_EXECUTION'])")
        assert out.strip() == "['data.csv'] autograde"
    finally:
        kernel.close()
