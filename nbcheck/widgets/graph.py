"""Computation graphs drawn with matplotlib, and a stepper through backpropagation (lecture 4).

The lecture's own scalar engine describes a graph as plain records; this module only draws
them. It differentiates nothing and orders nothing: the records arrive in forward order, each
node after its parents, and the module checks that they do.

* :class:`GraphNode`: one node: an id, the text drawn in it, its parents' ids, its forward
  value, its gradient ∂L/∂node and the text of its local rule;
* :class:`TraceStep` and :class:`Trace`: a forward pass then a backward pass, one node at a
  time, with the values and gradients known after each step;
* :func:`layered_layout`: positions from the parent links (longest-path layers, inputs on the
  left, the output on the right, rows ordered to keep edges short);
* :func:`draw_graph`: a static picture; each node's value is written in green above its
  outgoing wire and its gradient in red below it;
* :class:`BackpropStepper`: an ipywidgets demo: pick an expression and step through its trace
  with Prev/Next or the slider; the active node, the edges its rule acts on and its local rule
  are highlighted.

Every redraw updates the artists of one matplotlib figure (texts, colours, line widths, never a
fresh plot) and renders it off-screen with Agg to PNG bytes for an ``ipywidgets.Image``, so a
step is drawn in a few tens of milliseconds and works the same in JupyterLab, a script and the
tests.
"""

from __future__ import annotations

import textwrap
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Literal

import ipywidgets as widgets
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

from nbcheck.widgets.render import picture_layout, picture_width, render_png

Phase = Literal["forward", "backward"]

# Geometry in layout units; UNIT inches per unit when this module sizes the figure.
LAYER_SPACING = 2.1   # between the centres of two layers (room for the value and gradient texts)
ROW_SPACING = 1.05    # between two rows of one layer
BOX_HEIGHT = 0.46
UNIT = 0.62
CAPTION_INCHES = 0.95  # the stepper's caption band under the graph
DPI = 100  # like the lectures' other figures

VALUE_COLOUR = "#1b5e20"
GRAD_COLOUR = "#b71c1c"
EDGE_COLOUR = "0.6"
LEAF_FACE = "#fdf3d0"  # inputs and parameters
OP_FACE = "white"
ACTIVE = {"forward": ("#ef6c00", "#ffe0b2"), "backward": ("#c62828", "#ffcdd2")}  # phase -> (edge, face)


@dataclass(frozen=True)
class GraphNode:
    """One node of a computation graph, as the lecture's engine describes it.

    Attributes:
        id: unique key of the node.
        label: the text drawn in the node: an operator ("×", "exp") or an input's name ("x").
        parents: ids of the nodes this one is computed from, one entry per use (``("x", "x")``
            for x·x); each must come earlier in the list of nodes.
        value: the forward value, if known.
        grad: ∂L/∂(this node) after the backward pass, if known.
        rule: the local rule, e.g. "∂u/∂x = y = 2"; the stepper shows it when the node is active.
        name: an optional name written small above the node ("u", "z").
    """

    id: str
    label: str
    parents: tuple[str, ...] = ()
    value: float | None = None
    grad: float | None = None
    rule: str = ""
    name: str = ""


@dataclass(frozen=True)
class TraceStep:
    """One step of a forward or backward pass.

    Attributes:
        node: the id of the active node (None for a step that activates no node, e.g. the inputs).
        phase: "forward" or "backward".
        caption: what happens at this step, e.g. "u = x·y = 1.5 × 2 = 3".
        values: node id -> forward value, for every node whose value is known after this step.
        grads: node id -> gradient accumulated so far, for every node that has received one.
    """

    node: str | None
    phase: Phase
    caption: str
    values: Mapping[str, float] = field(default_factory=dict)
    grads: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Trace:
    """A graph and the steps of its forward and backward passes, in the order they happen."""

    nodes: Sequence[GraphNode]
    steps: Sequence[TraceStep]

    def __post_init__(self) -> None:
        ids = check_forward_order(self.nodes)
        if not self.steps:
            raise ValueError("a trace needs at least one step")
        for index, step in enumerate(self.steps):
            unknown = ({step.node} - {None} | set(step.values) | set(step.grads)) - ids
            if unknown:
                raise ValueError(f"step {index} names nodes that are not in the graph: {sorted(unknown)}")
            if step.phase not in ACTIVE:
                raise ValueError(f"step {index}: phase must be 'forward' or 'backward', not {step.phase!r}")


