"""How live does the lecture 3 depth explorer feel? First-picture latency after a control change.

Run from the repository root:  python bench/depth_explorer.py [--rounds R] [--kernel]

The network is the lecture's own: the code cells of lectures/03_backprop_any_depth.ipynb tagged
"model" (the blocks, the losses and the explorer's DeepModel) are executed here. The clock runs
from setting a control's ``.value`` to the new PNG in ``explorer.image`` (drawn synchronously in
the observer), over a cycle of control changes that includes the largest network (10 hidden
layers of 128 units). Two baselines, run in the same process:

* **render only**: re-rendering the current figure to PNG, with nothing recomputed: the floor
  that no redraw can beat;
* **naive**: the same explorer with ``first_steps`` equal to the run's length, i.e. "train all
  steps, then draw once", over the changes at the default size (4 × 32), since a naive run of the
  largest network takes many seconds.

With ``--kernel``, the same through a real ipykernel and its ZeroMQ channels, as a browser sees
it: a ``comm_msg`` that moves a control goes in, and the clock stops at the first ``comm_msg``
carrying the image's new value on iopub; once with the kernel idle (the previous run finished),
once while a run is training in the background (the kernel is busy between chunks).

The machine's load average is printed: other processes on the 2 cores inflate the latencies.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import matplotlib
import nbformat
from live_kernel import LiveKernel, is_new_picture  # bench/live_kernel.py

matplotlib.use("Agg")
REPO = Path(__file__).resolve().parents[1]
LECTURE = REPO / "lectures" / "03_backprop_any_depth.ipynb"
MODEL_SETUP = "import numpy as np\nfrom nbcheck.widgets.depth import DeepModel\n"
CHANGES = [("depth", 10), ("width", 128), ("activation", "relu"), ("gain", 2 ** 0.5), ("activation", "sigmoid"),
           ("gain", 0.5), ("depth", 6), ("width", 32), ("activation", "tanh"), ("step_size", 1.0), ("depth", 2),
           ("width", 8), ("gain", 1.0), ("step_size", 0.3), ("depth", 4)]


def lecture_model_source() -> str:
    """The lecture's cells tagged "model": the blocks, the losses and the explorer's DeepModel SPIRAL_NET."""
    notebook = nbformat.read(LECTURE, as_version=4)
    return MODEL_SETUP + "\n\n".join(c.source for c in notebook.cells if "model" in c.metadata.get("tags", []))


def lecture_model():
    namespace: dict = {}
    exec(compile(lecture_model_source(), str(LECTURE), "exec"), namespace)
    return namespace["SPIRAL_NET"]


NAIVE_CHANGES = [("activation", "relu"), ("gain", 2 ** 0.5), ("activation", "sigmoid"), ("gain", 1.0),
                 ("activation", "tanh")]


def latencies(explorer, changes: list[tuple[str, object]], rounds: int = 1) -> list[float]:
    """Seconds from each control change to its first picture."""
    seconds = []
    for _ in range(rounds):
        for name, value in changes:
            frames = explorer.frames
            start = time.perf_counter()
            explorer.controls[name].value = value
            seconds.append(time.perf_counter() - start)
            assert explorer.frames == frames + 1, "no picture was drawn"
    return seconds


def render_only(explorer, count: int) -> list[float]:
    from nbcheck.widgets.render import render_png

    seconds = []
    for _ in range(count):
        start = time.perf_counter()
        render_png(explorer.figure)
        seconds.append(time.perf_counter() - start)
    return seconds


def summary(label: str, values: list[float]) -> str:
    return (f"  {label:34s} median {statistics.median(values) * 1e3:7.1f} ms   max {max(values) * 1e3:7.1f} ms"
            f"   over {len(values)}")


def in_process(rounds: int) -> None:
    from nbcheck.widgets.depth import DepthExplorer

    model = lecture_model()
    ours = DepthExplorer(model, live=False)
    print(f"default settings {ours.settings}, {ours.steps} steps per run, first picture after {ours.first_steps} step")
    ours_latency = latencies(ours, CHANGES, rounds)
    floor = render_only(ours, len(ours_latency))
    naive = DepthExplorer(model, live=False, first_steps=ours.steps)  # train every step, then draw once
    naive_latency = latencies(naive, NAIVE_CHANGES)
    ours_default = latencies(DepthExplorer(model, live=False), NAIVE_CHANGES)
    print("in process (no kernel):")
    print(summary("ours (statistics, 1 step, draw)", ours_latency))
    print(summary("render only (same figure, no work)", floor))
    print(summary("ours, default size only", ours_default))
    print(summary("naive, default size only", naive_latency))
    print(f"  ours / render only (median): {statistics.median(ours_latency) / statistics.median(floor):.2f}x;"
          f"  naive / ours at the default size (median): "
          f"{statistics.median(naive_latency) / statistics.median(ours_default):.0f}x")
    worst = max(zip(ours_latency, CHANGES * rounds))
    print(f"  slowest change: {worst[1][0]} = {worst[1][1]!r} ({worst[0] * 1e3:.0f} ms); "
          f"changes over 0.3 s: {sum(t > 0.3 for t in ours_latency)} of {len(ours_latency)}")


def through_kernel() -> None:
    with LiveKernel() as kernel:
        kernel.execute(lecture_model_source() + "\nfrom nbcheck.widgets.depth import DepthExplorer\n"
                       "explorer = DepthExplorer(SPIRAL_NET)")
        ids = kernel.model_ids({"image": "explorer.image", "depth": "explorer.controls['depth']",
                                "activation": "explorer.controls['activation']", "status": "explorer.status"})

        def picture_after(sent: float) -> float:
            # The new run's first picture: its status line ("step 1/...") comes first, then the image; frames of
            # a run still training when the change was sent are skipped.
            new_run = False
            for comm_id, data in kernel.comm_messages():
                if comm_id == ids["status"]:
                    new_run = data.get("state", {}).get("value", "").startswith("step 1/")
                elif new_run and comm_id == ids["image"] and is_new_picture(data):
                    return time.perf_counter() - sent
            raise AssertionError("unreachable: comm_messages() ends only by a timeout")

        changes = [("depth", {"value": 10}), ("activation", {"index": 2}), ("depth", {"value": 6}),
                   ("activation", {"index": 0}), ("depth", {"value": 3}), ("activation", {"index": 1})]
        kernel.drain(8.0)  # let the first run finish
        idle = []
        for control, state in changes:
            idle.append(picture_after(kernel.set_state(ids[control], state)))
            kernel.drain(10.0 if state.get("value", 0) >= 6 else 5.0)  # the run trains to its end before the next
        busy = []
        for control, state in changes:
            kernel.drain(0.5)  # sent half a second into the previous run, while it trains
            busy.append(picture_after(kernel.set_state(ids[control], state)))
        print("through a real kernel (ZeroMQ, comm messages as a browser sends them):")
        print(summary("first picture, kernel idle", idle))
        print(summary("first picture, run training", busy))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="cycles through the control changes")
    parser.add_argument("--kernel", action="store_true", help="also measure through a real ipykernel")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, matplotlib {matplotlib.__version__}, "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    in_process(args.rounds)
    if args.kernel:
        through_kernel()


if __name__ == "__main__":
    main()
