"""The optimiser race (lecture 5): several optimisers descend one 2-D loss surface from the same start.

The surfaces are lecture props: each is a loss f(x, y) with its gradient, a start and a window
to draw, chosen so that one difficulty of non-convex training shows on its own (a saddle point,
a ravine, a flat region, a second, worse minimum). The optimisers are not here: the race takes
them from the notebook as factories, ``make(hyper) -> step`` with ``step(point, grad) -> point``,
so this module holds the surfaces, the loop that follows one optimiser, and the drawing.

Why it redraws fast. A change of any control recomputes every path (a few hundred 2-D steps per
optimiser, milliseconds) and redraws one reused figure. The shaded loss and the contour lines of
every surface are computed once, at construction (a surface change swaps the image's array and
which contour set is visible). Everything but the paths and loss curves (the surface, axes, ticks,
labels and legend) is rendered by Agg once per surface, number of steps and set of optimisers,
and its pixels are kept; a change of the learning rate, μ, β1, β2 or ρ restores those pixels and
draws only the paths and curves over them (matplotlib's blitting), then encodes the canvas as PNG
bytes for an ``ipywidgets.Image``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from nbcheck.widgets.render import DESCRIPTION_WIDTH, PNG_OPTIONS, controls_beside_picture, picture_layout

Step = Callable[[np.ndarray, np.ndarray], np.ndarray]
GAP_FLOOR = 1e-12  # loss gaps below this are drawn at it: the log scale cannot show 0


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface: its value, its gradient, where the race starts and what is drawn.

    Attributes:
        loss: f(P) for points P of shape (..., 2); returns shape (...).
        grad: ∇f(P) for points P of shape (..., 2); returns shape (..., 2).
        start: the common starting point (x, y).
        window: (x_min, x_max, y_min, y_max), the part of the plane drawn.
        minima: the local minima (m, 2); the first is the global one.
        formula: f(x, y), as the picture's title shows it.
        description: one line on what the surface shows.
    """

    loss: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    start: tuple[float, float]
    window: tuple[float, float, float, float]
    minima: np.ndarray
    formula: str
    description: str

    @property
    def lowest(self) -> float:
        """f at the global minimum, the zero of the loss gaps that are plotted."""
        return float(self.loss(self.minima[0]))


