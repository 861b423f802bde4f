"""The depth explorer of lecture 3: what depth, width, activation and initial scale do to a deep net.

The network comes from the notebook as callables (:class:`DeepModel`), so this module holds only
the machinery (controls, statistics, drawing, retraining on change) and no model. One figure,
reused for every picture, shows four things:

* **activations**: for each hidden layer (a row), the distribution of its outputs over a batch
  (the training set) at initialisation, as a heat map of histograms, darker where values are
  frequent; the range is the activation's own ((0, 1), (−1, 1), or [0, 2] for ReLU, values
  beyond it counted in the last column). Vanishing activations collapse onto one column,
  saturating sigmoid/tanh units pile up at the edges.
* **weight gradients**: for each weight matrix (a row, the output layer last), the
  distribution of log₁₀|∂L/∂W| over its entries at initialisation, with a dot at the median:
  rows drifting left from the output towards the input are vanishing gradients, rows drifting
  right exploding ones. Exact zeros (dead ReLU units) count in the first column.
* **decision regions** of the net on the spiral (``nbcheck.make_spiral``) while it trains, in the
  course's class colours;
* **the training loss** against the step.

Why it feels live: as in :class:`nbcheck.widgets.Playground`, a control change draws its first
picture at once (fresh weights, the statistics, a few training steps, one redraw), then training
goes on in chunks of steps on the kernel's asyncio loop, redrawing at most every
``frame_interval`` seconds, so a further change is seen within one chunk. Drawing updates the
artists of one Agg figure (``set_data``) and renders it to PNG bytes for an ``ipywidgets.Image``.
The explorer's products are small (at most 300 × 128 by 128 × 128), so they run on one BLAS
thread: on a busy machine (a browser drawing on the other core) a two-threaded call can wait tens
of milliseconds for its second thread, many times the work itself.
Driven from Python without a running loop (a script, pytest), nothing runs in the background:
setting a control draws the first picture, :meth:`DepthExplorer.advance` and
:meth:`DepthExplorer.finish` train the rest.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from threadpoolctl import ThreadpoolController

from nbcheck.data import make_spiral
from nbcheck.widgets.render import (CLASS_COLOURS, DESCRIPTION_WIDTH, TRAINERS, controls_beside_picture,
                                    picture_layout, region_colours, render_png, running_loop)

Net = Any  # whatever the notebook's init returns; the explorer only passes it back

ACTIVATION_RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, 2.0)}
LOG_GRADIENT_RANGE = (-12.0, 2.0)  # log10 |dL/dW| shown; smaller magnitudes (and zeros) count in the first column
BINS = 48
DENSITY_COLOURS = "Greys"  # white where no value falls, black where most do; no class colour, no class meaning


@dataclass(frozen=True)
class DeepModel:
    """A deep classifier the explorer can probe and train, given as five callables.

    Attributes:
        init: ``init(sizes, activation, gain, seed) -> net``: a fresh network with layer sizes
            ``sizes = [D, H, …, H, K]`` (one H per hidden layer), hidden activation ``"sigmoid"``,
            ``"tanh"`` or ``"relu"``, every weight of a matrix with fan-in n drawn from
            N(0, gain²/n) and zero biases, from the generator seeded with ``seed``.
        forward: ``forward(net, X) -> (scores, hidden)``: scores (N, K) for X (N, D), and the
            list of the hidden layers' outputs, each (N, H), first layer first. It caches what
            ``backward`` needs.
        loss: ``loss(scores, y) -> (value, dscores)``: the mean data loss and ∂L/∂scores (N, K).
        backward: ``backward(net, dscores) -> weight_gradients``: runs the backward pass of the
            last forward and returns ∂L/∂W of every weight matrix, first layer first (one more
            than the hidden layers); the net keeps all its parameter gradients for ``update``.
        update: ``update(net, step_size) -> net``: one gradient-descent step with the gradients
            of the last backward pass.
    """

    init: Callable[[Sequence[int], str, float, int], Net]
    forward: Callable[[Net, np.ndarray], tuple[np.ndarray, Sequence[np.ndarray]]]
    loss: Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]
    backward: Callable[[Net, np.ndarray], Sequence[np.ndarray]]
    update: Callable[[Net, float], Net]


def histogram_rows(samples: Sequence[np.ndarray], low: float, high: float, bins: int = BINS) -> np.ndarray:
    """One normalised histogram per array: row i counts samples[i] in ``bins`` equal bins of [low, high].

    Values outside the range are counted in the first or last bin (NaN in the first). Each row is divided by its
    largest count and square-rooted, so a spike (ReLU's zeros) does not wash out the rest.

    Returns:
        (len(samples), bins) float64 in [0, 1].
    """
    rows = np.zeros((len(samples), bins))
    for row, values in zip(rows, samples):
        values = np.clip(np.nan_to_num(np.asarray(values, dtype=float).ravel(), nan=low), low, high)
        index = np.minimum(((values - low) / (high - low) * bins).astype(np.int64), bins - 1)
        row += np.bincount(index, minlength=bins)
        row /= max(row.max(), 1.0)
    return np.sqrt(rows)


def log_magnitudes(gradient: np.ndarray) -> np.ndarray:
    """log10 |g| entrywise, with exact zeros (and tiny values) at the bottom of LOG_GRADIENT_RANGE."""
    magnitude = np.abs(np.asarray(gradient, dtype=float)).ravel()
    return np.log10(np.maximum(magnitude, 10.0 ** LOG_GRADIENT_RANGE[0]))


class DepthExplorer:
    """Vary depth, width, activation and initial scale of a deep net and watch what it does.

    Controls (``self.controls``, keyed by name): ``depth`` (hidden layers, 1–10), ``width``
    (units per hidden layer), ``activation``, ``gain`` (weights of fan-in n drawn with standard
    deviation gain/√n: 1 is Xavier/LeCun's scale, √2 He's) and ``step_size`` for the retraining.
    The button ``self.new_weights`` redraws the weights from another seed. Every change starts a
    new run from fresh weights. ``self.image`` shows the picture (see the module docstring),
    ``self.progress`` the training steps done, ``self.status`` the loss, accuracy and dead units.
    Display the explorer by making it the last expression of a cell.

    Args:
        model: the network, as a :class:`DeepModel`.
        data: (X, y) to train on; default ``make_spiral(100, 3, seed=0)``.
        steps: training steps per run.
        live: train in chunks on the running asyncio loop (Jupyter's); ``None`` decides by
            whether a loop is running. With ``False``, call :meth:`advance` or :meth:`finish`.
        frame_interval: least time in seconds between two pictures while training (the last
            picture of a run is always drawn).
        first_steps: training steps before the first picture of a run, at least 1 (the first
            reuses the backward pass that measured the statistics, so it is nearly free).
        chunks: a run of S steps is trained in chunks of ceil(S / chunks) steps.
        grid: the decision regions are evaluated on a grid × grid lattice.
    """

    WIDTHS = (4, 8, 16, 32, 64, 128)
    GAINS = ((0.1, "0.1"), (0.5, "0.5"), (1.0, "1 (Xavier)"), (float(np.sqrt(2.0)), "√2 (He)"), (2.0, "2"),
             (4.0, "4"))
    STEP_SIZES = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
    MAX_DEPTH = 10

    def __init__(self, model: DeepModel, *, data: tuple[np.ndarray, np.ndarray] | None = None, depth: int = 4,
                 width: int = 32, activation: str = "tanh", gain: float = 1.0, step_size: float = 0.3,
                 steps: int = 1500, seed: int = 0, live: bool | None = None, frame_interval: float = 0.15,
                 first_steps: int = 1, chunks: int = 60, grid: int = 40) -> None:
        self.model = model
        self.X, self.y = make_spiral(n_per_class=100, n_classes=3, seed=0) if data is None else data
        self.n_classes = int(self.y.max()) + 1
        self.steps = steps
        self.seed = seed
        self.live = running_loop() is not None if live is None else live
        self.frame_interval = frame_interval
        self.first_steps = max(1, first_steps)
        self.chunks = chunks
        self.grid = grid
        self.frames = 0  # pictures drawn so far
        self._generation = 0  # bumped by every restart; a background run of an older one stops
        self._task: asyncio.Future | None = None
        self._last_frame = 0.0
        self._blas = ThreadpoolController()  # see the module docstring: one BLAS thread while we compute

        self.controls: dict[str, widgets.ValueWidget] = {
            "depth": widgets.IntSlider(value=depth, min=1, max=self.MAX_DEPTH, description="hidden layers",
                                       continuous_update=False),
            "width": widgets.SelectionSlider(options=list(self.WIDTHS), value=width, description="width",
                                             continuous_update=False),
            "activation": widgets.Dropdown(options=list(ACTIVATION_RANGES), value=activation,
                                           description="activation"),
            "gain": widgets.SelectionSlider(options=[(label, value) for value, label in self.GAINS],
                                            value=next(v for v, _ in self.GAINS if np.isclose(v, gain)),
                                            description="gain", continuous_update=False),
            "step_size": widgets.SelectionSlider(options=[(f"{v:g}", v) for v in self.STEP_SIZES], value=step_size,
                                                 description="step size", continuous_update=False),
        }
        self.new_weights = widgets.Button(description="new weights", icon="refresh")
        self.progress = widgets.IntProgress(min=0, max=steps, description="training")
        for control in [*self.controls.values(), self.progress]:
            control.style.description_width = DESCRIPTION_WIDTH
        self.status = widgets.HTML()
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
        # A fixed layout: a layout engine would re-solve it on every frame.
        self.figure = Figure(figsize=(8.2, 6.2), dpi=72)
        FigureCanvasAgg(self.figure)
        axes = self.figure.subplots(2, 2, gridspec_kw={"left": 0.08, "right": 0.98, "bottom": 0.08, "top": 0.94,
                                                       "wspace": 0.22, "hspace": 0.32})
        (self.activation_axes, self.gradient_axes), (self.region_axes, self.loss_axes) = axes
        blank = np.zeros((1, BINS))
        self.activation_map = self.activation_axes.imshow(blank, cmap=DENSITY_COLOURS, vmin=0, vmax=1, aspect="auto",
                                                          origin="lower", interpolation="nearest")
        self.activation_axes.set_xlabel("hidden layer output")
        self.activation_axes.set_ylabel("hidden layer")
        self.gradient_map = self.gradient_axes.imshow(blank, cmap=DENSITY_COLOURS, vmin=0, vmax=1, aspect="auto",
                                                      origin="lower", interpolation="nearest",
                                                      extent=(*LOG_GRADIENT_RANGE, 0.5, 1.5))
        (self.gradient_medians,) = self.gradient_axes.plot([], [], "o", color="C3", ms=4)
        self.gradient_axes.set_xlabel("log₁₀ |∂L/∂W| of each weight")
        self.gradient_axes.set_ylabel("weight matrix (top: output)")
        self.gradient_axes.set_title("weight gradients at initialisation (dots: medians)", fontsize=10)

        self.regions = self.region_axes.imshow(np.ones((2, 2, 3)), origin="lower", interpolation="bilinear",
                                               aspect="auto")
        self.points = self.region_axes.scatter(self.X[:, 0], self.X[:, 1], s=8, edgecolors="k", linewidths=0.3,
                                               c=CLASS_COLOURS[self.y % len(CLASS_COLOURS)])
        low, high = self.X.min(axis=0) - 0.2, self.X.max(axis=0) + 0.2
        u, v = np.linspace(low[0], high[0], self.grid), np.linspace(low[1], high[1], self.grid)
        self.lattice = np.stack(np.meshgrid(u, v), axis=-1).reshape(-1, 2)
        self.regions.set_extent((low[0], high[0], low[1], high[1]))
        self.region_axes.set_xticks([])
        self.region_axes.set_yticks([])
        (self.loss_line,) = self.loss_axes.plot([], [], color="k", lw=1.2)
        self.loss_axes.axhline(np.log(self.n_classes), color="0.6", ls=":", lw=1)
        self.loss_axes.set_xlabel("step")
        self.loss_axes.set_ylabel("training loss")
        # Few, small tick labels: text is most of the cost of a frame.
        for axes in (self.activation_axes, self.gradient_axes, self.loss_axes):
            axes.xaxis.set_major_locator(MaxNLocator(4))
            axes.tick_params(labelsize=8)
        self.loss_axes.yaxis.set_major_locator(MaxNLocator(4))

    # ---- runs ---------------------------------------------------------------------------
    @property
    def settings(self) -> dict[str, Any]:
        """The current value of every control."""
        return {name: control.value for name, control in self.controls.items()}

    @property
    def sizes(self) -> list[int]:
        """Layer sizes [D, H, …, H, K] of the current settings."""
        s = self.settings
        return [self.X.shape[1]] + [s["width"]] * s["depth"] + [self.n_classes]

    def _reseed(self, _button: Any = None) -> None:
        self.seed += 1
        self.restart()

    def restart(self) -> None:
        """Start a new run: fresh weights, their statistics, a few steps, and the first picture at once."""
        self._generation += 1
        if self._task is not None:
            self._task.cancel()
            self._task = None
        s = self.settings
        with self._blas.limit(limits=1, user_api="blas"):
            self.net = self.model.init(self.sizes, s["activation"], s["gain"], self.seed)
            self._measure_initialisation()  # raises for a model that breaks the contract, before the run resets
            self.losses: list[float] = []
            self.diverged = False
            self.progress.max = self.steps
            self._train(self.first_steps, measured=True)
            self.draw()
        if self.live and self.running:
            self._task = asyncio.ensure_future(self._run(self._generation))

    @np.errstate(over="ignore", invalid="ignore")
    def _measure_initialisation(self) -> None:
        """Forward and backward once at the fresh weights; keep the per-layer statistics."""
        depth = self.settings["depth"]
        scores, hidden = self.model.forward(self.net, self.X)
        if len(hidden) != depth:
            raise ValueError(f"DeepModel.forward returned {len(hidden)} hidden layer outputs for a network with "
                             f"{depth} hidden layers (sizes {self.sizes})")
        loss, dscores = self.model.loss(scores, self.y)
        weight_gradients = self.model.backward(self.net, dscores)
        if len(weight_gradients) != depth + 1:
            raise ValueError(f"DeepModel.backward returned {len(weight_gradients)} weight gradients; a network with "
                             f"{depth} hidden layers has {depth + 1} weight matrices")
        self.hidden = [np.asarray(h, dtype=float) for h in hidden]
        self.initial_loss = float(loss)
        self.log_gradients = [log_magnitudes(g) for g in weight_gradients]
        self.dead_fraction = float(np.mean([np.all(h == 0.0, axis=0).mean() for h in self.hidden]))

    @property
    def running(self) -> bool:
        """True while the current run has steps left."""
        return len(self.losses) < self.steps and not self.diverged

    def advance(self) -> bool:
        """Train one chunk and redraw if a frame is due; return whether steps remain."""
        if not self.running:
            return False
        with self._blas.limit(limits=1, user_api="blas"):
            self._train(min(-(-self.steps // self.chunks), self.steps - len(self.losses)))
            if not self.running or time.perf_counter() - self._last_frame >= self.frame_interval:
                self.draw()
        return self.running

    def finish(self) -> None:
        """Train the current run to the end (synchronously) and draw the last picture."""
        while self.advance():
            pass

    async def _run(self, generation: int) -> None:
        # Between chunks the loop handles the kernel's messages: a control change bumps the
        # generation, and this run stops.
        while generation == self._generation and self.advance():
            await asyncio.sleep(0.001)

    @np.errstate(over="ignore", invalid="ignore")  # a diverging run is stopped and reported, not warned about
    def _train(self, steps: int, measured: bool = False) -> None:
        """``steps`` gradient steps; with ``measured`` the first reuses the backward pass just measured."""
        step_size = self.settings["step_size"]
        for step in range(steps):
            if measured and step == 0:
                loss = self.initial_loss
            else:
                scores, _ = self.model.forward(self.net, self.X)
                loss, dscores = self.model.loss(scores, self.y)
                self.model.backward(self.net, dscores)
            loss = float(loss)
            if not np.isfinite(loss):
                self.diverged = True
                break
            self.net = self.model.update(self.net, step_size)
            self.losses.append(loss)
        self.progress.value = len(self.losses)

    # ---- drawing ------------------------------------------------------------------------
    def _draw_statistics(self) -> None:
        s = self.settings
        depth = s["depth"]
        low, high = ACTIVATION_RANGES[s["activation"]]
        self.activation_map.set_data(histogram_rows(self.hidden, low, high))
        self.activation_map.set_extent((low, high, 0.5, depth + 0.5))
        self.activation_axes.set_xlim(low, high)
        self.activation_axes.set_ylim(0.5, depth + 0.5)
        spreads = ", ".join(f"{h.std():.2g}" for h in (self.hidden[0], self.hidden[-1]))
        self.activation_axes.set_title(f"activations at initialisation (std first, last: {spreads})", fontsize=10)
        self.gradient_map.set_data(histogram_rows(self.log_gradients, *LOG_GRADIENT_RANGE))
        self.gradient_map.set_extent((*LOG_GRADIENT_RANGE, 0.5, depth + 1.5))
        self.gradient_axes.set_ylim(0.5, depth + 1.5)
        self.gradient_medians.set_data([np.median(g) for g in self.log_gradients], np.arange(1, depth + 2))
        for axes, rows in ((self.activation_axes, depth), (self.gradient_axes, depth + 1)):
            axes.set_yticks(np.arange(1, rows + 1) if rows <= 6 else np.arange(1, rows + 1, 2))

    @np.errstate(over="ignore", invalid="ignore")
    def draw(self) -> None:
        """Redraw the statistics, the regions, the loss curve and the status from the current state."""
        self._draw_statistics()
        scores, _ = self.model.forward(self.net, self.lattice)
        self.regions.set_data(region_colours(np.asarray(scores, dtype=float)).reshape(self.grid, self.grid, 3))
        train_scores, _ = self.model.forward(self.net, self.X)
        self.accuracy = float(np.mean(np.argmax(train_scores, axis=1) == self.y))
        self.loss_line.set_data(np.arange(len(self.losses)), self.losses)
        self.loss_axes.set_xlim(0, max(self.steps - 1, 1))
        finite = [loss for loss in self.losses if np.isfinite(loss)]
        self.loss_axes.set_ylim(0, 1.05 * max(finite + [np.log(self.n_classes)]))
        s = self.settings
        gain = next(label for value, label in self.GAINS if value == s["gain"])
        self.region_axes.set_title(f"{s['depth']} × {s['width']} {s['activation']}, gain {gain}: "
                                   f"accuracy {self.accuracy:.0%}", fontsize=10)
        self.loss_axes.set_title(f"training loss, step size {s['step_size']:g}", fontsize=10)
        loss = f"{self.losses[-1]:.3g}" if self.losses else "–"
        self.status.value = (f"step {len(self.losses)}/{self.steps}, loss {loss}, training accuracy "
                             f"{self.accuracy:.0%}<br>hidden units dead at initialisation: {self.dead_fraction:.0%}")
        if self.diverged:
            self.status.value += f"<br>diverged at step {len(self.losses)}: lower the step size or the gain"
        self.image.value = render_png(self.figure)
        self.frames += 1
        self._last_frame = time.perf_counter()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