def check_forward_order(nodes: Sequence[GraphNode]) -> set[str]:
    """Check that ids are unique and every parent is listed before its child; return the ids."""
    seen: set[str] = set()
    for node in nodes:
        if node.id in seen:
            raise ValueError(f"two nodes have the id {node.id!r}")
        for parent in node.parents:
            if parent not in seen:
                raise ValueError(f"parent {parent!r} of {node.id!r} is not listed before it: "
                                 "give the nodes in forward order (every node after its parents)")
        seen.add(node.id)
    return seen


@dataclass(frozen=True)
class Layout:
    """Where a graph is drawn, in (layer, row) coordinates; rows go downwards.

    Attributes:
        positions: node id -> (layer, row).
        routes: (child id, index into child.parents) -> the (layer, row) points an edge that
            spans more than one layer passes through, one per layer in between (empty for an
            edge between neighbouring layers).
    """

    positions: dict[str, tuple[int, float]]
    routes: dict[tuple[str, int], list[tuple[int, float]]]


ROUTE_GAP = 0.6  # least distance, in rows, between a routed edge and anything else in its layer


def layered_layout(nodes: Sequence[GraphNode], sweeps: int = 9) -> Layout:
    """Lay a graph out in layers, inputs on the left and the output on the right.

    Layer: the length of the longest path from an input (longest-path layering), except that an
    input sits one layer before its first user, so a bias added late is drawn next to its ``+``.
    An edge that spans several layers gets one waypoint in each layer it crosses, which keeps a
    row free for it (the waypoints of Sugiyama's method). Rows: ``sweeps`` passes, alternately
    from the inputs and from the output, move every node and waypoint to the mean row of its
    neighbours on the side the pass comes from (the barycentre heuristic), then push the members
    of a layer apart (one row between nodes, ROUTE_GAP next to a waypoint) keeping their mean.
    This shortens edges and removes most crossings; an odd number of sweeps ends with a pass
    from the inputs, which centres each node between its parents.

    Args:
        nodes: the graph in forward order (each node after its parents).
        sweeps: how many passes.

    Returns:
        The :class:`Layout`: every edge goes from a lower layer to a higher one, and two members
        of a layer are at least ROUTE_GAP rows apart (one row for two nodes).
    """
    check_forward_order(nodes)
    layer: dict[Any, int] = {}
    children: dict[Any, list[Any]] = {node.id: [] for node in nodes}
    for node in nodes:
        layer[node.id] = 1 + max((layer[p] for p in node.parents), default=-1)
        for parent in node.parents:
            children[parent].append(node.id)
    for node in nodes:
        if not node.parents and children[node.id]:
            layer[node.id] = min(layer[child] for child in children[node.id]) - 1

    # Waypoints: a long edge parent -> child becomes parent -> w1 -> ... -> child for the ordering.
    parents: dict[Any, list[Any]] = {node.id: [] for node in nodes}
    children = {node.id: [] for node in nodes}
    waypoints: dict[tuple[str, int], list[tuple[str, int, int]]] = {}
    for node in nodes:
        for index, parent in enumerate(node.parents):
            chain = [(node.id, index, k) for k in range(layer[parent] + 1, layer[node.id])]
            waypoints[node.id, index] = chain
            for point in chain:
                layer[point] = point[2]
                parents[point], children[point] = [], []
            path = [parent, *chain, node.id]
            for before, after in pairwise(path):
                children[before].append(after)
                parents[after].append(before)

    layers: dict[int, list[Any]] = {}
    for member, number in layer.items():
        layers.setdefault(number, []).append(member)
    row = {member: index - (len(ids) - 1) / 2 for ids in layers.values() for index, member in enumerate(ids)}

    def gap(a: Any, b: Any) -> float:
        return 1.0 if isinstance(a, str) and isinstance(b, str) else ROUTE_GAP

    for sweep in range(sweeps):
        from_inputs = sweep % 2 == 0
        neighbours = parents if from_inputs else children
        for number in sorted(layers, reverse=not from_inputs):
            ids = layers[number]
            wanted = {m: sum(row[n] for n in neighbours[m]) / len(neighbours[m]) if neighbours[m] else row[m]
                      for m in ids}
            ids.sort(key=wanted.__getitem__)  # stable: ties keep their order
            placed = [wanted[ids[0]]]
            for before, member in pairwise(ids):
                placed.append(max(wanted[member], placed[-1] + gap(before, member)))
            shift = (sum(wanted.values()) - sum(placed)) / len(ids)
            row.update({member: y + shift for member, y in zip(ids, placed)})
    return Layout({node.id: (layer[node.id], row[node.id]) for node in nodes},
                  {edge: [(layer[point], row[point]) for point in chain] for edge, chain in waypoints.items()})


