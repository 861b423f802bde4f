"""The judge's agent inside the student's kernel: it calls the student's code when the judge asks.

Loaded as an IPython extension when the sandboxed kernel starts (:mod:`nbcheck.judge.kernel`), it
registers the comm target ``nbcheck.judge``. The judge sends it one comm message, ``serve``, before
the calls of its tests: the agent then answers requests on a ZeroMQ socket of its own, in the
kernel's main thread, until the judge says ``stop`` (before it runs the next student cell). A call
sent as a comm message goes through the kernel's message handling, its threads and its status
messages: 1.8 ms of CPU, judge and kernel together; over the socket, 0.34 ms
(``python bench/judge_calls.py``). A notebook's tests make 80 to 220 calls.

Each request names an operation: look up a name, call a function (by name or by handle), read an
attribute, or apply an operator; the arguments are plain data and handles (:mod:`nbcheck.judge.wire`).
The reply is the result as plain data, the handles of objects that are not plain data, or a
description of what went wrong.

A *runner* (``{"op": "runner", "path": "nbcheck...."}``) is a function of nbcheck's that the judge
asks to run here, with the notebook's namespace as its first argument: it can drive the student's
code through many steps (building a long computation graph, say) in one request.

Nothing here is trusted. The student's code runs in this process and can change any of it; what
the agent replies is only ever treated as the student's answer, checked by the judge in its own
process.
"""

from __future__ import annotations

import importlib
import itertools
import json
import operator
import signal
import sys
from typing import Any

import zmq

from nbcheck.grading.calls import describe_failure, modified_argument, snapshot
from nbcheck.judge import wire

TARGET = "nbcheck.judge"
OPERATORS = {"add", "sub", "mul", "truediv", "matmul", "pow", "getitem", "neg"}
AGENT_PORT = 6   # the agent's socket is <ip>-6 beside the kernel's own, <ip>-1 ... <ip>-5
OUTPUT_LIMIT = 2 << 20   # characters each cell may print; the judge keeps 1 MiB for the whole notebook anyway


