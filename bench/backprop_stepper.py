"""How fast does the lecture 4 backprop stepper redraw? Latency from a control change to the new picture.

Run from the repository root:  python bench/backprop_stepper.py [--kernel]

The expressions are the lecture's own: the code cells of lectures/04_computation_graphs.ipynb tagged
"engine" and "stepper" are executed here and give ``TRACES`` (a sigmoid neuron, the softmax loss of
one example, a diamond). Measured in one process, each against baselines run in the same process:

1. In process (no kernel): the time from a click on Next or Prev (every step of every expression,
   forward and back) and from a change of expression to the new PNG in ``stepper.image``.
   Baselines: rendering an empty figure of the same size (the floor: Agg rasterisation and PNG
   encoding alone), and the naive redraw, a fresh ``draw_graph`` figure for each step.
2. ``--kernel``: through a real ipykernel and its ZeroMQ channels, as JupyterLab sees it: a
   button click (``comm_msg`` with the click event) goes in, and the clock stops at the first
   ``comm_msg`` on iopub that carries the image's new value.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import matplotlib
import nbformat
from live_kernel import LiveKernel  # bench/live_kernel.py

matplotlib.use("Agg")
REPO = Path(__file__).resolve().parents[1]
LECTURE = REPO / "lectures" / "04_computation_graphs.ipynb"
SETUP = "import numpy as np\nfrom nbcheck.widgets.graph import BackpropStepper, GraphNode, Trace, TraceStep, draw_graph\n"


def lecture_source() -> str:
    """The lecture's cells tagged "engine" and "stepper": the scalar engine, the trace recorder, TRACES."""
    notebook = nbformat.read(LECTURE, as_version=4)
    cells = [c.source for c in notebook.cells if {"engine", "stepper"} & set(c.metadata.get("tags", []))]
    return SETUP + "\n\n".join(cells)


def lecture_traces() -> dict:
    namespace: dict = {}
    exec(compile(lecture_source(), str(LECTURE), "exec"), namespace)
    return namespace["TRACES"]


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def summary(label: str, seconds: list[float]) -> str:
    return (f"  {label:46s} median {statistics.median(seconds) * 1e3:6.1f} ms   max {max(seconds) * 1e3:6.1f} ms"
            f"   over {len(seconds)}")


def in_process() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from nbcheck.widgets.graph import BackpropStepper, draw_graph
    from nbcheck.widgets.render import render_png

    traces = lecture_traces()
    stepper = BackpropStepper(traces)
    steps, expressions, empty, naive, sizes = [], [], [], [], {}
    for _ in range(2):  # the first round warms matplotlib's caches (fonts, glyphs)
        steps.clear(), expressions.clear(), empty.clear(), naive.clear()
        for name, trace in traces.items():
            expressions.append(timed(lambda name=name: setattr(stepper.controls["expression"], "value", name)))
            width, height = stepper.figure.get_size_inches() * stepper.figure.dpi
            sizes[name] = f"{len(trace.nodes)} nodes, {len(trace.steps)} steps, {width:.0f}×{height:.0f} px"
            for _ in range(len(trace.steps) - 1):
                frames = stepper.frames
                steps.append(timed(stepper.next.click))
                assert stepper.frames == frames + 1, "no picture was drawn"
            for _ in range(len(trace.steps) - 1):
                steps.append(timed(stepper.previous.click))
            blank = Figure(figsize=stepper.figure.get_size_inches(), dpi=stepper.figure.dpi)
            FigureCanvasAgg(blank)
            empty += [timed(lambda blank=blank: render_png(blank)) for _ in range(len(trace.steps))]
            naive += [timed(lambda step=step, nodes=trace.nodes: render_png(draw_graph(nodes, step=step)))
                      for step in trace.steps]
    for name, size in sizes.items():
        print(f"  {name}: {size}")
    print(summary("ours: Next / Prev click -> new picture", steps))
    print(summary("ours: change of expression -> first picture", expressions))
    print(summary("baseline: render an empty frame of that size", empty))
    print(summary("baseline: naive redraw (new draw_graph figure)", naive))
    print(f"  per step, ours / empty frame: {statistics.median(steps) / statistics.median(empty):.2f}x;  "
          f"naive / ours: {statistics.median(naive) / statistics.median(steps):.2f}x")


def through_kernel() -> None:
    with LiveKernel() as kernel:
        kernel.execute(lecture_source() + "\nstepper = BackpropStepper(TRACES)")
        ids = kernel.model_ids({"image": "stepper.image", "next": "stepper.next", "previous": "stepper.previous",
                                "expression": "stepper.controls['expression']"})
        lengths = [int(n) for n in kernel.execute("print(*(len(t.steps) for t in TRACES.values()))").split()]
        kernel.drain(1.0)
        clicks, changes = [], []
        for index in [*range(1, len(lengths)), 0]:  # the first expression is already shown
            length = lengths[index]
            changes.append(kernel.picture_after(ids["image"], kernel.set_state(ids["expression"], {"index": index})))
            kernel.drain(0.2)
            for button in ["next"] * (length - 1) + ["previous"] * (length - 1):
                clicks.append(kernel.picture_after(ids["image"], kernel.click(ids[button])))
                kernel.drain(0.05)
        print("through a real kernel (ZeroMQ, comm messages as JupyterLab sends them):")
        print(summary("button click -> new picture on iopub", clicks))
        print(summary("change of expression -> new picture on iopub", changes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernel", action="store_true", help="also measure through a real ipykernel")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, matplotlib {matplotlib.__version__}")
    in_process()
    if args.kernel:
        through_kernel()


if __name__ == "__main__":
    main()
