"""Start the student's kernel in a sandbox, and remove every trace of it afterwards.

The kernel runs under well-kept Linux mechanisms, each used where the machine has it:

- **bubblewrap** (``bwrap``): new mount, PID, network, IPC and UTS namespaces. The kernel sees
  read-only the system (``/usr``) and the Python installation only; its working copy of the
  student's files, ``/tmp`` and its home are size-limited tmpfs. It cannot see the course folder
  (``solutions/``, the gradebook, other submissions, the exchange), the installed nbcheck (it gets
  a read-only copy) or the network. When bwrap's parent dies, the sandbox dies with it, and when
  the sandbox's first process ends, the kernel ends every process left in its PID namespace.
- **an unprivileged user**: when the grader runs as root, the kernel runs as a user id of its own
  (one per sandbox running at the same time, from :data:`FIRST_UID`), with no capabilities; as an
  ordinary user, bwrap maps the kernel to that user inside a new user namespace.
- **resource limits** (rlimits, set by :mod:`nbcheck.judge.kernel` before anything else runs):
  memory, processes and threads, CPU seconds, file size, open files.
- **cgroups** (as root, where writable): a memory limit on the sandbox as a whole and a process
  count, and a way to kill every process it started.

Without bubblewrap (macOS, a container that forbids namespaces) the kernel still runs in its own
working copy, with the resource limits, and :func:`capabilities` says what is missing, so the
grader can print a clear warning: the student's code could then read the course folder.

As root with all three, kernels are not started from scratch: a warm :class:`Zygote` (one per
grader process, itself in a sandbox, see :mod:`nbcheck.judge.zygote`) has imported IPython, numpy
and matplotlib once, and forks each kernel, which then makes its own mounts, limits and user id
before any student code runs. A kernel then costs about 0.2 s of CPU to start instead of 0.8 s.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import queue
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import zmq
from jupyter_client import BlockingKernelClient

from nbcheck.judge.agent import AGENT_PORT

FIRST_UID = 400_000      # user ids FIRST_UID ... FIRST_UID + SLOTS - 1 serve the sandboxes of root
SLOTS = 1000
SLOT_DIR = Path("/tmp/nbcheck-sandbox-slots")  # one for the machine, whatever TMPDIR each grader has
INSIDE_SEED, INSIDE_LIB, INSIDE_KERNEL, HOME = "/run/seed", "/run/lib", "/run/kernel", "/home/student"
ZYGOTE_SEEDS, ZYGOTE_LOGS = "/run/seeds", "/run/logs"   # as nbcheck.judge.zygote calls them
# What the kernel can make the grader hold at once: ZeroMQ drops a larger message and queues at most
# this many; printing floods therefore cost the grader well under 100 MB.
LARGEST_MESSAGE = 16 << 20    # bytes: room for the largest reply (nbcheck.judge.wire.MAX_BYTES of arrays)
QUEUED_MESSAGES = 8
HANDSHAKE_WAIT = 1.0   # seconds for the kernel to answer one request for its info, before it is asked again
IOPUB_RETRY = 0.02     # seconds between requests once the kernel answered, until IOPub carries one


@dataclass(frozen=True)
class Limits:
    """What the student's kernel may use (0 means no limit)."""

    memory: int = 2 << 30         # bytes: the whole sandbox with cgroups, else each process (address space)
    processes: int = 64           # processes and threads
    cpu_seconds: int = 600        # CPU time of the kernel process and each process it starts
    file_size: int = 64 << 20     # bytes, the largest file it may write
    open_files: int = 256
    disk: int = 512 << 20         # bytes of its working copy, home and /tmp together (tmpfs)


@dataclass(frozen=True)
class Capabilities:
    """The mechanisms this machine offers, found once per process by :func:`capabilities`."""

    bwrap: str | None
    root: bool
    cgroup: str | None             # "v1", "v2" or None
    missing: tuple[str, ...] = field(default=())


_capabilities: Capabilities | None = None


