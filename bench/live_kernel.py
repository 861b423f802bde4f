"""A real ipykernel driven as JupyterLab drives a widget: code in, then comm messages in and out over ZeroMQ.

The widget benchmarks (bench/playground.py, bench/depth_explorer.py, bench/backprop_stepper.py) use it to time
a control change, sent as the browser sends it, until the new picture leaves the kernel on iopub.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from typing import Any

from jupyter_client.manager import start_new_kernel


class LiveKernel:
    """A fresh python3 kernel; use it as a context manager so that it is shut down."""

    def __enter__(self) -> "LiveKernel":
        self.manager, self.client = start_new_kernel(kernel_name="python3")
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

    def execute(self, code: str) -> str:
        """Run ``code`` to the end and return what it printed; an error is raised here with its traceback."""
        msg_id = self.client.execute(code)
        output = []
        while True:
            msg = self.client.get_iopub_msg(timeout=120)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                output.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                raise RuntimeError("\n".join(msg["content"]["traceback"]))
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(output)

    def model_ids(self, widgets: dict[str, str]) -> dict[str, str]:
        """name -> the comm id of the widget that the Python expression ``widgets[name]`` gives in the kernel."""
        listing = "\n".join(f"print({name!r}, ({expression}).model_id)" for name, expression in widgets.items())
        return dict(line.split() for line in self.execute(listing).splitlines())

    def drain(self, seconds: float) -> None:
        """Read and drop iopub messages for ``seconds`` (a run finishing, frames nobody waits for)."""
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            try:
                self.client.get_iopub_msg(timeout=0.02)
            except queue.Empty:
                pass

    def send(self, comm_id: str, data: dict[str, Any]) -> float:
        """Send a comm message to a widget, as the browser does; returns when it was sent (perf_counter)."""
        self.client.session.send(self.client.shell_channel.socket,
                                 self.client.session.msg("comm_msg", {"comm_id": comm_id, "data": data}))
        return time.perf_counter()

    def set_state(self, comm_id: str, state: dict[str, Any]) -> float:
        """A control moved in the browser: ``state`` is e.g. ``{"value": 10}`` or, for a dropdown, ``{"index": 2}``."""
        return self.send(comm_id, {"method": "update", "state": state, "buffer_paths": []})

    def click(self, comm_id: str) -> float:
        return self.send(comm_id, {"method": "custom", "content": {"event": "click"}})

    def comm_messages(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(comm id, data) of every comm message the kernel sends from now on (30 s at most for each)."""
        while True:
            msg = self.client.get_iopub_msg(timeout=30)
            if msg["msg_type"] == "comm_msg":
                yield msg["content"]["comm_id"], msg["content"].get("data", {})

    def picture_after(self, image_id: str, sent: float) -> float:
        """Seconds from ``sent`` to the next new value of the Image widget ``image_id``."""
        for comm_id, data in self.comm_messages():
            if comm_id == image_id and is_new_picture(data):
                return time.perf_counter() - sent
        raise AssertionError("unreachable: comm_messages() ends only by a timeout")


def is_new_picture(data: dict[str, Any]) -> bool:
    """Does a widget's comm message carry a new image value (sent as a binary buffer)?"""
    return ["value"] in data.get("buffer_paths", [])