def _split(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    points = np.asarray(points, dtype=float)
    return points[..., 0], points[..., 1]


def _saddle_loss(points: np.ndarray) -> np.ndarray:
    x, y = _split(points)
    return x ** 2 + 0.25 * (y ** 2 - 1.0) ** 2


def _saddle_grad(points: np.ndarray) -> np.ndarray:
    x, y = _split(points)
    return np.stack([2.0 * x, y * (y ** 2 - 1.0)], axis=-1)


def _ravine_loss(points: np.ndarray) -> np.ndarray:
    x, y = _split(points)
    return 0.1 * x ** 2 + 9.0 * y ** 2


def _ravine_grad(points: np.ndarray) -> np.ndarray:
    x, y = _split(points)
    return np.stack([0.2 * x, 18.0 * y], axis=-1)


def _plateau_loss(points: np.ndarray) -> np.ndarray:
    x, y = _split(points)
    return 1.0 - np.exp(-0.5 * (x ** 2 + 2.0 * y ** 2))


def _plateau_grad(points: np.ndarray) -> np.ndarray:
    x, y = _split(points)
    well = np.exp(-0.5 * (x ** 2 + 2.0 * y ** 2))
    return np.stack([x * well, 2.0 * y * well], axis=-1)


TILT = 0.15  # the slope that makes the left well of the two-minima surface the deeper one


def _two_minima_loss(points: np.ndarray) -> np.ndarray:
    x, y = _split(points)
    return 0.25 * (x ** 2 - 1.0) ** 2 + TILT * x + 0.5 * y ** 2


def _two_minima_grad(points: np.ndarray) -> np.ndarray:
    x, y = _split(points)
    return np.stack([x ** 3 - x + TILT, y], axis=-1)


def _two_minima_wells() -> np.ndarray:
    """The two minima (x, 0), x the outer real roots of x³ − x + TILT = 0, deeper (left) first."""
    roots = np.sort(np.roots([1.0, 0.0, -1.0, TILT]).real)
    return np.array([[roots[0], 0.0], [roots[2], 0.0]])


SURFACES: dict[str, Surface] = {
    "saddle": Surface(
        _saddle_loss, _saddle_grad, start=(-2.0, 1e-3), window=(-2.4, 2.4, -1.6, 1.6),
        minima=np.array([[0.0, 1.0], [0.0, -1.0]]), formula="x² + (y² − 1)²/4",
        description="a saddle at the origin between minima at (0, ±1); the start is 0.001 off the ridge y = 0"),
    "ravine": Surface(
        _ravine_loss, _ravine_grad, start=(-4.0, 0.9), window=(-4.6, 4.6, -1.2, 1.2),
        minima=np.array([[0.0, 0.0]]), formula="0.1 x² + 9 y²",
        description="a narrow valley with a gentle floor: curvature 18 across it, 0.2 along it"),
    "flat region": Surface(
        _plateau_loss, _plateau_grad, start=(2.8, 1.3), window=(-3.3, 3.3, -2.0, 2.0),
        minima=np.array([[0.0, 0.0]]), formula="1 − exp(−(x² + 2y²)/2)",
        description="a well in a plateau: at the start the gradient is about 0.01"),
    "two minima": Surface(
        _two_minima_loss, _two_minima_grad, start=(2.2, 1.0), window=(-2.4, 2.4, -1.8, 1.8),
        minima=_two_minima_wells(), formula="(x² − 1)²/4 + 0.15 x + y²/2",
        description="a deep well on the left, a shallower one on the right, nearer the start"),
}


def trajectory(step: Step, surface: Surface, steps: int, escape: float = 1e3) -> np.ndarray:
    """Follow one optimiser: P_0 = start, P_(t+1) = step(P_t, ∇f(P_t)).

    Args:
        step: the optimiser's step, ``step(point (2,), grad (2,)) -> next point (2,)``.
        surface: the loss surface.
        steps: the number of steps to take.
        escape: a path that gets farther than ``escape`` times the window's size from the
            window's centre, or stops being finite, has diverged and ends there.

    Returns:
        (T + 1, 2) float64 points, T ≤ steps; T < steps means the path diverged at step T + 1.
    """
    x_min, x_max, y_min, y_max = surface.window
    centre = np.array([x_max + x_min, y_max + y_min]) / 2.0
    limit = escape * max(x_max - x_min, y_max - y_min)
    points = [np.array(surface.start, dtype=float)]
    for _ in range(steps):
        point = points[-1]
        following = np.asarray(step(point.copy(), surface.grad(point)), dtype=float)
        if not np.all(np.isfinite(following)) or np.abs(following - centre).max() > limit:
            break
        points.append(following)
    return np.array(points)


@dataclass(frozen=True)
class Hyperparameters:
    """The race's controls as one optimiser factory sees them.

    Attributes:
        learning_rate: the step size η.
        momentum: μ, the decay of the velocity of momentum methods.
        beta1: β1, the decay of Adam's average of the gradients.
        beta2: β2, the decay of Adam's average of squared gradients.
        rho: ρ, the decay of RMSprop's average of squared gradients.
    """

    learning_rate: float
    momentum: float
    beta1: float
    beta2: float
    rho: float


@dataclass(frozen=True)
class RaceResult:
    """One optimiser's run: its path, its loss gap f − f_min at every point, and whether it diverged."""

    path: np.ndarray
    gaps: np.ndarray
    diverged: bool

    def steps_to(self, tolerance: float) -> int | None:
        """The first step at which the loss gap is below ``tolerance``, or None."""
        below = np.flatnonzero(self.gaps < tolerance)
        return int(below[0]) if below.size else None


class OptimiserRace:
    """Race optimisers on a 2-D loss surface: their paths on the contours and their loss against the step.

    Controls (``self.controls``, keyed by name): ``surface``, ``learning_rate``, ``momentum``,
    ``beta1``, ``beta2``, ``rho`` and ``steps``; ``self.entrants`` holds one checkbox per optimiser, to
    take it in or out of the race. Any change recomputes every path and redraws at once.
    ``self.image`` shows the picture and ``self.table`` the surface's description and each
    optimiser's result (final loss gap, steps to a gap below ``tolerance``, or the step at which it
    diverged). Display the race by
    making it the last expression of a cell.

    Args:
        racers: name -> factory ``make(hyper: Hyperparameters) -> step``; each redraw calls the
            factory again, so an optimiser's state (velocity, averages, step count) starts afresh.
        surfaces: name -> :class:`Surface`; defaults to :data:`SURFACES`.
        tolerance: the loss gap f − f_min that counts as arrived.
        grid: the shaded loss is sampled on a grid × grid lattice.
    """

    LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
    BETA2S = (0.9, 0.99, 0.999, 0.9999)
    RHOS = (0.5, 0.9, 0.99, 0.999)
    COLOURS = ("C0", "C1", "C2", "C3", "C4", "C5", "C6", "C8", "C9")

    def __init__(self, racers: Mapping[str, Callable[[Hyperparameters], Step]], *,
                 surfaces: Mapping[str, Surface] | None = None, surface: str | None = None,
                 learning_rate: float = 0.1, momentum: float = 0.9, beta1: float = 0.9, beta2: float = 0.999,
                 rho: float = 0.99, steps: int = 150, tolerance: float = 1e-3, grid: int = 160) -> None:
        if not racers:
            raise ValueError("racers must name at least one optimiser factory")
        if len(racers) > len(self.COLOURS):
            raise ValueError(f"at most {len(self.COLOURS)} racers can be told apart")
        self.racers = dict(racers)
        self.surfaces = dict(SURFACES if surfaces is None else surfaces)
        self.tolerance = tolerance
        self.grid = grid
        self.frames = 0  # pictures drawn so far
        self.results: dict[str, RaceResult] = {}

        self.controls: dict[str, widgets.ValueWidget] = {
            "surface": widgets.Dropdown(options=list(self.surfaces), value=surface or next(iter(self.surfaces)),
                                        description="surface"),
            "learning_rate": widgets.SelectionSlider(options=[(f"{v:g}", v) for v in self.LEARNING_RATES],
                                                     value=learning_rate, description="step size η",
                                                     continuous_update=False),
            "momentum": widgets.FloatSlider(value=momentum, min=0.0, max=0.99, step=0.01, description="momentum μ",
                                            continuous_update=False),
            "beta1": widgets.FloatSlider(value=beta1, min=0.0, max=0.99, step=0.01, description="Adam β1",
                                         continuous_update=False),
            "beta2": widgets.SelectionSlider(options=[(f"{v:g}", v) for v in self.BETA2S], value=beta2,
                                             description="Adam β2", continuous_update=False),
            "rho": widgets.SelectionSlider(options=[(f"{v:g}", v) for v in self.RHOS], value=rho,
                                           description="RMSprop ρ", continuous_update=False),
            "steps": widgets.IntSlider(value=steps, min=10, max=500, step=10, description="steps",
                                       continuous_update=False),
        }
        self.entrants = {name: widgets.Checkbox(value=True, description=name, indent=False,
                                                layout=widgets.Layout(width="auto"))
                         for name in self.racers}
        self.table = widgets.HTML()
        self._build_figure()
        self.image = widgets.Image(format="png", layout=picture_layout(self.figure))
        entrants = widgets.HBox(list(self.entrants.values()), layout=widgets.Layout(flex_flow="row wrap"))
        self.widget = controls_beside_picture(list(self.controls.values()) + [entrants, self.table], self.image)
        for control in self.controls.values():
            control.style.description_width = DESCRIPTION_WIDTH
        for control in list(self.controls.values()) + list(self.entrants.values()):
            control.observe(lambda change: self.draw(), names="value")
        self.draw()

    # ---- the figure ---------------------------------------------------------------------
    def _build_figure(self) -> None:
        # A fixed layout: a layout engine would re-solve it on every frame.
        self.figure = Figure(figsize=(8.2, 3.8), dpi=72)
        FigureCanvasAgg(self.figure)
        self.map_axes, self.loss_axes = self.figure.subplots(1, 2, width_ratios=[1.25, 1], gridspec_kw=dict(
            left=0.05, right=0.87, bottom=0.13, top=0.9, wspace=0.26))
        self.shading = self.map_axes.imshow(np.zeros((2, 2)), origin="lower", aspect="auto", cmap="Greys",
                                            vmin=-4.0, vmax=9.0, interpolation="bilinear")
        # Everything that depends on the surface alone is computed once, here.
        self.shades = {name: self._log_gap_image(surface) for name, surface in self.surfaces.items()}
        self.contours = {name: self._contour_lines(surface, self.shades[name])
                         for name, surface in self.surfaces.items()}
        self.shown_surface: str | None = None
        self._background_layout: tuple | None = None  # (surface, steps, racers) the saved background shows
        (self.start_marker,) = self.map_axes.plot([], [], "s", color="k", ms=6, zorder=4)
        (self.global_marker,) = self.map_axes.plot([], [], "*", color="gold", mec="k", mew=0.6, ms=12, zorder=4)
        (self.local_markers,) = self.map_axes.plot([], [], "*", color="white", mec="k", mew=0.6, ms=10, zorder=4)
        self.paths: dict[str, Line2D] = {}
        self.ends: dict[str, Line2D] = {}
        self.curves: dict[str, Line2D] = {}
        for name, colour in zip(self.racers, self.COLOURS):
            # Animated: left out of the background, drawn over it on every redraw.
            (self.paths[name],) = self.map_axes.plot([], [], "-", color=colour, lw=1.6, animated=True)
            (self.ends[name],) = self.map_axes.plot([], [], "o", color=colour, mec="k", mew=0.5, ms=6,
                                                    animated=True)
            (self.curves[name],) = self.loss_axes.plot([], [], "-", color=colour, lw=1.6, animated=True)
        self.map_axes.set_xticks([])
        self.map_axes.set_yticks([])
        self.loss_axes.set_yscale("log")
        self.loss_axes.set_xlabel("step")
        self.loss_axes.set_ylabel("loss gap f − f_min")

    def _log_gap_image(self, surface: Surface) -> np.ndarray:
        """log10(f − f_min + 1e-4) on the window's lattice: the shading, darker where the loss is higher."""
        x_min, x_max, y_min, y_max = surface.window
        u, v = np.meshgrid(np.linspace(x_min, x_max, self.grid), np.linspace(y_min, y_max, self.grid))
        return np.log10(np.maximum(surface.loss(np.stack([u, v], axis=-1)) - surface.lowest, 0.0) + 1e-4)

    def _contour_lines(self, surface: Surface, shade: np.ndarray) -> Any:
        """The surface's contour lines, evenly spaced in log gap (hidden until the surface is picked)."""
        levels = np.linspace(-3.5, shade.max(), 14)
        lines = self.map_axes.contour(shade, levels=levels, colors="0.45", linewidths=0.6,
                                      extent=surface.window, origin="lower")
        lines.set_visible(False)
        return lines

    # ---- the race -------------------------------------------------------------------------
    @property
    def settings(self) -> dict[str, Any]:
        """The current value of every control."""
        return {name: control.value for name, control in self.controls.items()}

    @property
    def hyperparameters(self) -> Hyperparameters:
        s = self.settings
        return Hyperparameters(s["learning_rate"], s["momentum"], s["beta1"], s["beta2"], s["rho"])

    @property
    def racing(self) -> list[str]:
        """The optimisers whose checkbox is ticked, in the order they were given."""
        return [name for name, box in self.entrants.items() if box.value]

    def run(self) -> dict[str, RaceResult]:
        """Every racing optimiser's path on the current surface, each from a fresh factory call."""
        surface = self.surfaces[self.settings["surface"]]
        hyper, steps = self.hyperparameters, self.settings["steps"]
        results = {}
        for name in self.racing:
            path = trajectory(self.racers[name](hyper), surface, steps)
            results[name] = RaceResult(path, surface.loss(path) - surface.lowest, diverged=len(path) <= steps)
        return results

    # ---- drawing ------------------------------------------------------------------------
    def draw(self) -> None:
        """Run the race with the current controls and redraw the paths, the loss curves and the table."""
        self.results = self.run()
        for racer in self.racers:
            result = self.results.get(racer)
            path = result.path if result is not None else np.empty((0, 2))
            gaps = np.maximum(result.gaps, GAP_FLOOR) if result is not None else np.empty(0)
            self.paths[racer].set_data(path[:, 0], path[:, 1])
            self.ends[racer].set_data(path[-1:, 0], path[-1:, 1])
            self.curves[racer].set_data(np.arange(len(gaps)), gaps)
        layout = (self.settings["surface"], self.settings["steps"], tuple(self.results))
        if layout != self._background_layout:
            self._draw_background()
            self._background_layout = layout
        canvas = self.figure.canvas
        canvas.restore_region(self._background)
        for racer in self.results:
            for artist in (self.paths[racer], self.ends[racer], self.curves[racer]):
                artist.axes.draw_artist(artist)
        self.table.value = self._table_html()
        self.image.value = self._png()
        self.frames += 1

    def _draw_background(self) -> None:
        """Draw everything but the paths and curves (surface, axes, legend) and keep the pixels.

        It depends only on the surface, the number of steps and which optimisers race: the
        loss axes have fixed limits, from the floor to 30 times the starting gap, so the
        learning rate, μ, β1, β2 and ρ only move the paths and curves drawn over it.
        """
        name, steps = self.settings["surface"], self.settings["steps"]
        surface = self.surfaces[name]
        if self.shown_surface != name:
            self.shading.set_data(self.shades[name])
            self.shading.set_extent(surface.window)
            for other, lines in self.contours.items():
                lines.set_visible(other == name)
            self.map_axes.set_xlim(surface.window[:2])
            self.map_axes.set_ylim(surface.window[2:])
            self.start_marker.set_data([surface.start[0]], [surface.start[1]])
            self.global_marker.set_data(surface.minima[:1, 0], surface.minima[:1, 1])
            self.local_markers.set_data(surface.minima[1:, 0], surface.minima[1:, 1])
            self.map_axes.set_title(f"{name}: f = {surface.formula}", fontsize=10, loc="left")
            start_gap = float(surface.loss(np.array(surface.start))) - surface.lowest
            self.loss_axes.set_ylim(GAP_FLOOR / 3.0, 30.0 * max(start_gap, GAP_FLOOR))
            self.shown_surface = name
        self.loss_axes.set_xlim(0, steps)
        if self.results:
            # Outside the axes: the curves are drawn over the saved background, so a legend inside would be crossed.
            self.loss_axes.legend(handles=[self.curves[racer] for racer in self.results],
                                  labels=list(self.results), fontsize=8, loc="lower left", bbox_to_anchor=(1.01, 0.0),
                                  frameon=False, borderaxespad=0.0)
        elif self.loss_axes.get_legend() is not None:
            self.loss_axes.get_legend().remove()
        self.figure.canvas.draw()  # the animated paths and curves are left out
        self._background = self.figure.canvas.copy_from_bbox(self.figure.bbox)

    def _png(self) -> bytes:
        """The canvas as it stands (background plus the artists drawn over it) as PNG bytes."""
        buffer = io.BytesIO()
        Image.fromarray(np.asarray(self.figure.canvas.buffer_rgba())).save(buffer, format="png", **PNG_OPTIONS)
        return buffer.getvalue()

    def _table_html(self) -> str:
        """The surface's description, then one row per racing optimiser."""
        about = f"<p style='font-size: 12px'><i>{self.surfaces[self.settings['surface']].description}</i></p>"
        if not self.results:
            return about + "<i>Tick an optimiser to race it.</i>"
        rows = []
        for name, result in self.results.items():
            if result.diverged:
                outcome = f"diverged at step {len(result.path)}"
            else:
                arrived = result.steps_to(self.tolerance)
                outcome = f"gap < {self.tolerance:g} at step {arrived}" if arrived is not None else "not arrived"
            rows.append(f"<tr><td><b>{name}</b></td><td>{result.gaps[-1]:.2e}</td><td>{outcome}</td></tr>")
        header = "<tr><th>optimiser</th><th>final gap</th><th></th></tr>"
        return f"{about}<table style='font-size: 12px'>{header}{''.join(rows)}</table>"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