def capabilities() -> Capabilities:
    """Which sandboxing mechanisms work here, with a sentence for each that does not."""
    global _capabilities
    if _capabilities is None:
        root = os.geteuid() == 0
        bwrap = shutil.which("bwrap")
        missing = []
        if bwrap is None:
            missing.append("bubblewrap (bwrap) is not installed (Debian/Ubuntu: apt install bubblewrap): "
                           "student code can read the course folder and use the network")
        elif subprocess.run([bwrap, "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net",
                             *([] if root else ["--unshare-user"]), "true"], capture_output=True).returncode:
            bwrap = None
            missing.append("bubblewrap cannot create namespaces here (are unprivileged user namespaces "
                           "disabled?): student code can read the course folder and use the network")
        cgroup = _cgroup_version() if root else None
        if cgroup is None:
            missing.append("no writable cgroups (they need root): memory is limited per process, and "
                           "processes are counted but not killed as a group")
        _capabilities = Capabilities(bwrap, root, cgroup, tuple(missing))
    return _capabilities


def _cgroup_version() -> str | None:
    if all(os.access(f"/sys/fs/cgroup/{c}", os.W_OK) for c in ("memory", "pids")):
        return "v1"
    controllers = Path("/sys/fs/cgroup/cgroup.controllers")
    if controllers.exists() and {"memory", "pids"} <= set(controllers.read_text().split()):
        return "v2" if os.access("/sys/fs/cgroup", os.W_OK) else None
    return None


class _Cgroup:
    """A cgroup (v1: one per controller; v2: one) holding one sandbox, removed by :meth:`remove`."""

    def __init__(self, version: str, name: str, limits: Limits) -> None:
        root = Path("/sys/fs/cgroup")
        self.dirs = [root / "memory" / name, root / "pids" / name] if version == "v1" else [root / name]
        for directory in self.dirs:
            directory.mkdir()
        if version == "v1":
            settings = {self.dirs[0] / "memory.limit_in_bytes": limits.memory,
                        self.dirs[1] / "pids.max": limits.processes}
        else:
            settings = {self.dirs[0] / "memory.max": limits.memory, self.dirs[0] / "memory.swap.max": 0,
                        self.dirs[0] / "pids.max": limits.processes}
        for path, value in settings.items():
            if value and path.exists():
                path.write_text(str(value))

    def add(self, pid: int) -> None:
        """Move process ``pid`` (all its threads) into the cgroup."""
        for directory in self.dirs:
            (directory / "cgroup.procs").write_text(str(pid))

    def join_command(self) -> list[str]:
        """A shell prefix that moves itself (and so everything it runs) into the cgroup."""
        joins = "; ".join(f"echo $$ > {d / 'cgroup.procs'}" for d in self.dirs)
        return ["sh", "-c", f'{joins}; exec "$@"', "sh"]

    def out_of_memory(self) -> bool:
        for name in ("memory.oom_control", "memory.events"):
            path = self.dirs[0] / name
            if path.exists():
                for line in path.read_text().splitlines():
                    key, _, value = line.partition(" ")
                    if key == "oom_kill" and int(value or 0) > 0:
                        return True
        return False

    def peak_memory_fraction(self) -> float:
        """The most memory the cgroup has used, as a fraction of its limit (0 where it is not known)."""
        names = [("memory.max_usage_in_bytes", "memory.limit_in_bytes"), ("memory.peak", "memory.max"),
                 ("memory.current", "memory.max")]
        for used, limit in names:
            try:
                return int((self.dirs[0] / used).read_text()) / int((self.dirs[0] / limit).read_text())
            except (OSError, ValueError):  # missing, or "max": no limit
                continue
        return 0.0

    def kill_all(self) -> None:
        """Kill every process in the cgroup, the ones that left the kernel's process group included."""
        for _ in range(100):
            pids = [int(p) for d in self.dirs if (d / "cgroup.procs").exists()
                    for p in (d / "cgroup.procs").read_text().split()]
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)

    def remove(self) -> None:
        self.kill_all()
        for directory in self.dirs:
            try:
                directory.rmdir()
            except OSError:
                pass