class CappedOutput:
    """stdout or stderr that passes on at most OUTPUT_LIMIT characters per cell, then drops the rest.

    The kernel sends what a cell prints in one message every 0.2 s; capped, no message grows so
    large that the judge must refuse it (it would lose the cell's reply with it).
    """

    def __init__(self, stream: Any) -> None:
        self.stream, self.written = stream, 0

    def write(self, text: str) -> int:
        room = OUTPUT_LIMIT - self.written
        if room > 0:
            self.stream.write(text[:room])
            if len(text) >= room:
                self.stream.write(f"\n[Output stopped: this cell printed more than {OUTPUT_LIMIT >> 20} MiB.]\n")
        self.written += len(text)
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class Agent:
    """Serves the judge's requests against the notebook namespace ``namespace``."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.namespace = namespace
        self.objects: dict[int, Any] = {}
        self.ids = itertools.count(1)
        self.socket: zmq.Socket | None = None

    def bind(self, context: zmq.Context, address: str) -> None:
        """Open the socket the judge's requests come on, at ``address``."""
        self.socket = context.socket(zmq.PAIR)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.bind(address)

    def serve(self, serve_id: str) -> None:
        """Answer the requests that carry ``serve_id``, until one says stop.

        Runs inside the kernel's handler of the ``serve`` comm message, so an interrupt from the judge
        raises KeyboardInterrupt here as it would in a cell. Requests of an earlier serve (one the judge
        gave up on) are dropped unanswered.
        """
        while self.socket is not None:
            frames = self.socket.recv_multipart()
            try:
                request = json.loads(frames[0])
            except ValueError:
                continue
            if not isinstance(request, dict) or request.get("serve") != serve_id:
                continue
            if request.get("op") == "stop":
                return
            try:
                reply, buffers = self.handle(request, frames[1:])
            except Exception as error:  # the student's objects can make the agent's own steps raise (a copy, say)
                reply, buffers = {"ok": False, "failure": describe_failure(error)}, []
            self.send({"id": request.get("id"), **reply}, buffers)

    def send(self, reply: dict[str, Any], buffers: list[bytes]) -> None:
        """Send a reply whole: an interrupt between its frames would leave half a message on the socket,
        which the next reply would complete."""
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self.socket.send_multipart([json.dumps(reply).encode(), *buffers])
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    def handle(self, request: dict[str, Any], buffers: list[bytes]) -> tuple[dict[str, Any], list[bytes]]:
        """The reply (tree, buffers) to one request."""
        try:
            op = request["op"]
            if op == "release":
                for handle_id in request.get("handles", []):
                    self.objects.pop(handle_id, None)
                return {"ok": True, "value": None}, []
            if op == "lookup":
                return self.lookup(request["name"]), []
            args = wire.decode(request.get("args", {"$list": []}), buffers, self.resolve)
            kwargs = wire.decode(request.get("kwargs", {"$dict": []}), buffers, self.resolve)
            if op == "call":
                function = self.target(request)
                if "method" in request:
                    function = getattr(function, request["method"])
            elif op == "operator" and request.get("name") in OPERATORS:
                function = getattr(operator, request["name"])
            elif op == "getattr":
                function, args = getattr, [self.target(request), request["attribute"]]
            elif op == "runner":
                function = self.resolve({"$ref": request["path"]})
                args = [self.namespace, *args]
            else:
                return {"ok": False, "failure": {"type": "ProtocolError", "message": f"unknown request {op!r}"}}, []
        except LookupError as error:
            return {"ok": False, "gone": str(error)}, []
        except Exception as error:  # a malformed request: the judge's fault, or a tampered agent
            return {"ok": False, "failure": {"type": "ProtocolError", "message": str(error)[:500]}}, []
        return self.call(function, args, kwargs, check_inputs=request.get("check_inputs", False))

    def call(self, function: Any, args: list[Any], kwargs: dict[str, Any],
             check_inputs: bool) -> tuple[dict[str, Any], list[bytes]]:
        # A runner's first argument is the notebook's namespace: the student's code may change it freely.
        before = [None if arg is self.namespace else snapshot(arg) for arg in list(args) + list(kwargs.values())] \
            if check_inputs else []
        try:
            result = function(*args, **kwargs)
        except KeyboardInterrupt:
            return {"ok": False, "interrupted": True}, []
        except BaseException as error:  # SystemExit and friends are the student's doing too
            return {"ok": False, "failure": describe_failure(error)}, []
        if check_inputs:
            argument = modified_argument(function, args, kwargs, before)
            if argument is not None:
                return {"ok": False, "modified": argument}, []
        try:
            tree, buffers = wire.encode(result, keep=self.keep)
        except wire.WireError as error:
            return {"ok": False, "failure": {"type": "ValueError", "message": f"the result cannot be checked: {error}"}}, []
        return {"ok": True, "value": tree}, buffers

    def lookup(self, name: str) -> dict[str, Any]:
        if name not in self.namespace:
            return {"ok": True, "value": None, "defined": False}
        value = self.namespace[name]
        return {"ok": True, "value": None, "defined": True, "callable": callable(value), "type": type(value).__name__}

    def target(self, request: dict[str, Any]) -> Any:
        if "name" in request:
            return self.namespace[request["name"]]
        return self.resolve({"$handle": request["handle"]})

    def resolve(self, tree: dict[str, Any]) -> Any:
        if "$ref" in tree:
            path = str(tree["$ref"])
            if path.startswith("nbcheck."):
                module, _, name = path.rpartition(".")
                return getattr(importlib.import_module(module), name)
            if path not in self.namespace:
                raise LookupError(f"{path} is not defined")
            return self.namespace[path]
        handle_id = tree["$handle"]
        if handle_id not in self.objects:
            raise LookupError(f"object {handle_id} no longer exists")
        return self.objects[handle_id]

    def keep(self, obj: Any) -> dict[str, Any]:
        handle_id = next(self.ids)
        self.objects[handle_id] = obj
        return {"$handle": handle_id, "type": type(obj).__name__}


def load_ipython_extension(shell: Any) -> None:
    """Register the comm target on the kernel that ``shell`` belongs to."""
    agent = Agent(shell.user_ns)

    def on_open(comm: Any, message: dict[str, Any]) -> None:
        @comm.on_msg
        def on_message(message: dict[str, Any]) -> None:
            request = message["content"]["data"]
            if request.get("op") == "serve":
                agent.serve(str(request["serve"]))

    shell.kernel.comm_manager.register_target(TARGET, on_open)
    from ipykernel.kernelapp import IPKernelApp  # here: the judge imports this module for AGENT_PORT
    kernel_app = IPKernelApp.instance()
    if kernel_app.transport == "ipc":  # as the judge starts kernels; it connects to the same name
        agent.bind(kernel_app.context, f"ipc://{kernel_app.ip}-{AGENT_PORT}")
    outputs = [CappedOutput(sys.stdout), CappedOutput(sys.stderr)]
    sys.stdout, sys.stderr = outputs

    def new_cell() -> None:
        for output in outputs:
            output.written = 0

    shell.events.register("pre_execute", new_cell)