def smooth_path(points: Sequence[tuple[float, float]], bulge: float = 0.0) -> Path:
    """A curve through the points that leaves and enters each one horizontally (cubic Béziers).

    ``bulge`` lifts the control points, so two edges between the same nodes curve apart.
    """
    vertices = [points[0]]
    for (x0, y0), (x1, y1) in pairwise(points):
        reach = (x1 - x0) / 2
        vertices += [(x0 + reach, y0 + bulge), (x1 - reach, y1 + bulge), (x1, y1)]
    return Path(vertices, [Path.MOVETO] + [Path.CURVE4] * (len(vertices) - 1))


def format_number(x: float) -> str:
    """Three significant digits, with a true minus sign."""
    text = f"{x:.3g}"
    return text.replace("-", "\u2212")


class GraphPicture:
    """The artists of one graph on one Axes, built once; :meth:`show` updates them in place.

    Args:
        ax: where to draw; its limits and aspect are set to fit the graph.
        nodes: the graph in forward order.
    """

    def __init__(self, ax: Axes, nodes: Sequence[GraphNode]) -> None:
        self.ax = ax
        self.nodes = {node.id: node for node in nodes}
        layout = layered_layout(nodes)
        self.centres = {i: (LAYER_SPACING * l, -ROW_SPACING * r) for i, (l, r) in layout.positions.items()}
        self.boxes: dict[str, FancyBboxPatch] = {}
        self.values: dict[str, Any] = {}
        self.grads: dict[str, Any] = {}
        self.edges: dict[str, list[FancyArrowPatch]] = {}
        widths = {node.id: min(0.55 + 0.13 * len(node.label), 1.45) for node in nodes}
        for node in nodes:
            x, y = self.centres[node.id]
            width = widths[node.id]
            box = FancyBboxPatch((x - width / 2, y - BOX_HEIGHT / 2), width, BOX_HEIGHT, zorder=2,
                                 boxstyle="round,pad=0.02,rounding_size=0.14")
            ax.add_patch(box)
            self.boxes[node.id] = box
            ax.text(x, y, node.label, ha="center", va="center", fontsize=10, zorder=3)
            if node.name:
                ax.text(x, y + BOX_HEIGHT / 2 + 0.06, node.name, ha="center", va="bottom", fontsize=8,
                        style="italic", color="0.35", zorder=3)
            # Above and below the outgoing wire, which leaves the box horizontally at mid-height.
            right = x + width / 2 + 0.1
            self.values[node.id] = ax.text(right, y + 0.08, "", ha="left", va="bottom", fontsize=9,
                                           color=VALUE_COLOUR, zorder=4)
            self.grads[node.id] = ax.text(right, y - 0.08, "", ha="left", va="top", fontsize=9,
                                          color=GRAD_COLOUR, zorder=4)
        for node in nodes:
            self.edges[node.id] = []
            for index, parent in enumerate(node.parents):
                # Several uses of one parent (x·x) leave and arrive apart and bulge apart.
                uses = node.parents.count(parent)
                spread = 0.14 * (node.parents[:index].count(parent) - (uses - 1) / 2)
                (x0, y0), (x1, y1) = self.centres[parent], self.centres[node.id]
                points = [(x0 + widths[parent] / 2 + 0.02, y0 + spread)]
                points += [(LAYER_SPACING * l, -ROW_SPACING * r) for l, r in layout.routes[node.id, index]]
                points.append((x1 - widths[node.id] / 2 - 0.02, y1 + spread))
                arrow = FancyArrowPatch(path=smooth_path(points, bulge=2.5 * spread), arrowstyle="-|>",
                                        mutation_scale=9, zorder=1)
                ax.add_patch(arrow)
                self.edges[node.id].append(arrow)
        xs = [x for x, _ in self.centres.values()]
        ys = [y for _, y in self.centres.values()] + [-ROW_SPACING * r for route in layout.routes.values()
                                                      for _, r in route]
        ax.set_xlim(min(xs) - 0.95, max(xs) + 1.55)
        ax.set_ylim(min(ys) - 0.75, max(ys) + 0.75)
        ax.set_aspect("equal")
        ax.set_axis_off()

    @property
    def extent(self) -> tuple[float, float]:
        """Width and height of the drawing in layout units."""
        (x0, x1), (y0, y1) = self.ax.get_xlim(), self.ax.get_ylim()
        return x1 - x0, y1 - y0

    def show(self, values: Mapping[str, float], grads: Mapping[str, float], *, active: str | None = None,
             phase: Phase = "forward", new_values: Collection[str] = (), new_grads: Collection[str] = ()) -> None:
        """Write the given values and gradients, highlight ``active`` and the edges into it.

        Args:
            values, grads: node id -> number; nodes missing from a mapping show nothing.
            active: the node to highlight, with its incoming edges, in the colour of ``phase``.
            new_values, new_grads: ids whose value / gradient this step changed (written in bold).
        """
        for node_id, node in self.nodes.items():
            value, grad = values.get(node_id), grads.get(node_id)
            self.values[node_id].set_text("" if value is None else format_number(value))
            self.grads[node_id].set_text("" if grad is None else format_number(grad))
            self.values[node_id].set_fontweight("bold" if node_id in new_values else "normal")
            self.grads[node_id].set_fontweight("bold" if node_id in new_grads else "normal")
            edge, face = ACTIVE[phase] if node_id == active else ("0.25", LEAF_FACE if not node.parents else OP_FACE)
            box = self.boxes[node_id]
            box.set_edgecolor(edge)
            box.set_facecolor(face)
            box.set_linewidth(2.6 if node_id == active else 1.0)
            for arrow in self.edges[node_id]:
                arrow.set_color(ACTIVE[phase][0] if node_id == active else EDGE_COLOUR)
                arrow.set_linewidth(2.2 if node_id == active else 1.0)