class Zygote:
    """The warm process that forks this grader's kernels (:mod:`nbcheck.judge.zygote`), in a sandbox.

    Used when the grader runs as root with bubblewrap and cgroups: the zygote's sandbox is the one
    described above, with the capabilities its children need to set up theirs (mounts, their user
    id) before they drop every one of them. Each process of the grader has one zygote, started on
    first use; it dies with the grader. Its folder on this side holds nbcheck's copy and, while a
    kernel starts, that kernel's seed (connection and files).
    """

    _shared: Zygote | None = None
    _failed: str | None = None

    @classmethod
    def shared(cls) -> Zygote | None:
        """This process's zygote, started if need be; None (with a warning, once) if it cannot start here."""
        if cls._failed is not None:
            return None
        if cls._shared is None or cls._shared.owner != os.getpid() or not cls._shared.alive():
            try:
                cls._shared = Zygote()
            except (OSError, RuntimeError) as error:
                cls._failed = str(error)
                warnings.warn(f"nbcheck's sandbox: the kernels' zygote did not start ({error}); every kernel "
                              "starts as a process of its own instead, which costs about 0.8 s of CPU more", stacklevel=2)
                return None
        return cls._shared

    def __init__(self, startup_timeout: float = 120.0) -> None:
        self.owner = os.getpid()
        self.folder = Path(tempfile.mkdtemp(prefix="nbcheck-zygote-"))
        self.seeds = self.folder / "seeds"
        _copy_read_only_material(self.seeds, self.folder / "lib")
        self.exits: dict[int, int] = {}
        self._started: queue.Queue[int] = queue.Queue()
        self._ready = threading.Event()
        self._lock = threading.Lock()
        info_read, info_write = os.pipe()
        command = _bwrap_command(
            capabilities(), info_write, _environment(sandboxed=True, home=HOME, lib=INSIDE_LIB),
            disk=64 << 20,
            extra=["--as-pid-1", "--perms", "0755", "--dir", "/run", "--ro-bind", str(self.seeds), ZYGOTE_SEEDS,
                   "--ro-bind", str(self.folder / "lib"), INSIDE_LIB,
                   "--perms", "0700", "--size", str(16 << 20), "--tmpfs", ZYGOTE_LOGS,
                   "--perms", "0700", "--dir", INSIDE_KERNEL,
                   *[arg for cap in ("CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_CHOWN")
                     for arg in ("--cap-add", cap)]])
        with open(self.folder / "zygote.log", "wb") as log:
            self.process = subprocess.Popen(command + [sys.executable, "-s", "-m", "nbcheck.judge.zygote"],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                            pass_fds=(info_write,), start_new_session=True)
        os.close(info_write)
        self.host_pid = _read_child_pid(info_read, self._log)
        threading.Thread(target=self._listen, daemon=True).start()
        atexit.register(self.close)
        if not self._ready.wait(startup_timeout) or not self.alive():
            self.close()
            raise RuntimeError(f"the kernels' zygote did not start: {self._log()}")

    def _listen(self) -> None:
        for line in self.process.stdout:
            event, *numbers = line.decode(errors="replace").split()
            if event == "ready":
                self._ready.set()
            elif event == "started":
                self._started.put(int(numbers[0]))
            elif event == "exited":
                self.exits[int(numbers[0])] = int(numbers[1])
        self._ready.set()  # the zygote is gone (or never started): whoever waits for it stops waiting

    def _log(self) -> str:
        return (self.folder / "zygote.log").read_text(errors="replace")[-2000:] if self.folder.exists() else ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self, seed: str, uid: int, limits: dict[str, int], env: dict[str, str], disk: int) -> tuple[int, int]:
        """A new kernel from the seed ``seeds/<seed>``: its PID in the sandbox, and on this side."""
        request = json.dumps({"seed": seed, "uid": uid, "limits": limits, "env": env, "disk": disk})
        with self._lock:
            self.process.stdin.write(request.encode() + b"\n")
            self.process.stdin.flush()
            pid = self._started.get(timeout=30)
        for child in _children(self.host_pid):
            try:
                status = Path(f"/proc/{child}/status").read_text()
            except OSError:
                continue
            if int(status.split("NSpid:")[1].split("\n")[0].split()[-1]) == pid:
                return pid, child
        raise RuntimeError(f"the kernel forked by the zygote (pid {pid} in its sandbox) is gone: {self.log(seed)}")

    def log(self, seed: str) -> str:
        """What the kernel of ``seed`` wrote outside IPython (its start-up errors, say): the last 2000 characters."""
        try:
            with open(f"/proc/{self.host_pid}/root{ZYGOTE_LOGS}/{seed}", "rb") as file:
                return file.read(65536).decode(errors="replace").strip()[-2000:]
        except OSError:
            return ""

    def forget(self, seed: str, pid: int | None) -> None:
        shutil.rmtree(self.seeds / seed, ignore_errors=True)
        try:
            os.unlink(f"/proc/{self.host_pid}/root{ZYGOTE_LOGS}/{seed}")
        except OSError:
            pass
        self.exits.pop(pid, None)

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


