"""How live does the optimiser race (lecture 5) feel? Redraw latency after a control change.

Run from the repository root:  python bench/optimiser_race.py [--repeats 5]

The optimisers are the lecture's own: the code cells of lectures/05_training_in_practice.ipynb
tagged "racers" (the optimiser classes and the ``RACERS`` dict) are executed here. The clock runs
from setting a control's ``.value`` to the new PNG bytes in ``race.image``, for a cycle of changes
of every control, at the lecture's default settings (five optimisers, 150 steps). Changes of the
surface, the number of steps or the set of optimisers redraw the whole figure; the others only
draw the paths and curves over the saved background (blitting), and are listed apart. Two
baselines, run in the same process on the same settings:

1. full render: the race's own figure, unchanged, rendered whole to PNG by ``print_png`` (what
   every redraw would cost without the saved background);
2. naive: what a plotting callback under ``ipywidgets.interact`` would do: rerun the race, then a
   new figure of the same size with a fresh ``contourf`` and contour lines of the surface, the
   paths and loss curves drawn anew, rendered to PNG.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import matplotlib
import nbformat
import numpy as np

matplotlib.use("Agg")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
LECTURE = REPO / "lectures" / "05_training_in_practice.ipynb"

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from nbcheck.widgets.race import GAP_FLOOR, OptimiserRace  # noqa: E402
from nbcheck.widgets.render import render_png  # noqa: E402

WHOLE_FIGURE = ("surface", "steps", "entrant")  # the changes that redraw the background
CHANGES = [("surface", "ravine"), ("surface", "flat region"), ("surface", "two minima"), ("surface", "saddle"),
           ("learning_rate", 0.05), ("learning_rate", 0.1), ("momentum", 0.8), ("momentum", 0.9), ("beta1", 0.5),
           ("beta1", 0.9), ("beta2", 0.99), ("beta2", 0.999), ("rho", 0.9), ("rho", 0.99), ("steps", 300),
           ("steps", 150), ("entrant", False), ("entrant", True)]


def lecture_racers() -> dict:
    """The lecture's optimiser factories: its cells tagged "racers", executed with numpy in scope."""
    notebook = nbformat.read(LECTURE, as_version=4)
    source = "import numpy as np\n\n" + "\n\n".join(
        cell.source for cell in notebook.cells if "racers" in cell.metadata.get("tags", []))
    namespace: dict = {}
    exec(compile(source, str(LECTURE), "exec"), namespace)
    return namespace["RACERS"]


def apply(race: OptimiserRace, name: str, value) -> None:
    if name == "entrant":
        race.entrants["Adagrad"].value = value
    else:
        race.controls[name].value = value


def our_latencies(race: OptimiserRace) -> list[float]:
    """Seconds from each control change to its new picture (drawn synchronously in the observer)."""
    latencies = []
    for name, value in CHANGES:
        frames = race.frames
        start = time.perf_counter()
        apply(race, name, value)
        latencies.append(time.perf_counter() - start)
        assert race.frames == frames + 1, f"no picture was drawn for {name} = {value!r}"
    return latencies


def naive_redraw(race: OptimiserRace) -> bytes:
    """Rerun the race and draw it in a new figure from scratch, as a plotting callback would."""
    results = race.run()
    surface = race.surfaces[race.settings["surface"]]
    figure = Figure(figsize=race.figure.get_size_inches(), dpi=race.figure.dpi)
    FigureCanvasAgg(figure)
    map_axes, loss_axes = figure.subplots(1, 2, width_ratios=[1.25, 1])
    x_min, x_max, y_min, y_max = surface.window
    u, v = np.meshgrid(np.linspace(x_min, x_max, race.grid), np.linspace(y_min, y_max, race.grid))
    shade = np.log10(np.maximum(surface.loss(np.stack([u, v], axis=-1)) - surface.lowest, 0.0) + 1e-4)
    map_axes.contourf(u, v, shade, levels=14, cmap="Greys")
    map_axes.contour(u, v, shade, levels=14, colors="0.45", linewidths=0.6)
    for (name, result), colour in zip(results.items(), OptimiserRace.COLOURS):
        map_axes.plot(*result.path.T, color=colour, label=name)
        loss_axes.semilogy(np.maximum(result.gaps, GAP_FLOOR), color=colour, label=name)
    loss_axes.legend(fontsize=8)
    return render_png(figure)


def naive_latencies(race: OptimiserRace) -> list[float]:
    latencies = []
    for control in list(race.controls.values()) + list(race.entrants.values()):
        control.unobserve_all("value")  # the race's own redraw is replaced by the naive one
    for name, value in CHANGES:
        start = time.perf_counter()
        apply(race, name, value)
        naive_redraw(race)
        latencies.append(time.perf_counter() - start)
    return latencies


def full_renders(race: OptimiserRace, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats * len(CHANGES)):
        start = time.perf_counter()
        render_png(race.figure)
        times.append(time.perf_counter() - start)
    return times


def summary(label: str, values: list[float]) -> str:
    return (f"  {label:52s} median {statistics.median(values) * 1e3:6.1f} ms   max {max(values) * 1e3:6.1f} ms"
            f"   over {len(values)} redraws")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="times the cycle of control changes is run")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, matplotlib {matplotlib.__version__}, numpy {np.__version__}")
    racers = lecture_racers()
    start = time.perf_counter()
    race = OptimiserRace(racers)
    print(f"racers {list(racers)}, settings {race.settings}")
    print(f"construction (every surface's shading and contours precomputed): "
          f"{(time.perf_counter() - start) * 1e3:.0f} ms")

    ours = [t for _ in range(args.repeats) for t in our_latencies(race)]
    full = full_renders(race, args.repeats)
    naive = [t for _ in range(args.repeats) for t in naive_latencies(OptimiserRace(racers))]
    print(summary("ours, every change", ours))
    changed = [name for name, _ in CHANGES] * args.repeats
    print(summary("ours, surface / steps / optimisers (whole figure)",
                  [t for t, name in zip(ours, changed) if name in WHOLE_FIGURE]))
    print(summary("ours, η, μ, β1, β2, ρ (paths over the background)",
                  [t for t, name in zip(ours, changed) if name not in WHOLE_FIGURE]))
    print(summary("baseline: full render of the unchanged figure", full))
    print(summary("baseline: naive (rerun, new figure, contourf)", naive))
    print(f"  median ratios: naive / ours {statistics.median(naive) / statistics.median(ours):.1f}x, "
          f"full render / ours {statistics.median(full) / statistics.median(ours):.1f}x;   "
          f"max ratio naive / ours {max(naive) / max(ours):.1f}x")
    budget = 0.3
    print(f"  redraws over the {budget * 1e3:.0f} ms budget: {sum(t > budget for t in ours)} of {len(ours)}")


if __name__ == "__main__":
    main()