def fit_figure(figure: Figure, picture: GraphPicture, *, top: float = 0.0, bottom: float = 0.0,
               min_width: float = 0.0) -> None:
    """Size the figure so the graph keeps UNIT inches per layout unit, with bands (inches) above and below.

    The graph is centred horizontally when ``min_width`` makes the figure wider than the graph.
    """
    width, height = picture.extent
    graph_width, graph_height = UNIT * width, UNIT * height
    figure_width = max(graph_width, min_width)
    figure_height = graph_height + top + bottom
    figure.set_size_inches(figure_width, figure_height)
    left = (figure_width - graph_width) / 2 / figure_width
    picture.ax.set_position((left, bottom / figure_height, graph_width / figure_width, graph_height / figure_height))


def draw_graph(nodes: Sequence[GraphNode], *, step: TraceStep | None = None, values: bool = True,
               grads: bool = True, title: str | None = None, ax: Axes | None = None) -> Figure:
    """Draw a computation graph, with the nodes' values (green) and gradients (red).

    Args:
        nodes: the graph in forward order (each node after its parents).
        step: draw the state after this step of a trace instead: its values and gradients, its
            active node highlighted, its caption and the node's local rule under the title.
        values, grads: write the nodes' ``value`` / ``grad`` fields (ignored with ``step``).
        title: a title above the graph.
        ax: draw into these axes (e.g. one panel of ``plt.subplots``); text keeps its size in
            points, so give about 0.6 inch per layout unit (2.1 units between layers, 1.05
            between rows). Without ``ax``, a new figure is sized to the graph.

    Returns:
        The figure drawn on (``ax.figure`` when ``ax`` is given).
    """
    lines = [title] if title else []
    if step is not None:
        rule = next((n.rule for n in nodes if n.id == step.node), "")
        lines += [step.caption] + ([f"local rule: {rule}"] if rule else [])
    if ax is None:
        figure = Figure(dpi=DPI)
        FigureCanvasAgg(figure)
        picture = GraphPicture(figure.add_axes((0, 0, 1, 1)), nodes)
        fit_figure(figure, picture, top=0.22 * len(lines) + (0.1 if lines else 0.0))
        if lines:
            figure.text(0.5, 1 - 0.05 / figure.get_figheight(), "\n".join(lines), ha="center", va="top",
                        fontsize=10)
    else:
        picture = GraphPicture(ax, nodes)
        figure = ax.figure
        if lines:
            ax.set_title("\n".join(lines), fontsize=10)
    if step is None:
        picture.show({n.id: n.value for n in nodes if values and n.value is not None},
                     {n.id: n.grad for n in nodes if grads and n.grad is not None})
    else:
        picture.show(step.values, step.grads, active=step.node, phase=step.phase)
    return figure