class SandboxedKernel:
    """An IPython kernel running the student's code in a sandbox, and a client connected to it.

    As root with bubblewrap and cgroups, the kernel is forked by this grader's :class:`Zygote`;
    otherwise it is a process of its own (:mod:`nbcheck.judge.kernel`), in bubblewrap where there is.

    Args:
        files: the student's files (copied into the kernel's private working directory).
        limits: what the kernel may use.
        env: extra environment variables for the kernel (e.g. NBGRADER_EXECUTION).
        startup_timeout: seconds to wait for the kernel to answer.
    """

    def __init__(self, files: Path, limits: Limits = Limits(), env: dict[str, str] | None = None,
                 startup_timeout: float = 60.0) -> None:
        self.limits, self.capabilities = limits, capabilities()
        caps = self.capabilities
        # A forked kernel mounts a fresh /tmp over the zygote's, which would hide a Python installed under /tmp.
        forkable = caps.root and caps.bwrap and caps.cgroup and not _python_under_tmp()
        self.zygote = Zygote.shared() if forkable else None
        self.seed = (self.zygote.seeds / secrets.token_hex(8) if self.zygote
                     else Path(tempfile.mkdtemp(prefix="nbcheck-seed-")))
        self.slot, self.cgroup, self.process, self.pid = None, None, None, None
        self._output = bytearray()
        try:
            self._start(files, env or {}, startup_timeout)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ starting

    def _start(self, files: Path, env: dict[str, str], startup_timeout: float) -> None:
        caps = self.capabilities
        sandboxed = caps.bwrap is not None
        self.slot = _Slot() if caps.root else None
        connection = {"transport": "ipc", "ip": f"{INSIDE_KERNEL if sandboxed else self.seed}/k",
                      "shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5,
                      "key": secrets.token_hex(32), "signature_scheme": "hmac-sha256", "kernel_name": ""}
        self.seed.mkdir(mode=0o755, exist_ok=True)  # mkdtemp made it already, private: open it to the kernel
        self.seed.chmod(0o755)
        (self.seed / "kernel.json").write_text(json.dumps(connection))
        shutil.copytree(files, self.seed / "files", ignore=shutil.ignore_patterns("*.ipynb"), symlinks=False)
        limits = {k: v for k, v in asdict(self.limits).items() if k != "disk"}
        if caps.cgroup:  # the cgroup bounds the sandbox as a whole; per process, leave room for it
            limits["memory"] = 0
            name = f"nbcheck-{os.getpid()}-{self.slot.number if self.slot else secrets.token_hex(4)}"
            self.cgroup = _Cgroup(caps.cgroup, name, self.limits)
        if self.zygote is not None:
            _make_readable(self.seed)
            self.pid, host = self.zygote.fork(self.seed.name, FIRST_UID + self.slot.number, limits, env,
                                              self.limits.disk)
            self.cgroup.add(host)   # before any of the student's code runs: it runs only once we send it
            ip = f"/proc/{host}/root{INSIDE_KERNEL}/k"
        else:
            ip = self._start_process(env, limits, sandboxed)
        self.client = self._connect({**connection, "ip": ip}, startup_timeout)
        self.agent_address = f"ipc://{ip}-{AGENT_PORT}"   # where the judge's agent answers (nbcheck.judge.agent)

    def _start_process(self, env: dict[str, str], limits: dict[str, int], sandboxed: bool) -> str:
        """Start the kernel as a process of its own; the path of its sockets."""
        _copy_read_only_material(self.seed, self.seed / "lib")
        inside = Path(INSIDE_SEED) if sandboxed else self.seed
        home = HOME if sandboxed else str(self.seed / "home")
        environment = {**_environment(sandboxed, home, INSIDE_LIB if sandboxed else str(self.seed / "lib"),
                                      tmp="/tmp" if sandboxed else str(self.seed / "tmp")), **env}
        work = Path(HOME) / "work" if sandboxed else self.seed / "work"
        command = [sys.executable, "-s", "-m", "nbcheck.judge.kernel", str(inside), str(work), json.dumps(limits)]
        info_read = info_write = None
        if sandboxed:
            info_read, info_write = os.pipe()
            extra = ["--perms", "0755", "--dir", "/run",  # bwrap would make it 0700: closed to the kernel's user
                     "--ro-bind", str(self.seed), INSIDE_SEED, "--ro-bind", str(self.seed / "lib"), INSIDE_LIB,
                     "--perms", "0777", "--size", str(1 << 20), "--tmpfs", INSIDE_KERNEL]
            if self.capabilities.root:
                uid = str(FIRST_UID + self.slot.number)
                extra += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
                          "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all"]
            command = _bwrap_command(self.capabilities, info_write, environment, self.limits.disk, extra) + command
        else:
            for name in ("home", "tmp", "work"):
                (self.seed / name).mkdir()
        if self.cgroup is not None:
            command = self.cgroup.join_command() + command
        self.process = subprocess.Popen(
            command, env=None if sandboxed else environment, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, pass_fds=(info_write,) if sandboxed else (), start_new_session=True)
        threading.Thread(target=self._drain, daemon=True).start()
        if not sandboxed:
            return f"{self.seed}/k"
        os.close(info_write)
        child = _read_child_pid(info_read, self.output)
        return f"/proc/{child}/root{INSIDE_KERNEL}/k"

    def _connect(self, connection: dict[str, Any], timeout: float) -> BlockingKernelClient:
        context = zmq.Context()
        context.setsockopt(zmq.MAXMSGSIZE, LARGEST_MESSAGE)
        context.setsockopt(zmq.RCVHWM, QUEUED_MESSAGES)
        client = BlockingKernelClient(context=context)
        client.load_connection_info(connection)
        client.start_channels(hb=False)  # liveness is the process's, see alive()
        deadline = time.monotonic() + timeout
        while not self._handshake(client, deadline):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the student's kernel did not answer within {timeout:g} s: {self.output()}")
        return client

    def _handshake(self, client: BlockingKernelClient, deadline: float) -> bool:
        """Ask for the kernel's info; True once it answered on shell and IOPub has carried a message.

        IOPub is a subscription that takes a moment to connect, and what the kernel publishes before
        that is lost: so once the kernel answers, it is asked again every IOPUB_RETRY seconds (each
        request makes it publish its status) until a message arrives on IOPub. jupyter_client's
        ``wait_for_ready`` does this with fixed waits (0.2 s sleeps for heartbeats, a 0.2 s flush).
        """
        requests = {client.kernel_info()}
        poller = zmq.Poller()
        channels = {client.shell_channel.socket: client.shell_channel, client.iopub_channel.socket: client.iopub_channel}
        for socket in channels:
            poller.register(socket, zmq.POLLIN)
        answered = connected = False
        give_up = min(deadline, time.monotonic() + HANDSHAKE_WAIT)
        while time.monotonic() < give_up:
            if not self.alive():
                raise RuntimeError(f"the student's kernel did not start: {self.output()}")
            events = poller.poll(timeout=1000 * IOPUB_RETRY if answered else 50)
            for socket, _ in events:
                message = channels[socket].get_msg(timeout=0)
                if channels[socket] is client.iopub_channel:
                    connected = True
                else:
                    answered |= message.get("parent_header", {}).get("msg_id") in requests
            if answered and connected:
                return True
            if answered and not events:
                requests.add(client.kernel_info())
        return False

    def _drain(self) -> None:
        """Keep the first 64 KiB of what the kernel process writes outside IPython (for the grader's log)."""
        while True:
            chunk = self.process.stdout.read1(65536)
            if not chunk:
                return
            if len(self._output) < 65536:
                self._output += chunk[:65536 - len(self._output)]

    def output(self) -> str:
        """What the kernel wrote outside IPython (start-up errors, say), for the grader's log."""
        if self.zygote is not None:
            return self.zygote.log(self.seed.name)
        return self._output.decode(errors="replace").strip()[-2000:]

    # ------------------------------------------------------------------ running

    def _returncode(self) -> int | None:
        """None while the kernel runs; then its exit code, or minus the signal that killed it."""
        if self.zygote is not None:
            status = self.zygote.exits.get(self.pid)
            if status is None:
                return None if self.zygote.alive() else -signal.SIGKILL
            return os.waitstatus_to_exitcode(status)
        return self.process.poll() if self.process is not None else -signal.SIGKILL

    def alive(self) -> bool:
        return (self.process is not None or self.pid is not None) and self._returncode() is None

    def death(self) -> str:
        """Why the kernel process ended, in words for the student."""
        if self.cgroup is not None and self.cgroup.out_of_memory():
            return f"it ran out of memory (the limit is {self.limits.memory / 2**30:g} GB)"
        status = self._returncode()
        if status is None:
            return "it stopped answering"
        if status < 0 or status > 128:
            number = -status if status < 0 else status - 128
            name = {signal.SIGKILL: "SIGKILL: killed, usually for running out of memory",
                    signal.SIGSEGV: "SIGSEGV: a crash in compiled code (a segmentation fault)",
                    signal.SIGXCPU: f"SIGXCPU: it used more than {self.limits.cpu_seconds} s of CPU time",
                    signal.SIGABRT: "SIGABRT: it aborted"}.get(number, f"signal {number}")
            return f"it was killed by {name}"
        return f"the Python process exited (with code {status}: sys.exit or os._exit?)"

    def memory_nearly_full(self) -> bool:
        """Whether the kernel has come within 10 % of its memory limit (known with cgroups only)."""
        return self.cgroup is not None and self.cgroup.peak_memory_fraction() >= 0.9

    def interrupt(self, wait: float) -> None:
        """Ask the kernel to raise KeyboardInterrupt in the running code (over its control channel); wait up
        to ``wait`` seconds for its reply, which it sends once the signal is sent."""
        request = self.client.session.msg("interrupt_request", {})
        self.client.control_channel.send(request)
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            reply = receive(self.client.control_channel, left)
            if reply is not None and reply.get("parent_header", {}).get("msg_id") == request["header"]["msg_id"]:
                return

    def kill(self) -> None:
        """Stop the kernel and everything it started, at once."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        if self.cgroup is not None:
            self.cgroup.kill_all()

    def close(self) -> None:
        """Kill the kernel, then remove its cgroup, its seed and its user id slot."""
        client = getattr(self, "client", None)
        if client is not None:
            client.stop_channels()
            client.context.destroy(linger=0)
        self.kill()
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        if self.slot is not None:
            self.slot.release()
            self.slot = None
        if self.zygote is not None:
            self.zygote.forget(self.seed.name, self.pid)
        shutil.rmtree(self.seed, ignore_errors=True)


def receive(channel: Any, timeout: float) -> dict[str, Any] | None:
    """The next message on one of a kernel client's channels; None if none came within ``timeout`` seconds,
    or if it was not a valid message.

    The student's code can send on the kernel's sockets: a message it signed and sends again (jupyter_client
    refuses a repeated signature) or a broken one is read, dropped, and costs the grader nothing more.
    """
    try:
        message = channel.get_msg(timeout=timeout)
    except queue.Empty:
        return None
    except Exception:  # whatever the deserializer raises for a forged message
        return None
    plain = isinstance(message.get("msg_type"), str) and all(
        isinstance(message.get(part), dict) for part in ("header", "parent_header", "content"))
    return message if plain else None


def _environment(sandboxed: bool, home: str, lib: str, tmp: str = "/tmp") -> dict[str, str]:
    """The kernel's environment variables: nothing of the grader's, one BLAS thread, the inline backend."""
    return {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "PYTHONPATH": lib,
            "HOME": home, "USER": "student", "LOGNAME": "student", "LANG": "C.UTF-8", "TMPDIR": tmp,
            "MPLCONFIGDIR": f"{home}/.config/matplotlib", "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "PYTHONDONTWRITEBYTECODE": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1"}


def _copy_read_only_material(seed: Path, lib: Path) -> None:
    """What every kernel reads: nbcheck's copy in ``lib`` and matplotlib's font cache in ``seed/matplotlib``."""
    import matplotlib
    import nbcheck
    seed.mkdir(mode=0o755, exist_ok=True)
    shutil.copytree(Path(nbcheck.__file__).parent, lib / "nbcheck", ignore=shutil.ignore_patterns("__pycache__"))
    fonts = sorted(Path(matplotlib.get_cachedir()).glob("fontlist-*.json"))
    if fonts:
        (seed / "matplotlib").mkdir()
        shutil.copy(fonts[-1], seed / "matplotlib")
    _make_readable(seed)
    _make_readable(lib)


def _make_readable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def _bwrap_command(caps: Capabilities, info_fd: int, environment: dict[str, str], disk: int,
                   extra: list[str]) -> list[str]:
    """bwrap's arguments: the system read-only, no network, a private /tmp and home of ``disk`` bytes, then ``extra``."""
    args = [caps.bwrap, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox",
            "--info-fd", str(info_fd), "--clearenv"]
    if not caps.root:
        args.append("--unshare-user")
    args += ["--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for path in ("/etc/ld.so.cache", "/etc/localtime", "/etc/fonts", "/etc/alternatives"):
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    args += ["--perms", "1777", "--size", str(disk), "--tmpfs", "/tmp"]  # first: a Python under /tmp stays visible
    for prefix in _python_prefixes():
        if not prefix.startswith("/usr/"):
            args += _parents(prefix) + ["--ro-bind", prefix, prefix]
    installed = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages" / "nbcheck"
    if installed.is_dir():  # a regular install: hidden, the kernel uses its own copy
        args += ["--tmpfs", str(installed)]
    args += ["--perms", "0755", "--dir", "/home",
             "--perms", "0777", "--size", str(disk), "--tmpfs", HOME, "--chdir", HOME]
    for key, value in environment.items():
        args += ["--setenv", key, value]
    return args + extra + ["--"]


def _python_prefixes() -> list[str]:
    """The folders of the Python installation (the virtual environment and the interpreter it comes from)."""
    return sorted({sys.base_prefix, sys.prefix, os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)})


