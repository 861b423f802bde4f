"""What one call from the judge into the student's kernel costs: the agent's socket against a comm round trip.

    python bench/judge_calls.py [--calls 1000] [--rounds 5]

A notebook's tests make 80-220 calls into the student's kernel during autograde (a lookup, a loss
evaluation of a gradient check, one step of a schedule), so their fixed cost is paid a few hundred
thousand times for a class. In one sandboxed kernel, in one process, alternating A B A B:

- **agent**: what the judge does (:class:`nbcheck.judge.session.Session`): a call of a notebook
  function with a (50, 3) array, over the agent's own ZeroMQ socket, answered in the kernel's main
  thread while it serves;
- **comm (baseline)**: the same array sent as a comm message to a target that echoes it back, as the
  judge's calls went before: through the kernel's message handling, its threads and its status
  messages on IOPub.

It prints, per call, the median wall time and CPU time (the judge's process and the kernel's, all
its threads; the kernel's only where cgroups name its process), and the ratio comm / agent.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nbcheck import grading  # noqa: E402
from nbcheck.grading import calls  # noqa: E402
from nbcheck.judge.session import Session  # noqa: E402

NOTEBOOK = '''
def identity(x):
    return x

def echo(comm, message):
    comm.on_msg(lambda message: comm.send(message["content"]["data"], buffers=message["buffers"]))

get_ipython().kernel.comm_manager.register_target("echo", echo)
'''


def kernel_cpu(session: Session) -> float:
    """CPU seconds of the kernel's processes (all their threads), or NaN when no cgroup names them."""
    if session.kernel.cgroup is None:
        return float("nan")
    seconds = 0.0
    for pid in (session.kernel.cgroup.dirs[0] / "cgroup.procs").read_text().split():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        seconds += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def timed(session: Session, calls_: int, one_call) -> tuple[float, float]:
    """(wall, CPU of judge and kernel) per call, in ms."""
    kernel, judge, wall = kernel_cpu(session), time.process_time(), time.perf_counter()
    for _ in range(calls_):
        one_call()
    wall, judge = time.perf_counter() - wall, time.process_time() - judge
    return 1e3 * wall / calls_, 1e3 * (judge + kernel_cpu(session) - kernel) / calls_


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        session = Session(Path(folder))
        try:
            session.run_cell(NOTEBOOK)
            token = calls.judge.set(session)
            try:
                results = compare(session, options)
            finally:
                calls.judge.reset(token)
        finally:
            session.close()
    print(f"{options.calls} calls x {options.rounds} rounds, one (50, 3) float64 array each way; medians per call:")
    medians = {name: [statistics.median(r[k] for r in rounds) for k in (0, 1)] for name, rounds in results.items()}
    for name, (wall, cpu) in medians.items():
        print(f"  {name:6s} wall {wall:.3f} ms, CPU (judge + kernel) {cpu:.3f} ms")
    print(f"  comm / agent: wall {medians['comm'][0] / medians['agent'][0]:.1f}x, "
          f"CPU {medians['comm'][1] / medians['agent'][1]:.1f}x")


def compare(session: Session, options: argparse.Namespace) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) per call of each path, for each round."""
    client = session.kernel.client
    echo_id = uuid.uuid4().hex
    client.shell_channel.send(client.session.msg("comm_open", {"comm_id": echo_id, "target_name": "echo", "data": {}}))
    x = np.random.default_rng(0).normal(size=(50, 3))
    identity = grading.student_function("identity", time_limit=10)

    def agent_call() -> None:
        assert identity(x).shape == x.shape

    def comm_call() -> None:
        message = client.session.msg("comm_msg", {"comm_id": echo_id, "data": {"shape": list(x.shape)}})
        client.session.send(client.shell_channel.socket, message, buffers=[x.tobytes()])
        while True:
            reply = client.get_iopub_msg(timeout=10)
            if reply["msg_type"] == "comm_msg" and reply["parent_header"].get("msg_id") == message["header"]["msg_id"]:
                return

    results: dict[str, list[tuple[float, float]]] = {"agent": [], "comm": []}
    for round_ in range(options.rounds + 1):  # the first round warms both paths up, and is dropped
        session.run_cell("pass")  # the kernel takes comm messages once the agent's serve has returned
        comm = timed(session, options.calls, comm_call)
        agent = timed(session, options.calls, agent_call)
        if round_:
            results["comm"].append(comm)
            results["agent"].append(agent)
    return results


if __name__ == "__main__":
    main()