class BackpropStepper:
    """Step through the forward and backward passes of an expression, one node at a time.

    Controls: ``self.controls["expression"]`` (a dropdown over the traces) and
    ``self.controls["step"]`` (a slider over the steps of the current trace), and the buttons
    ``self.previous`` and ``self.next``. ``self.image`` shows the graph after the current step:
    values known so far in green, gradients accumulated so far in red (bold where this step
    changed them), the active node and its incoming edges in orange (forward) or red
    (backward), and under the graph the step's caption and the active node's local rule.
    Display the stepper by making it the last expression of a cell.

    Args:
        traces: expression name -> :class:`Trace` (e.g. a neuron, the softmax loss of one
            example, a diamond), each recorded by the lecture's engine.
        expression: the expression shown first (default: the first).
    """

    def __init__(self, traces: Mapping[str, Trace], *, expression: str | None = None) -> None:
        if not traces:
            raise ValueError("traces must hold at least one expression")
        self.traces = dict(traces)
        self.frames = 0  # pictures drawn so far
        self.controls: dict[str, widgets.ValueWidget] = {
            "expression": widgets.Dropdown(options=list(self.traces), value=expression or next(iter(self.traces)),
                                           description="expression"),
            "step": widgets.IntSlider(min=0, max=0, value=0, description="step", continuous_update=True),
        }
        self.previous = widgets.Button(description="prev", icon="step-backward", layout=widgets.Layout(width="80px"))
        self.next = widgets.Button(description="next", icon="step-forward", layout=widgets.Layout(width="80px"))
        self.status = widgets.Label()
        self.figure = Figure(dpi=DPI)
        FigureCanvasAgg(self.figure)
        self.image = widgets.Image(format="png", layout=picture_layout(self.figure))  # its width follows the figure's
        self.widget = widgets.VBox([
            widgets.HBox([self.controls["expression"], self.previous, self.next, self.controls["step"]],
                         layout=widgets.Layout(flex_flow="row wrap")),
            self.status, self.image])
        self._quiet = False  # set while the expression changes the slider, so it draws once
        self.controls["expression"].observe(lambda change: self._load(), names="value")
        self.controls["step"].observe(lambda change: None if self._quiet else self.draw(), names="value")
        self.previous.on_click(lambda button: self.move(-1))
        self.next.on_click(lambda button: self.move(+1))
        self._load()

    # ---- state ----------------------------------------------------------------------------
    @property
    def trace(self) -> Trace:
        return self.traces[self.controls["expression"].value]

    @property
    def index(self) -> int:
        return self.controls["step"].value

    @property
    def step(self) -> TraceStep:
        return self.trace.steps[self.index]

    @property
    def active(self) -> str | None:
        """The id of the highlighted node (None at a step that activates none)."""
        return self.step.node

    @property
    def caption(self) -> str:
        """The text under the graph: the step's caption, then the active node's local rule."""
        rule = self.picture.nodes[self.active].rule if self.active is not None else ""
        return self.step.caption + (f"\nlocal rule: {rule}" if rule else "")

    def move(self, by: int) -> None:
        """Go ``by`` steps forward (negative: back), stopping at the ends."""
        slider = self.controls["step"]
        slider.value = min(max(slider.value + by, 0), slider.max)

    # ---- drawing --------------------------------------------------------------------------
    def _load(self) -> None:
        """Build the artists of the chosen expression's graph, then draw its first step."""
        self.figure.clear()
        self.picture = GraphPicture(self.figure.add_axes((0, 0, 1, 1)), self.trace.nodes)
        fit_figure(self.figure, self.picture, bottom=CAPTION_INCHES, min_width=5.9)  # 590 px, as the other widgets
        self.image.layout.width = picture_width(self.figure)
        width = self.figure.get_figwidth()
        self.caption_text = self.figure.text(0.02, CAPTION_INCHES / 2 / self.figure.get_figheight(), "",
                                             ha="left", va="center", fontsize=10, linespacing=1.5,
                                             bbox={"boxstyle": "round,pad=0.4", "facecolor": "#fff6c8", "edgecolor": "0.5"})
        self._wrap = max(int(width * 72 / 6.2), 40)  # characters per caption line at 10 pt (about 6 pt each)
        self._quiet = True
        try:
            self.controls["step"].max = len(self.trace.steps) - 1
            self.controls["step"].value = 0
        finally:
            self._quiet = False
        self.draw()

    def draw(self) -> None:
        """Redraw the current step: texts, colours and caption of the existing artists."""
        step, steps = self.step, self.trace.steps
        before = steps[self.index - 1] if self.index > 0 else TraceStep(None, "forward", "")
        self.picture.show(step.values, step.grads, active=step.node, phase=step.phase,
                          new_values={i for i, v in step.values.items() if before.values.get(i) != v},
                          new_grads={i for i, g in step.grads.items() if before.grads.get(i) != g})
        edge = ACTIVE[step.phase][0]
        self.caption_text.set_text("\n".join(textwrap.fill(line, self._wrap) for line in self.caption.split("\n")))
        self.caption_text.get_bbox_patch().set_edgecolor(edge if step.node is not None else "0.5")
        in_phase = [s for s in steps if s.phase == step.phase]
        position = sum(1 for s in steps[: self.index + 1] if s.phase == step.phase)
        self.status.value = (f"{step.phase} pass, step {position} of {len(in_phase)}"
                             f"   (green: values, red: ∂L/∂node so far)")
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index == len(steps) - 1
        self.image.value = render_png(self.figure)
        self.frames += 1

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
