"""One notebook's grading session on the judge's side: the student's kernel, and calls into it.

:class:`Session` runs the student's cells in a :class:`~nbcheck.judge.sandbox.SandboxedKernel`
and serves the test cells' calls (:func:`nbcheck.grading.student_function`) by sending them to the
judge's agent in that kernel. It keeps the rules that make a fault cost only what it hit:

- every cell and every call has a time limit, measured here, outside the student's process; on
  expiry the kernel is interrupted, and killed if it does not stop within a second;
- when the kernel dies (``os._exit``, a crash, memory, a kill), the session starts a new one and
  replays the student's cells run so far, silently, before the next cell or call;
- output is kept up to :attr:`Budget.output_bytes` for the whole notebook; what comes after is
  read and thrown away, with a note in the cell where it happened;
- the whole notebook has a time budget; past it, nothing more of the student's code runs.

Nothing the kernel sends is trusted: replies are decoded into plain data (:mod:`nbcheck.judge.wire`).
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq

from nbcheck.grading import calls
from nbcheck.grading.calls import StudentObject
from nbcheck.grading.errors import GradingError
from nbcheck.judge import wire
from nbcheck.judge.agent import TARGET
from nbcheck.judge.sandbox import QUEUED_MESSAGES, Limits, SandboxedKernel, receive

POLL = 0.05       # seconds between checks that the kernel is still alive
GRACE = 1.0       # seconds an interrupted kernel gets to stop before it is killed
REPLY_GRACE = 0.5  # seconds to wait for a cell's last outputs once the kernel has replied


@dataclass(frozen=True)
class Budget:
    """Time and output allowed to one notebook."""

    cell_timeout: float = 60.0           # seconds per student cell
    notebook_timeout: float = 600.0      # seconds for the whole notebook, tests included
    test_timeout: float = 120.0          # seconds per test cell, all its calls together
    output_bytes: int = 1 << 20          # output kept for the whole notebook
    restarts: int = 5                    # kernel restarts before grading gives up on the kernel


class AgentGone(Exception):
    """The agent stopped serving before it answered: the student's code broke it, or an interrupt ended it."""


