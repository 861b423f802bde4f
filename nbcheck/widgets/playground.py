"""Live ipywidgets demos for the lectures: a 2-D classification playground and a 1-D fitting demo.

Both take the model as plain callables written in the notebook, so this module holds only
the machinery (controls, drawing, retraining on change, progress) and no model:

* :class:`Playground` trains a classifier on a toy data set (``nbcheck.data.DATASETS``) and
  redraws its decision regions and loss curve while it trains, in the spirit of the
  TensorFlow playground.
* :class:`CurveFitDemo` fits a 1-D regression net with ``m`` hidden units to a target curve;
  moving ``m`` redraws the fit.

Why it feels live. A control change draws its first picture at once: new data, fresh
weights, a few training steps, one redraw. Training then goes on in small chunks of steps;
between chunks control is handed back to the kernel's event loop, so further control changes
are handled within one chunk, and a new picture is drawn at most every ``frame_interval``
seconds. Drawing reuses one matplotlib figure (``imshow(...).set_data`` for the regions,
``Line2D.set_data`` for the loss curve, never a fresh ``contourf``) rendered off-screen by Agg
to PNG bytes for an ``ipywidgets.Image``, so no plotting backend or ``Output`` capture is needed.

Deterministic when driven from Python. Outside a running asyncio loop (a script, pytest)
nothing runs in the background: setting a control's ``.value`` draws the first frame, and
:meth:`Playground.advance` / :meth:`Playground.finish` train the rest. Inside Jupyter the
kernel's own asyncio loop runs the chunks (no threads, so no races with the controls).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from nbcheck.data import DATASETS
from nbcheck.widgets.render import (CLASS_COLOURS, DESCRIPTION_WIDTH, TRAINERS, controls_beside_picture,
                                    picture_layout, region_colours, render_png, running_loop)

Params = dict[str, np.ndarray]

@dataclass(frozen=True)
class Model:
    """A classifier the playground can train, given as three pure functions.

    Attributes:
        init: ``init(D, H, K, seed) -> params``: fresh parameters for D inputs, H hidden
            units and K classes.
        step: ``step(params, X, y, lr, reg) -> (params, loss)``: one full-batch gradient
            step on X (N, D), y (N,); returns the new parameters and the loss before the step.
        scores: ``scores(params, X) -> (N, K)`` class scores; the prediction is their argmax.
    """

    init: Callable[[int, int, int, int], Params]
    step: Callable[[Params, np.ndarray, np.ndarray, float, float], tuple[Params, float]]
    scores: Callable[[Params, np.ndarray], np.ndarray]


class Playground:
    """Train a classifier on toy 2-D data and watch its decision regions and loss curve.

    Controls (``self.controls``, keyed by name): ``dataset``, ``activation`` (one entry per
    model), ``hidden`` (width H), ``learning_rate``, ``reg`` and ``steps``; the button
    ``self.new_weights`` restarts from another random initialisation. Every change restarts
    training. ``self.image`` shows the picture, ``self.progress`` the steps done, and
    ``self.status`` the step, loss and training accuracy. Display the playground by making it
    the last expression of a cell.

    Args:
        models: activation name -> :class:`Model`.
        datasets: name -> generator ``f(seed=...) -> (X, y)``; defaults to ``nbcheck.data.DATASETS``.
        live: run the training chunks on the running asyncio loop (Jupyter's). ``None``
            decides by whether a loop is running; with ``False``, call :meth:`advance` or
            :meth:`finish` yourself.
        frame_interval: least time in seconds between two pictures while training (the last
            picture of a run is always drawn); 0 draws after every chunk.
        first_steps: training steps before the first picture of a run.
        chunks: a run of S steps is trained in chunks of ceil(S / chunks) steps.
        grid: the decision regions are evaluated on a grid × grid lattice.
    """

    HIDDEN = (2, 4, 8, 16, 32, 64, 100, 200)
    LEARNING_RATES = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
    REGS = (0.0, 1e-4, 1e-3, 1e-2, 1e-1)
    STEPS = (100, 300, 1000, 3000, 10000)

    def __init__(self, models: Mapping[str, Model], *, datasets: Mapping[str, Callable[..., Any]] | None = None,
                 dataset: str = "spiral", activation: str | None = None, hidden: int = 64,
                 learning_rate: float = 1.0, reg: float = 1e-3, steps: int = 3000, seed: int = 0,
                 live: bool | None = None, frame_interval: float = 0.15, first_steps: int = 10,
                 chunks: int = 200, grid: int = 80) -> None:
        if not models:
            raise ValueError("models must name at least one Model")
        self.models = dict(models)
        self.datasets = dict(DATASETS if datasets is None else datasets)
        self.seed = seed
        self.live = running_loop() is not None if live is None else live
        self.frame_interval = frame_interval
        self.first_steps = first_steps
        self.chunks = chunks
        self.grid = grid
        self.frames = 0  # pictures drawn so far
        self._generation = 0  # bumped by every restart; a background run of an older one stops
        self._task: asyncio.Future | None = None
        self._last_frame = 0.0

        style = {"description_width": DESCRIPTION_WIDTH}

        def slider(description: str, options: tuple, value: Any) -> widgets.SelectionSlider:
            return widgets.SelectionSlider(options=[(f"{v:g}", v) for v in options], value=value,
                                           description=description, continuous_update=False, style=style)

        self.controls: dict[str, widgets.ValueWidget] = {
            "dataset": widgets.Dropdown(options=list(self.datasets), value=dataset, description="data", style=style),
            "activation": widgets.Dropdown(options=list(self.models), value=activation or next(iter(self.models)),
                                           description="activation", style=style),
            "hidden": slider("hidden units", self.HIDDEN, hidden),
            "learning_rate": slider("step size", self.LEARNING_RATES, learning_rate),
            "reg": slider("reg", self.REGS, reg),
            "steps": slider("steps", self.STEPS, steps),
        }
        self.new_weights = widgets.Button(description="new weights", icon="refresh")
        self.progress = widgets.IntProgress(min=0, max=steps, description="training", style=style)
        self.status = widgets.HTML()  # wraps within the column, where a Label would cut its end off
        self._build_figure()
        self.image = widgets.Image(format="png", layout=picture_layout(self.figure))
        controls = list(self.controls.values())
        self.widget = controls_beside_picture(controls + [self.new_weights, self.progress, self.status], self.image)
        for control in controls:
            control.observe(lambda change: self.restart(), names="value")
        self.new_weights.on_click(self._reseed)
        self.restart()
        TRAINERS.add(self)  # only a widget whose first run started: finish_training trains it on

    # ---- the figure ---------------------------------------------------------------------
    def _build_figure(self) -> None:
        # A fixed layout: a layout engine ("constrained", "tight") would re-solve it on every frame.
        self.figure = Figure(figsize=(7.6, 3.6), dpi=72)
        FigureCanvasAgg(self.figure)
        self.region_axes, self.loss_axes = self.figure.subplots(1, 2, gridspec_kw=dict(
            left=0.02, right=0.98, bottom=0.14, top=0.92, wspace=0.22))
        self.regions = self.region_axes.imshow(np.ones((2, 2, 3)), origin="lower", interpolation="bilinear",
                                               aspect="auto")
        self.points = self.region_axes.scatter([], [], s=10, edgecolors="k", linewidths=0.3)
        self.region_axes.set_xticks([])
        self.region_axes.set_yticks([])
        (self.loss_line,) = self.loss_axes.plot([], [], color="k", lw=1.2)
        self.loss_axes.set_xlabel("step")
        self.loss_axes.set_ylabel("training loss")

    def _show_data(self) -> None:
        """Point the figure at the current data set and build the lattice the regions use."""
        low, high = self.X.min(axis=0) - 0.25, self.X.max(axis=0) + 0.25
        u, v = np.linspace(low[0], high[0], self.grid), np.linspace(low[1], high[1], self.grid)
        self.lattice = np.stack(np.meshgrid(u, v), axis=-1).reshape(-1, 2)
        extent = (low[0], high[0], low[1], high[1])
        self.regions.set_extent(extent)
        self.region_axes.set_xlim(extent[:2])
        self.region_axes.set_ylim(extent[2:])
        self.points.set_offsets(self.X)
        self.points.set_facecolors(CLASS_COLOURS[self.y % len(CLASS_COLOURS)])

    # ---- training runs ------------------------------------------------------------------
    @property
    def settings(self) -> dict[str, Any]:
        """The current value of every control."""
        return {name: control.value for name, control in self.controls.items()}

    def _reseed(self, _button: Any = None) -> None:
        self.seed += 1
        self.restart()

    def restart(self) -> None:
        """Start a new run from the controls' values and draw its first picture at once."""
        self._generation += 1
        if self._task is not None:
            self._task.cancel()
            self._task = None
        s = self.settings
        self.X, self.y = self.datasets[s["dataset"]](seed=0)
        self.model = self.models[s["activation"]]
        self.params = self.model.init(self.X.shape[1], s["hidden"], int(self.y.max()) + 1, self.seed)
        self.losses: list[float] = []
        self.diverged = False
        self.total = s["steps"]
        self.progress.max = self.total
        self._show_data()
        self._train(min(self.first_steps, self.total))
        self.draw()
        if self.live and self.running:
            self._task = asyncio.ensure_future(self._run(self._generation))

    @property
    def running(self) -> bool:
        """True while the current run has steps left."""
        return len(self.losses) < self.total and not self.diverged

    def advance(self) -> bool:
        """Train one chunk and redraw if a frame is due; return whether steps remain."""
        if not self.running:
            return False
        self._train(min(-(-self.total // self.chunks), self.total - len(self.losses)))
        if not self.running or time.perf_counter() - self._last_frame >= self.frame_interval:
            self.draw()
        return self.running

    def finish(self) -> None:
        """Train the current run to the end (synchronously) and draw the last picture."""
        while self.advance():
            pass

    async def _run(self, generation: int) -> None:
        # Between chunks the loop handles the kernel's messages, so a control change is seen
        # within one chunk; it bumps the generation and this run stops.
        while generation == self._generation and self.advance():
            await asyncio.sleep(0.001)

    def _train(self, steps: int) -> None:
        s = self.settings
        for _ in range(steps):
            params, loss = self.model.step(self.params, self.X, self.y, s["learning_rate"], s["reg"])
            loss = float(loss)
            if not np.isfinite(loss):
                self.diverged = True
                break
            self.params = params
            self.losses.append(loss)
        self.progress.value = len(self.losses)

    # ---- drawing ------------------------------------------------------------------------
    def draw(self) -> None:
        """Redraw regions, loss curve and status from the current parameters."""
        colours = region_colours(self.model.scores(self.params, self.lattice))
        self.regions.set_data(colours.reshape(self.grid, self.grid, 3))
        steps = np.arange(len(self.losses))
        self.loss_line.set_data(steps, self.losses)
        self.loss_axes.set_xlim(0, max(self.total - 1, 1))
        top = max(self.losses) if self.losses else 1.0
        self.loss_axes.set_ylim(0, 1.05 * top)
        accuracy = float(np.mean(np.argmax(self.model.scores(self.params, self.X), axis=1) == self.y))
        loss = f"{self.losses[-1]:.3f}" if self.losses else "-"
        self.status.value = (f"step {len(self.losses)}/{self.total} &nbsp; loss {loss}<br>"
                             f"training accuracy {accuracy:.0%}")
        if self.diverged:
            self.status.value += f"<br>diverged at step {len(self.losses)}: lower the step size"
        self.region_axes.set_title(f"decision regions (accuracy {accuracy:.0%})", fontsize=10)
        self.image.value = render_png(self.figure)
        self.frames += 1
        self._last_frame = time.perf_counter()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


class CurveFitDemo:
    """Fit a 1-D regression net with ``m`` hidden units to a target curve; the slider sets ``m``.

    The picture shows the target, the fit, and (when ``units`` is given) each hidden unit's
    contribution to the output as a dashed line; the right panel plots the largest error
    max|f(x) − F(x)| on the plotted interval against ``m`` for every ``m`` tried so far.

    Args:
        fit: ``fit(x, t, m, seed) -> params`` fits m hidden units to targets t (n,) at x (n, 1).
        predict: ``predict(params, x) -> (n,)`` the net's output.
        targets: name -> vectorised function F, the curve to approximate.
        units: optional ``units(params, x) -> (n, m)``, the terms w_j σ(v_j x + b_j) whose sum
            (plus the output bias) is the output.
        interval: the x range fitted and plotted; n_points: how many x in it.
    """

    def __init__(self, fit: Callable[[np.ndarray, np.ndarray, int, int], Params],
                 predict: Callable[[Params, np.ndarray], np.ndarray],
                 targets: Mapping[str, Callable[[np.ndarray], np.ndarray]], *,
                 units: Callable[[Params, np.ndarray], np.ndarray] | None = None, m: int = 3, m_max: int = 40,
                 interval: tuple[float, float] = (-3.0, 3.0), n_points: int = 200, seed: int = 0) -> None:
        self.fit, self.predict, self.units = fit, predict, units
        self.targets = dict(targets)
        self.seed = seed
        self.x = np.linspace(*interval, n_points)[:, None]
        self.errors: dict[str, dict[int, float]] = {name: {} for name in self.targets}
        self._fits: dict[tuple[str, int], Params] = {}  # slider moves back and forth: fit once
        self.controls = {
            "target": widgets.Dropdown(options=list(self.targets), description="target"),
            "m": widgets.IntSlider(value=m, min=1, max=m_max, description="hidden units m", continuous_update=False,
                                   style={"description_width": "initial"},  # as wide as its text
                                   layout=widgets.Layout(width="380px")),  # and a track as long as the others'
        }
        self.figure = Figure(figsize=(8.0, 3.4), dpi=72)
        FigureCanvasAgg(self.figure)
        self.image = widgets.Image(format="png", layout=picture_layout(self.figure))
        controls = widgets.HBox(list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        self.widget = widgets.VBox([controls, self.image])
        self.fit_axes, self.error_axes = self.figure.subplots(1, 2, width_ratios=[1.6, 1], gridspec_kw=dict(
            left=0.06, right=0.98, bottom=0.14, top=0.9, wspace=0.3))
        (self.target_line,) = self.fit_axes.plot(self.x[:, 0], self.x[:, 0], color="0.6", lw=4, label="target F")
        (self.fit_line,) = self.fit_axes.plot(self.x[:, 0], self.x[:, 0], color="C3", lw=1.6, label="net f")
        self.unit_lines = LineCollection([], colors="C0", linestyles="--", linewidths=0.8, label="units")
        self.fit_axes.add_collection(self.unit_lines)
        self.fit_axes.legend(loc="upper left", fontsize=8)
        self.fit_axes.set_xlim(*interval)
        (self.error_points,) = self.error_axes.plot([], [], "o-", color="C3", ms=4)
        self.error_axes.set_xlabel("m")
        self.error_axes.set_title("max |f − F| against m", fontsize=10)
        self.error_axes.set_yscale("log")
        for control in self.controls.values():
            control.observe(lambda change: self.draw(), names="value")
        self.draw()

    def draw(self) -> None:
        """Fit (or reuse the fit for) the current target and m, and redraw."""
        name, m = self.controls["target"].value, self.controls["m"].value
        target = self.targets[name](self.x[:, 0])
        if (name, m) not in self._fits:
            self._fits[name, m] = self.fit(self.x, target, m, self.seed)
        params = self._fits[name, m]
        output = np.asarray(self.predict(params, self.x), dtype=float).reshape(-1)
        self.error = float(np.max(np.abs(output - target)))
        self.errors[name][m] = self.error

        self.target_line.set_ydata(target)
        self.fit_line.set_ydata(output)
        if self.units is not None:
            terms = np.asarray(self.units(params, self.x), dtype=float)
            self.unit_lines.set_segments([np.c_[self.x[:, 0], term] for term in terms.T])
        span = target.max() - target.min()
        self.fit_axes.set_ylim(target.min() - 0.3 * span - 0.1, target.max() + 0.3 * span + 0.1)
        self.fit_axes.set_title(f"{name}, m = {m}: max |f − F| = {self.error:.3g}", fontsize=10)
        tried = sorted(self.errors[name].items())
        self.error_points.set_data([k for k, _ in tried], [max(e, 1e-6) for _, e in tried])
        self.error_axes.relim()
        self.error_axes.autoscale_view()
        self.image.value = render_png(self.figure)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
