"""The judge's session with a real sandboxed kernel: a fault costs only what it hit, and the rest goes on.

These drive :class:`nbcheck.judge.session.Session` directly, as JudgedExecute does during autograde,
with short limits so that hangs cost a second, not a minute. The same behaviour through nbgrader
itself is covered by the hostile corpus (tests/test_hostile.py).
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

import numpy as np
import pytest

from nbcheck import grading as g
from nbcheck.judge.sandbox import Limits, capabilities
from nbcheck.judge.session import Budget, Session

FUNCTIONS = """
import os, signal, sys
import numpy as np

def double(x):
    return 2 * x

def hang(x):
    while True:
        pass

def stubborn(x):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        pass

def leave(x):
    os._exit(3)

def hoard_then_hang(x):
    kept = np.ones((1 << 30) // 8 * 93 // 100)  # 93 % of the kernel's 1 GB, then a loop
    while True:
        pass

def shout(x):
    while True:
        print("x" * 10_000)

class Tensor:
    def __init__(self, data):
        self.data = np.asarray(data, dtype=float)
        self.grad = np.zeros_like(self.data)

    def __mul__(self, other):
        return Tensor(self.data * (other.data if isinstance(other, Tensor) else other))

    __rmul__ = __mul__

    def sum(self):
        return Tensor(self.data.sum())

    def backward(self):
        raise ValueError("backward on a non-scalar")
"""


@pytest.fixture
def session(tmp_path: Path):
    session = Session(tmp_path, Limits(memory=1 << 30), Budget(cell_timeout=3, notebook_timeout=120, test_timeout=30,
                                                               output_bytes=200_000))
    outputs, _ = session.run_cell(FUNCTIONS)
    assert not [o for o in outputs if o["output_type"] == "error"], outputs
    yield session
    session.close()


def call(session: Session, name: str, *args, time_limit: float = 1.0, **kwargs):
    with session.test_cell():
        return g.student_function(name, time_limit=time_limit)(*args, **kwargs)


def test_a_call_returns_plain_data(session: Session) -> None:
    assert np.array_equal(call(session, "double", np.arange(3.0)), [0.0, 2.0, 4.0])
    with pytest.raises(g.GradingError, match="`missing` is not defined"):
        call(session, "missing")


def test_an_endless_loop_is_interrupted_and_the_kernel_kept(session: Session) -> None:
    with pytest.raises(g.GradingError, match=r"`hang` did not finish within 1 s"):
        call(session, "hang", 1)
    assert session.generation == 1 and call(session, "double", 2) == 4


@pytest.mark.skipif(not capabilities().cgroup, reason="memory use is known with cgroups only (they need root)")
def test_a_call_that_times_out_with_its_memory_full_is_told_so(session: Session) -> None:
    with pytest.raises(g.GradingError, match=r"`hoard_then_hang` used all the memory it may have \(1 GB\) and did "
                                             r"not finish within 8 s"):
        call(session, "hoard_then_hang", 1, time_limit=8.0)


def test_a_loop_that_ignores_interrupts_costs_a_restart_and_the_cells_are_replayed(session: Session) -> None:
    with pytest.raises(g.GradingError, match="did not stop when interrupted, so the kernel was restarted"):
        call(session, "stubborn", 1)
    assert call(session, "double", 2) == 4 and session.generation == 2


def test_a_call_that_ends_the_process_is_named(session: Session) -> None:
    with pytest.raises(g.GradingError, match=r"`leave` stopped the Python process.*exited \(with code 3"):
        call(session, "leave", 1)
    assert call(session, "double", 3) == 6


def test_a_cell_that_kills_the_kernel_is_left_out_of_the_replay(session: Session) -> None:
    outputs, _ = session.run_cell("import os\nos._exit(0)")
    assert outputs[0]["ename"] == "KernelLost" and "exited" in outputs[0]["evalue"]
    outputs, _ = session.run_cell("print(double(21))")
    assert outputs == [{"output_type": "stream", "name": "stdout", "text": "42\n"}]
    assert session.generation == 2


def test_a_cell_that_runs_too_long_is_interrupted(session: Session) -> None:
    start = time.monotonic()
    outputs, _ = session.run_cell("while True:\n    pass")
    assert outputs[-1]["ename"] == "TimeoutError" and time.monotonic() - start < 10
    assert call(session, "double", 1) == 2 and session.generation == 1


def test_output_is_kept_up_to_the_budget_and_the_grader_stays_small(session: Session) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    outputs, _ = session.run_cell("for i in range(3000):\n    print('y' * 10_000)")
    kept = sum(len(o.get("text", "")) for o in outputs)
    assert kept < 250_000 and "Output stopped" in outputs[-1].get("text", ""), [o["output_type"] for o in outputs]
    with pytest.raises(g.GradingError, match="did not finish"):
        call(session, "shout", 1, time_limit=2.0)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before  # kilobytes
    assert grown < 100_000, f"the judge grew by {grown / 1e3:.0f} MB while the student printed"


BREAK_THE_AGENT = {
    "comm removed": "get_ipython().kernel.comm_manager.unregister_target('nbcheck.judge', None)\n"
                    "get_ipython().kernel.comm_manager.comms.clear()",
    "socket closed": "import gc\nfrom nbcheck.judge.agent import Agent\n"
                     "[a.socket.close() for a in gc.get_objects() if isinstance(a, Agent)]",
}


@pytest.mark.parametrize("attack", BREAK_THE_AGENT.values(), ids=BREAK_THE_AGENT.keys())
def test_a_broken_agent_fails_fast(session: Session, attack: str) -> None:
    session.run_cell(attack)
    start = time.monotonic()
    with pytest.raises(g.GradingError, match="stopped the grader from calling it"):
        call(session, "double", 1, time_limit=5.0)
    assert time.monotonic() - start < 3


def test_a_flood_of_kernel_messages_does_not_hold_up_the_time_limit(session: Session) -> None:
    # Signed once and sent over and over: far faster than the judge can check and read messages.
    session.run_cell("import threading\nkernel = get_ipython().kernel\n"
                     "frames = kernel.session.serialize(kernel.session.msg('stream', {'name': 'stdout', 'text': 'x'}))\n"
                     "def flood():\n    while True:\n        kernel.iopub_socket.send_multipart(frames)\n"
                     "threading.Thread(target=flood, daemon=True).start()")
    assert call(session, "double", 2) == 4
    start = time.monotonic()
    with pytest.raises(g.GradingError, match="did not finish within 1 s"):
        call(session, "hang", 1)
    assert time.monotonic() - start < 4


def test_forged_kernel_messages_are_dropped(session: Session) -> None:
    """The student's code holds the kernel's key: what it signs may say anything, and is read as untrusted."""
    outputs, _ = session.run_cell(
        "kernel = get_ipython().kernel\n"
        "forged = [('stream', {'name': [], 'text': 5}), ('error', {'ename': 1, 'traceback': 'x'}),\n"
        "          ('display_data', {'data': [], 'metadata': 3}), ('status', b'[\"idle\"]')]\n"
        "for kind, content in forged:\n"
        "    message = kernel.session.msg(kind, {}, parent=kernel.get_parent())\n"
        "    message['content'] = content\n"
        "    kernel.iopub_socket.send_multipart(kernel.session.serialize(message))\n"
        "print('kept')")
    assert outputs == [{"output_type": "stream", "name": "stdout", "text": "kept\n"}]
    assert call(session, "double", 3) == 6


def test_a_result_that_breaks_the_agent_costs_only_its_call(session: Session) -> None:
    session.run_cell("class Unreadable(list):\n    def __iter__(self):\n        raise RuntimeError('no')\n"
                     "def unreadable():\n    return Unreadable([1, 2])")
    with pytest.raises(g.GradingError, match="`unreadable` raised RuntimeError: no"):
        call(session, "unreadable")
    assert call(session, "double", 4) == 8


def test_calls_and_cells_take_turns_in_one_kernel(session: Session) -> None:
    """The agent serves the calls between two cells, and stops serving so that the next cell runs."""
    for k in range(5):
        outputs, _ = session.run_cell(f"counter = {k}\nprint(counter)")
        assert outputs == [{"output_type": "stream", "name": "stdout", "text": f"{k}\n"}]
        assert call(session, "double", k) == 2 * k and call(session, "double", -k) == -2 * k
    assert session.generation == 1


def test_objects_are_used_through_the_students_class(session: Session) -> None:
    with session.test_cell():
        Tensor = g.student_class("Tensor")
        a = Tensor(np.array([1.0, 2.0]))
        b = (a * a * 3).sum()
        assert isinstance(b, g.StudentObject) and repr(b) == "<Tensor made by your code>"
        assert float(b.data) == 15.0 and np.array_equal(a.grad, [0.0, 0.0])
        with pytest.raises(g.GradingError, match=r"`Tensor.backward` raised ValueError: backward on a non-scalar"):
            b.backward()
    session.run_cell("import os\nos._exit(1)")
    with session.test_cell(), pytest.raises(g.GradingError, match="lost when the kernel restarted"):
        a * 2


def test_the_notebook_budget_stops_everything_after_it(tmp_path: Path) -> None:
    session = Session(tmp_path, budget=Budget(cell_timeout=5, notebook_timeout=2))
    try:
        session.run_cell("import time\ntime.sleep(3)")
        outputs, _ = session.run_cell("print('late')")
        assert "Grading stopped" in outputs[0]["evalue"]
        with session.test_cell(), pytest.raises(g.GradingError, match="was not called"):
            g.student_function("anything")
    finally:
        session.close()