def _python_under_tmp() -> bool:
    return any(Path(prefix).is_relative_to("/tmp") for prefix in _python_prefixes())


def _read_child_pid(fd: int, output: Callable[[], str]) -> int:
    """The host PID of the sandbox's first process, from bwrap's --info-fd."""
    data = b""
    with os.fdopen(fd, "rb") as info:
        while True:
            chunk = info.read1(4096)
            if not chunk:
                break
            data += chunk
            try:
                return int(json.loads(data)["child-pid"])
            except ValueError:
                continue
    raise RuntimeError(f"the sandbox did not start: {output()}")


def _children(pid: int) -> list[int]:
    """The PIDs of ``pid``'s children, as this side sees them."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return children


def _parents(path: str) -> list[str]:
    """bwrap arguments that create ``path``'s parent directories readable by anyone (bwrap makes them 0700)."""
    parts = Path(path).parts[1:-1]
    return [arg for i in range(1, len(parts) + 1) if parts[:i] != ("tmp",)  # /tmp is the sandbox's own, 1777
            for arg in ("--perms", "0755", "--dir", "/" + "/".join(parts[:i]))]


class _Slot:
    """A number no other sandbox on this machine holds at the same time (a lock file held open)."""

    def __init__(self) -> None:
        SLOT_DIR.mkdir(mode=0o700, exist_ok=True)
        for number in range(SLOTS):
            handle = open(SLOT_DIR / f"{number}.lock", "w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            self.number, self._handle = number, handle
            return
        raise RuntimeError(f"more than {SLOTS} sandboxes are running on this machine")

    def release(self) -> None:
        self._handle.close()
