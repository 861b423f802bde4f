"""How live does the lecture 2 playground feel? First-picture latency after a control change.

Run from the repository root:  python bench/playground.py [--kernel]

The models are the lecture's own: the code cells of lectures/02_two_layer_net.ipynb tagged
"model" are executed here. Two measurements, each against a baseline run in the same process:

1. In process (no kernel): the time from setting a control's ``.value`` to the new picture
   in ``playground.image`` (PNG bytes), at the default settings (spiral, 64 ReLU units, 3000
   steps), for a cycle of control changes. Baseline: the naive approach, "train all steps,
   then draw", i.e. the same playground with ``first_steps`` equal to the run's length.
   Also the time until the final picture of a run, ours (with intermediate pictures) vs naive.
2. ``--kernel``: through a real ipykernel and its ZeroMQ channels, as a browser sees it: a
   ``comm_msg`` that changes the data set goes in, and the clock stops at the first
   ``comm_msg`` carrying the image's new value on iopub; then a change sent while a run is
   training in the background (the kernel is busy between chunks).
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
LECTURE = REPO / "lectures" / "02_two_layer_net.ipynb"
MODEL_SETUP = "import numpy as np\nfrom nbcheck.widgets import Model\n"


def lecture_model_source() -> str:
    """The lecture's cells tagged "model": activations, the network, the playground's Model objects."""
    notebook = nbformat.read(LECTURE, as_version=4)
    cells = [c.source for c in notebook.cells if "model" in c.metadata.get("tags", [])]
    return MODEL_SETUP + "\n\n".join(cells)


def lecture_models() -> dict:
    namespace: dict = {}
    exec(compile(lecture_model_source(), str(LECTURE), "exec"), namespace)
    return namespace["MODELS"]


CHANGES = [("dataset", "xor"), ("dataset", "circles"), ("dataset", "blobs"), ("dataset", "spiral"),
           ("activation", "tanh"), ("activation", "sigmoid"), ("activation", "relu"), ("hidden", 100),
           ("hidden", 64), ("learning_rate", 0.3), ("learning_rate", 1.0), ("reg", 0.01), ("reg", 0.001)]


def first_picture_latencies(playground) -> list[float]:
    """Seconds from each control change to its first picture (drawn synchronously in the observer)."""
    latencies = []
    for name, value in CHANGES:
        frames = playground.frames
        start = time.perf_counter()
        playground.controls[name].value = value
        latencies.append(time.perf_counter() - start)
        assert playground.frames == frames + 1, "no picture was drawn"
    return latencies


def in_process() -> None:
    from nbcheck.widgets import Playground

    models = lecture_models()
    ours = Playground(models, live=False)
    steps = ours.total
    naive = Playground(models, live=False, first_steps=steps)  # train every step, then draw once
    print(f"default settings: {ours.settings}")
    ours_latency = first_picture_latencies(ours)
    naive_latency = first_picture_latencies(naive)
    for label, values in [("ours (first chunk, then draw)", ours_latency), ("naive (train all, then draw)", naive_latency)]:
        print(f"  {label:32s} median {statistics.median(values) * 1e3:7.1f} ms   max {max(values) * 1e3:7.1f} ms"
              f"   over {len(values)} control changes")
    print(f"  first-picture speed-up (median naive / median ours): "
          f"{statistics.median(naive_latency) / statistics.median(ours_latency):.1f}x")

    start = time.perf_counter()
    ours.controls["dataset"].value = "xor"
    ours.finish()
    ours_total = time.perf_counter() - start
    start = time.perf_counter()
    naive.controls["dataset"].value = "xor"
    naive_total = time.perf_counter() - start
    print(f"  until the final picture of a {steps}-step run: ours {ours_total:.2f} s ({ours.frames} pictures so far), "
          f"naive {naive_total:.2f} s; ratio ours/naive {ours_total / naive_total:.2f}")


def through_kernel() -> None:
    with LiveKernel() as kernel:
        kernel.execute(lecture_model_source() + "\nfrom nbcheck.widgets import Playground\npg = Playground(MODELS)")
        ids = kernel.model_ids({"image": "pg.image", "dataset": "pg.controls['dataset']",
                                "steps": "pg.controls['steps']", "status": "pg.status"})

        def status_reaches(prefix: str) -> None:
            for comm_id, data in kernel.comm_messages():
                if comm_id == ids["status"] and data.get("state", {}).get("value", "").startswith(prefix):
                    return

        kernel.drain(6.0)  # let the first run finish
        idle = []
        for index in (1, 2, 3, 0, 1, 2, 3, 0):
            idle.append(kernel.picture_after(ids["image"], kernel.set_state(ids["dataset"], {"index": index})))
            kernel.drain(3.5)  # the run trains to its end before the next change
        busy = []
        for index in (2, 3, 2, 3):  # steps slider: 1000, 3000 steps; sent 0.3 s into a running run
            kernel.set_state(ids["dataset"], {"index": 1})
            kernel.drain(0.3)
            steps = [100, 300, 1000, 3000, 10000][index]
            sent = kernel.set_state(ids["steps"], {"index": index})
            status_reaches(f"step 10/{steps} ")
            busy.append(kernel.picture_after(ids["image"], sent))  # the picture follows its status line
            kernel.drain(0.5)
        print("through a real kernel (ZeroMQ, comm messages as a browser sends them):")
        print(f"  first picture after a change, kernel idle: median {statistics.median(idle) * 1e3:6.1f} ms, "
              f"max {max(idle) * 1e3:6.1f} ms over {len(idle)}")
        print(f"  first picture after a change, run training: median {statistics.median(busy) * 1e3:6.1f} ms, "
              f"max {max(busy) * 1e3:6.1f} ms over {len(busy)}")


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