class KernelLost(Exception):
    """The kernel died, or was killed after a time limit; ``reason`` says why, for the student."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Session:
    """Runs one student's notebook: student cells in the sandboxed kernel, calls from the test cells.

    Args:
        files: the student's assignment folder (notebooks are not copied into the sandbox).
        limits, budget: what the kernel and the notebook may use.
        env: extra environment variables for the kernel.
    """

    def __init__(self, files: Path, limits: Limits = Limits(), budget: Budget = Budget(),
                 env: dict[str, str] | None = None) -> None:
        self.files, self.limits, self.budget, self.env = files, limits, budget, env or {}
        self.started = time.monotonic()
        self.kernel: SandboxedKernel | None = None
        self.generation = 0          # how many kernels this session has started
        self.history: list[str] = []   # student cells that ran (and did not kill the kernel), for replay
        self.output_used = 0
        self.test_deadline = float("inf")
        self.comm_id = ""
        self.agent: zmq.Socket | None = None   # the agent's socket in the kernel
        self.serving: str | None = None       # the msg_id of the serve request the agent is answering under
        self.request_ids = itertools.count(1)
        self.lost: str | None = None  # why the last kernel ended, until a new one starts
        self.notebook_sources: list[str] = []   # the student's code cells, for checks of how code is written
        self.local_modules = {p.stem: p.name for p in files.glob("*.py")}
        self.kernel_seconds = 0.0     # spent starting kernels (for the grader's log)

    # ------------------------------------------------------------------ the kernel

    def close(self) -> None:
        if self.kernel is not None:
            self._end_kernel()

    def _end_kernel(self) -> None:
        """Close the kernel (its ZeroMQ context, and the agent's socket with it)."""
        self.kernel.close()
        self.kernel, self.agent, self.serving = None, None, None

    def _live_kernel(self) -> SandboxedKernel:
        """The kernel, started (and the student's cells replayed) if there is none."""
        if self.kernel is not None and self.kernel.alive():
            return self.kernel
        if self.kernel is not None:
            self._end_kernel()
        if self.generation > self.budget.restarts:
            raise KernelLost(f"the kernel was restarted {self.budget.restarts} times; grading gave up on it")
        self.generation += 1
        start = time.monotonic()
        self.kernel = SandboxedKernel(self.files, self.limits, self.env)
        self.kernel_seconds += time.monotonic() - start
        self.comm_id = uuid.uuid4().hex
        client = self.kernel.client
        client.shell_channel.send(client.session.msg("comm_open", {
            "comm_id": self.comm_id, "target_name": TARGET, "data": {}}))
        self.agent = client.context.socket(zmq.PAIR)
        self.agent.setsockopt(zmq.LINGER, 0)
        self.agent.connect(self.kernel.agent_address)
        for source in list(self.history):
            try:
                self._execute(source, discard=True)
            except KernelLost:  # a cell that kills the kernel again is left out from now on
                self.history.remove(source)
                return self._live_kernel()
        return self.kernel

    def remaining(self) -> float:
        return self.budget.notebook_timeout - (time.monotonic() - self.started)

    # ------------------------------------------------------------------ student cells

    def run_cell(self, source: str) -> tuple[list[dict[str, Any]], int | None]:
        """Run one of the student's cells; returns its outputs (nbformat dicts) and execution count."""
        if self.remaining() <= 0:
            return [_error("TimeoutError", f"Grading stopped: the notebook ran for more than "
                                           f"{self.budget.notebook_timeout:g} s in all.")], None
        try:
            self._live_kernel()
            outputs, count, finished = self._execute(source, discard=False)
        except KernelLost as lost:
            return [_error("KernelLost", f"This cell stopped the kernel: {lost.reason}. The cells after it ran "
                                         "in a new kernel, without it.")], None
        if finished:  # a cell that had to be interrupted is not run again after a restart
            self.history.append(source)
        return outputs, count

    def _execute(self, source: str, discard: bool) -> tuple[list[dict[str, Any]], int | None, bool]:
        self._stop_serving()  # the kernel runs the cell once the agent's serve has returned
        client = self.kernel.client
        msg_id = client.execute(source, store_history=not discard, allow_stdin=False, stop_on_error=False)
        outputs: list[dict[str, Any]] = []
        deadline = time.monotonic() + min(self.budget.cell_timeout, max(self.remaining(), 1.0))
        idle, reply = False, None
        for message in self._messages(lambda: deadline, msg_id):
            kind = message["msg_type"]
            if kind == "execute_reply":
                reply = message["content"]
                # Its outputs follow within moments; a flood may have cost the connection some of them.
                deadline = min(deadline, time.monotonic() + REPLY_GRACE)
            elif kind == "status":
                idle = message["content"].get("execution_state") == "idle"
            elif not discard:
                self._record(outputs, message)
            if idle and reply is not None:
                break
        if reply is not None:
            if not idle and not discard:  # ZeroMQ dropped a message too large to keep: say so
                outputs.append(_output_note("some of this cell's output was lost: it printed more in a moment than "
                                            "the grader takes in"))
            count = reply.get("execution_count")
            return outputs, count if isinstance(count, int) else None, True
        if not self._stop(msg_id):
            raise KernelLost(f"it did not finish within {self.budget.cell_timeout:g} s and did not stop when "
                             "interrupted")
        outputs.append(_error("TimeoutError", f"This cell did not finish within {self.budget.cell_timeout:g} s "
                                              "and was interrupted."))
        return outputs, None, False

    def _messages(self, deadline: Callable[[], float], parent: str) -> Iterator[dict[str, Any]]:
        """iopub messages and the shell reply caused by ``parent``, until ``deadline()``.

        Raises KernelLost when the kernel dies meanwhile.
        """
        client = self.kernel.client
        while time.monotonic() < deadline():
            if not self.kernel.alive():
                self._lose()
            for channel in (client.shell_channel, client.iopub_channel):
                message = receive(channel, 0 if channel is client.shell_channel else POLL)
                if message is not None and message.get("parent_header", {}).get("msg_id") == parent:
                    yield message

    def _stop(self, msg_id: str) -> bool:
        """Interrupt the kernel; kill it if it is still busy after GRACE. True if it survived."""
        self.kernel.interrupt(GRACE)  # returns once the signal is sent: it lands in this cell, not in what follows
        try:
            limit = time.monotonic() + GRACE
            for message in self._messages(lambda: limit, msg_id):
                if message["msg_type"] == "status" and message["content"].get("execution_state") == "idle":
                    return True
        except KernelLost:
            return False
        self.kernel.kill()
        return False

    def _lose(self) -> None:
        self.lost = self.kernel.death()
        self._end_kernel()
        raise KernelLost(self.lost)

    def _record(self, outputs: list[dict[str, Any]], message: dict[str, Any]) -> None:
        """Add an output message to ``outputs``, within the notebook's output budget."""
        kind, content = message["msg_type"], message["content"]
        if kind == "clear_output":
            outputs.clear()
            return
        if kind not in ("stream", "display_data", "execute_result", "error"):
            return
        if self.output_used > self.budget.output_bytes:
            return
        output = _plain_output(kind, content)
        if output is None:  # a message the student's code forged, with fields of the wrong types
            return
        self.output_used += len(output.get("text", "")) + sum(len(str(v)) for v in output.get("data", {}).values()) \
            + sum(len(line) for line in output.get("traceback", []))
        if self.output_used > self.budget.output_bytes:
            outputs.append(_output_note(f"the notebook printed more than {self.budget.output_bytes >> 10} KiB; the "
                                        "rest was not kept"))
            return
        if kind == "stream" and outputs and outputs[-1]["output_type"] == "stream" \
                and outputs[-1]["name"] == output["name"]:
            outputs[-1]["text"] += output["text"]
        else:
            outputs.append(output)

    # ------------------------------------------------------------------ calls from the test cells

    @contextmanager
    def test_cell(self) -> Iterator[None]:
        """While a test cell runs: its calls go to this session, within the test cell's time budget."""
        self.test_deadline = time.monotonic() + self.budget.test_timeout
        token = calls.judge.set(self)
        try:
            yield
        finally:
            calls.judge.reset(token)
            self.test_deadline = float("inf")

    def function(self, name: str, time_limit: float | None, wrap_objects: bool) -> Callable[..., Any]:
        """The student's function (or class) ``name``, as the test cells call it."""
        found = self.request({"op": "lookup", "name": name}, (), {}, time_limit, f"`{name}`")
        if not found.get("defined"):
            raise GradingError(calls.not_defined_message(name))
        if not found.get("callable"):
            raise GradingError(calls.not_callable_message(name, found.get("type", "value")))
        return RemoteCaller(self, name, {"op": "call", "name": name}, time_limit, wrap_objects)

    def runner(self, path: str, label: str, time_limit: float | None) -> Callable[..., Any]:
        """nbcheck's function ``path``, run in the student's kernel with the notebook's namespace first;
        messages call it ``label``."""
        return RemoteCaller(self, label, {"op": "runner", "path": path}, time_limit, wrap_objects=True)

    def request(self, request: dict[str, Any], args: tuple, kwargs: dict[str, Any], time_limit: float | None,
                label: str) -> dict[str, Any]:
        """Send one request to the agent and return its reply, with ``value`` decoded."""
        limit = min(time_limit or float("inf"), self.test_deadline - time.monotonic(), self.remaining())
        if limit <= 0:
            raise GradingError(f"{label} was not called: the tests of this cell used up their "
                               f"{self.budget.test_timeout:g} s, or the notebook its {self.budget.notebook_timeout:g} s.")
        try:
            self._live_kernel()
        except KernelLost as lost:
            raise GradingError(f"{label} could not be called: {lost.reason}.") from None
        arguments, buffers = wire.encode([_handles(list(args), self.generation), _handles(kwargs, self.generation)])
        request_id = next(self.request_ids)
        if not self._send({**request, "args": arguments["$list"][0], "kwargs": arguments["$list"][1],
                           "id": request_id}, buffers):
            raise GradingError(self._agent_gone(label))
        try:
            reply, reply_buffers = self._reply(request_id, limit, label)
        except KernelLost as lost:
            raise GradingError(self._crash_message(label, lost.reason)) from None
        if reply.get("interrupted"):  # the interrupt after the time limit reached the call
            raise GradingError(self._timed_out(label, limit))
        if reply.get("ok"):
            try:
                reply["value"] = wire.decode(reply.get("value"), reply_buffers, self._handle)
            except wire.WireError as error:
                raise GradingError(f"{label} returned something that cannot be checked: {error}.") from None
        return reply

    # ------------------------------------------------------------------ the agent's socket

    def _send(self, tree: dict[str, Any], buffers: Sequence[bytes] = ()) -> bool:
        """Send a request to the agent, asking it to serve first if it is not; False if its queue is full."""
        if self.serving is None:
            client = self.kernel.client
            message = client.session.msg("comm_msg", {"comm_id": self.comm_id, "data": {"op": "serve"}})
            message["content"]["data"]["serve"] = self.serving = message["header"]["msg_id"]
            client.shell_channel.send(message)
        try:  # never waits: an agent that no longer reads (see AgentGone) must not stop the grader
            self.agent.send_multipart([json.dumps({**tree, "serve": self.serving}).encode(), *buffers],
                                      flags=zmq.NOBLOCK)
        except zmq.Again:
            return False
        return True

    def _stop_serving(self) -> None:
        """Tell the agent to stop serving, so that the kernel takes the next message on its shell channel."""
        if self.serving is not None:
            self._send({"op": "stop"})
            self.serving = None

    def _reply(self, request_id: int, limit: float, label: str) -> tuple[dict[str, Any], list[bytes]]:
        try:
            reply = self._await_reply(request_id, time.monotonic() + limit)
        except AgentGone:
            raise GradingError(self._agent_gone(label)) from None
        if reply is not None:
            return reply
        message = self._timed_out(label, limit)  # before the kernel is stopped: it may be killed
        if self._interrupt(request_id):
            raise GradingError(message)
        raise GradingError(f"{message} It did not stop when interrupted, so the kernel was restarted and your "
                           "cells were run again for the tests after this one.")

    def _await_reply(self, request_id: int, deadline: float) -> tuple[dict[str, Any], list[bytes]] | None:
        """The reply to ``request_id`` with its buffers, or None at ``deadline``.

        Raises AgentGone if the agent stops serving first, KernelLost if the kernel dies.
        """
        iopub = self.kernel.client.iopub_channel
        poller = zmq.Poller()
        poller.register(self.agent, zmq.POLLIN)
        poller.register(iopub.socket, zmq.POLLIN)
        while (left := deadline - time.monotonic()) > 0:
            if not self.kernel.alive():
                self._lose()
            ready = dict(poller.poll(1000 * min(left, POLL)))
            if self.agent in ready:
                frames = self.agent.recv_multipart()
                try:
                    reply = json.loads(frames[0])
                except (ValueError, RecursionError):
                    continue
                if isinstance(reply, dict) and reply.get("id") == request_id:
                    return reply, frames[1:]
            # The calls' output, and the kernel's status. A few at a time: a flood must not keep this loop from
            # its deadline.
            for _ in range(QUEUED_MESSAGES if iopub.socket in ready else 0):
                message = receive(iopub, 0)
                if message is None:
                    continue
                if message["msg_type"] == "status" and message["content"].get("execution_state") == "idle" \
                        and message.get("parent_header", {}).get("msg_id") == self.serving:
                    self.serving = None
                    raise AgentGone
        return None

    def _interrupt(self, request_id: int) -> bool:
        """Interrupt the call ``request_id``; kill the kernel if it does not end within GRACE. True if it survived."""
        self.kernel.interrupt(GRACE)  # returns once the signal is sent: it then lands in this serve, not the next
        try:
            if self._await_reply(request_id, time.monotonic() + GRACE) is None:
                self.kernel.kill()
                return False
        except AgentGone:   # the interrupt came as the call returned, and ended the serve instead
            return True
        except KernelLost:
            return False
        self._stop_serving()  # in case the interrupt lands after the reply, in the serve
        return True

    def _agent_gone(self, label: str) -> str:
        return (f"{label} could not be called: the code in your notebook stopped the grader from calling it (did it "
                "change IPython's kernel or its comms?).")

    def _timed_out(self, label: str, seconds: float) -> str:
        """Why ``label`` did not finish in time: a loop, or all of its memory used (the kernel then crawls)."""
        if self.kernel is not None and self.kernel.memory_nearly_full():
            return (f"{label} used all the memory it may have ({self.limits.memory / 2**30:g} GB) and did not finish "
                    f"within {seconds:g} s. Look for an array far larger than the inputs, or a list that keeps "
                    "growing.")
        return calls.timeout_message(label, seconds)

    def _crash_message(self, label: str, reason: str) -> str:
        return (f"{label} stopped the Python process that runs your notebook: {reason}. The tests after this one "
                "ran in a new kernel, in which your cells were run again.")

    def _handle(self, tree: dict[str, Any]) -> StudentObject:
        handle = wire.Handle(tree["$handle"], str(tree.get("type", "object")), "", self.generation)
        return StudentObject(RemoteObject(self, handle, f"{handle.type}"))


class RemoteCaller:
    """Calls a function, class or method in the student's kernel, with the messages of local calls."""

    def __init__(self, session: Session, name: str, request: dict[str, Any], time_limit: float | None,
                 wrap_objects: bool) -> None:
        self.session, self.name, self.request = session, name, request
        self.time_limit, self.wrap_objects = time_limit, wrap_objects
        self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        reply = self.session.request({**self.request, "check_inputs": True}, args, kwargs, self.time_limit,
                                     f"`{self.name}`")
        return _result(reply, self.name, args, kwargs, self.time_limit)


class RemoteObject:
    """The operations :class:`StudentObject` needs, on an object that stays in the student's kernel."""

    def __init__(self, session: Session, handle: wire.Handle, label: str) -> None:
        self.session, self.handle, self.label = session, handle, label

    @property
    def type_name(self) -> str:
        return self.handle.type

    def attribute(self, name: str) -> Any:
        label = f"{self.label}.{name}"
        reply = self.session.request({"op": "getattr", "handle": self.handle.id, "attribute": name},
                                     (), {}, calls.DEFAULT_TIME_LIMIT, f"`{label}`")
        value = _result(reply, label, (), {}, calls.DEFAULT_TIME_LIMIT)
        if isinstance(value, StudentObject) and isinstance(value._target, RemoteObject):
            value._target.label = label  # a bound method is named after what it belongs to
        return value

    def call(self, args: tuple, kwargs: dict[str, Any]) -> Any:
        return RemoteCaller(self.session, self.label, {"op": "call", "handle": self.handle.id},
                            calls.DEFAULT_TIME_LIMIT, wrap_objects=True)(*args, **kwargs)

    def operator(self, name: str, args: tuple) -> Any:
        types = [a._target.type_name if isinstance(a, StudentObject) else type(a).__name__ for a in args]
        label = calls.OPERATOR_SYMBOLS[name].format(*types)
        reply = self.session.request({"op": "operator", "name": name}, args, {}, calls.DEFAULT_TIME_LIMIT,
                                     f"`{label}`")
        return _result(reply, label, args, {}, calls.DEFAULT_TIME_LIMIT)

    def describe(self) -> str:
        return f"<{self.handle.type} made by your code>"


def _handles(value: Any, generation: int) -> Any:
    """``value`` with each StudentObject replaced by the handle of its object in the kernel, and each
    of the notebook's functions by a reference to it."""
    if isinstance(value, RemoteCaller) and "name" in value.request:
        return wire.Reference(value.request["name"])
    if isinstance(value, StudentObject) and isinstance(value._target, RemoteObject):
        if value._target.handle.generation != generation:
            raise GradingError(f"{value!r} was lost when the kernel restarted.")
        return value._target.handle
    if isinstance(value, (list, tuple)):
        return type(value)(_handles(v, generation) for v in value)
    if isinstance(value, dict):
        return {k: _handles(v, generation) for k, v in value.items()}
    return value


def _result(reply: dict[str, Any], name: str, args: tuple, kwargs: dict[str, Any], time_limit: float | None) -> Any:
    """The value of a reply, or the GradingError that says why there is none."""
    if reply.get("ok"):
        return reply["value"]
    if "gone" in reply:
        raise GradingError(calls.not_defined_message(name) if "." not in name else
                           f"`{name}` could not be reached: the object was lost when the kernel restarted.")
    if "modified" in reply:
        raise GradingError(calls.modified_message(name, str(reply["modified"])))
    failure = reply.get("failure") if isinstance(reply.get("failure"), dict) else {}
    failure = {"type": str(failure.get("type", "Exception")), "message": str(failure.get("message", ""))[:2000],
               "culprit": str(failure.get("culprit", "")), "line": str(failure.get("line", ""))[:300],
               "function": str(failure.get("function", ""))}
    raise GradingError(calls.failure_message(name, failure, calls.describe_arguments(args, kwargs)))


def _plain_output(kind: str, content: dict[str, Any]) -> dict[str, Any] | None:
    """The nbformat output of an output message, or None if its fields are not of the types nbformat needs."""
    if kind == "stream":
        name, text = content.get("name"), content.get("text")
        ok = name in ("stdout", "stderr") and isinstance(text, str)
        return {"output_type": "stream", "name": name, "text": text} if ok else None
    if kind == "error":
        fields = [content.get("ename", ""), content.get("evalue", "")]
        traceback = content.get("traceback", [])
        ok = all(isinstance(v, str) for v in fields) and isinstance(traceback, list) \
            and all(isinstance(line, str) for line in traceback)
        return {"output_type": "error", "ename": fields[0], "evalue": fields[1], "traceback": traceback} if ok else None
    data, metadata = content.get("data", {}), content.get("metadata", {})
    if not (isinstance(data, dict) and isinstance(metadata, dict) and all(isinstance(k, str) for k in data)):
        return None
    output = {"output_type": kind, "data": data, "metadata": metadata}
    if kind == "execute_result":
        count = content.get("execution_count")
        output["execution_count"] = count if isinstance(count, int) else None
    return output


def _output_note(why: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": f"\n[Output stopped: {why}.]\n"}


def _error(name: str, message: str) -> dict[str, Any]:
    return {"output_type": "error", "ename": name, "evalue": message, "traceback": [f"{name}: {message}"]}
