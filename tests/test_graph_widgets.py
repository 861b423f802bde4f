"""nbcheck.widgets.graph: the layout, the static pictures and the backprop stepper, driven from Python.

The traces here are written out by hand (nbcheck and its tests carry no autodiff engine): the graph
f = (x + y)·z with x = 3, y = −1, z = 2, and x·x, whose two edges join the same pair of nodes.
"""

from __future__ import annotations

from itertools import pairwise

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

from nbcheck.widgets.graph import (  # noqa: E402
    ACTIVE, BackpropStepper, GraphNode, Trace, TraceStep, draw_graph, format_number, layered_layout)
from nbcheck.widgets.render import render_png  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"

SUM_TIMES = [
    GraphNode("x", "x", value=3.0, grad=2.0),
    GraphNode("y", "y", value=-1.0, grad=2.0),
    GraphNode("q", "+", ("x", "y"), 2.0, 2.0, rule="∂q/∂x = 1,  ∂q/∂y = 1", name="q"),
    GraphNode("z", "z", value=2.0, grad=2.0),
    GraphNode("f", "×", ("q", "z"), 4.0, 1.0, rule="∂f/∂q = z = 2,  ∂f/∂z = q = 2", name="f"),
]
INPUTS = {"x": 3.0, "y": -1.0, "z": 2.0}
SUM_TIMES_STEPS = [
    TraceStep(None, "forward", "the inputs are given", INPUTS),
    TraceStep("q", "forward", "q = x + y = 3 − 1 = 2", {**INPUTS, "q": 2.0}),
    TraceStep("f", "forward", "f = q × z = 2 × 2 = 4", {**INPUTS, "q": 2.0, "f": 4.0}),
    TraceStep("f", "backward", "base case ∂f/∂f = 1; pass it on", {**INPUTS, "q": 2.0, "f": 4.0},
              {"f": 1.0, "q": 2.0, "z": 2.0}),
    TraceStep("q", "backward", "∂f/∂q = 2 is complete; pass it on", {**INPUTS, "q": 2.0, "f": 4.0},
              {"f": 1.0, "q": 2.0, "z": 2.0, "x": 2.0, "y": 2.0}),
]
SQUARE = [GraphNode("x", "x", value=3.0, grad=6.0),
          GraphNode("s", "×", ("x", "x"), 9.0, 1.0, rule="∂s/∂x = x, once per use", name="s")]
SQUARE_STEPS = [
    TraceStep(None, "forward", "x is given", {"x": 3.0}),
    TraceStep("s", "forward", "s = x × x = 9", {"x": 3.0, "s": 9.0}),
    TraceStep("s", "backward", "∂s/∂x += 3, twice", {"x": 3.0, "s": 9.0}, {"s": 1.0, "x": 6.0}),
]


@pytest.fixture
def stepper() -> BackpropStepper:
    return BackpropStepper({"sum times": Trace(SUM_TIMES, SUM_TIMES_STEPS), "square": Trace(SQUARE, SQUARE_STEPS)})


# ---- layout ---------------------------------------------------------------------------------

@st.composite
def random_graphs(draw) -> list[GraphNode]:
    """Random DAGs in forward order: each node draws up to three parents (repeats allowed) among earlier ones."""
    count = draw(st.integers(1, 25))
    nodes = []
    for i in range(count):
        parents = draw(st.lists(st.integers(0, i - 1), max_size=3)) if i else []
        nodes.append(GraphNode(f"n{i}", "op", tuple(f"n{p}" for p in parents)))
    return nodes


@settings(max_examples=60, deadline=None)
@given(random_graphs())
def test_layout_points_edges_rightwards_and_keeps_members_of_a_layer_apart(nodes: list[GraphNode]) -> None:
    layout = layered_layout(nodes)
    assert set(layout.positions) == {node.id for node in nodes}
    members: dict[int, list[tuple[float, bool]]] = {}
    for node in nodes:
        layer, row = layout.positions[node.id]
        members.setdefault(layer, []).append((row, True))
        for index, parent in enumerate(node.parents):
            route = layout.routes[node.id, index]
            assert layout.positions[parent][0] < layer
            # One waypoint in every layer strictly between the parent and the child.
            assert [point[0] for point in route] == list(range(layout.positions[parent][0] + 1, layer))
            for point_layer, point_row in route:
                members.setdefault(point_layer, []).append((point_row, False))
    for layer_members in members.values():
        layer_members.sort()
        for (row_a, node_a), (row_b, node_b) in pairwise(layer_members):
            assert row_b - row_a >= (1.0 if node_a and node_b else 0.6) - 1e-9


def test_layout_puts_an_input_one_layer_before_its_first_user() -> None:
    nodes = [GraphNode("x", "x"), GraphNode("e", "exp", ("x",)), GraphNode("l", "log", ("e",)),
             GraphNode("b", "b"), GraphNode("s", "+", ("l", "b"))]
    positions = layered_layout(nodes).positions
    assert [positions[i][0] for i in ("x", "e", "l", "b", "s")] == [0, 1, 2, 2, 3]


def test_a_node_is_centred_between_its_two_parents() -> None:
    positions = layered_layout(SUM_TIMES).positions
    assert positions["q"][1] == pytest.approx((positions["x"][1] + positions["y"][1]) / 2)
    assert positions["f"][1] == pytest.approx((positions["q"][1] + positions["z"][1]) / 2)


@pytest.mark.parametrize("nodes, message", [
    ([GraphNode("f", "×", ("q",)), GraphNode("q", "q")], "not listed before it"),
    ([GraphNode("x", "x"), GraphNode("f", "exp", ("nowhere",))], "not listed before it"),
    ([GraphNode("x", "x"), GraphNode("x", "x")], "two nodes have the id"),
])
def test_nodes_out_of_forward_order_are_refused(nodes: list[GraphNode], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        layered_layout(nodes)


def test_a_trace_must_name_nodes_of_its_graph_and_a_known_phase() -> None:
    with pytest.raises(ValueError, match="not in the graph"):
        Trace(SUM_TIMES, [TraceStep("nowhere", "forward", "")])
    with pytest.raises(ValueError, match="not in the graph"):
        Trace(SUM_TIMES, [TraceStep(None, "backward", "", grads={"w": 1.0})])
    with pytest.raises(ValueError, match="phase"):
        Trace(SUM_TIMES, [TraceStep("q", "sideways", "")])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one step"):
        Trace(SUM_TIMES, [])


# ---- static pictures ------------------------------------------------------------------------

def texts(figure: Figure) -> list[str]:
    return [text.get_text() for ax in figure.axes for text in ax.texts] + [t.get_text() for t in figure.texts]


def test_draw_graph_writes_values_and_gradients() -> None:
    figure = draw_graph(SUM_TIMES, title="f = (x + y)·z")
    written = texts(figure)
    assert "f = (x + y)·z" in written
    for label in ("x", "y", "z", "+", "×", "q", "f"):
        assert label in written
    assert written.count("4") == 1 and written.count("2") >= 4 and "\u22121" in written
    without = texts(draw_graph(SUM_TIMES, grads=False))
    assert "1" not in without  # ∂f/∂f = 1 is the only gradient written as 1
    assert render_is_png(figure)


def test_draw_graph_into_given_axes_returns_their_figure() -> None:
    figure, (left, right) = plt.subplots(1, 2)
    try:
        assert draw_graph(SUM_TIMES, ax=left, title="left") is figure
        assert draw_graph(SQUARE, ax=right) is figure
        assert left.get_title() == "left"
        # x·x: two distinct edges from x into the same node.
        first, second = [patch.get_path().vertices for patch in right.patches if isinstance(patch, FancyArrowPatch)]
        assert not np.allclose(first, second)
    finally:
        plt.close(figure)


def test_draw_graph_of_a_step_highlights_its_node_and_shows_its_rule() -> None:
    figure = draw_graph(SUM_TIMES, step=SUM_TIMES_STEPS[4])
    title = figure.texts[0].get_text()
    assert "∂f/∂q = 2 is complete" in title and "local rule: ∂q/∂x = 1" in title
    written = texts(figure)
    assert written.count("2") >= 4  # the gradients of q, z, x, y after that step
    assert render_is_png(figure)


def render_is_png(figure: Figure) -> bool:
    return render_png(figure).startswith(PNG)


@settings(max_examples=30, deadline=None)
@given(st.floats(-1e300, 1e300, allow_nan=False))  # beyond, rounding to 3 digits can overflow
def test_numbers_have_three_significant_digits_and_a_true_minus(x: float) -> None:
    text = format_number(x)
    assert "-" not in text
    assert float(text.replace("\u2212", "-")) == pytest.approx(x, rel=5e-3, abs=0.0)


# ---- the stepper ----------------------------------------------------------------------------

def box_style(stepper: BackpropStepper, node_id: str) -> tuple[float, tuple]:
    box = stepper.picture.boxes[node_id]
    return box.get_linewidth(), tuple(np.round(box.get_edgecolor(), 3))


def test_first_step_is_drawn_at_once(stepper: BackpropStepper) -> None:
    assert bytes(stepper.image.value).startswith(PNG)
    assert stepper.frames == 1
    assert stepper.controls["step"].max == len(SUM_TIMES_STEPS) - 1 and stepper.index == 0
    assert stepper.active is None and stepper.caption == "the inputs are given"
    assert stepper.previous.disabled and not stepper.next.disabled
    assert stepper.status.value.startswith("forward pass, step 1 of 3")
    assert {box_style(stepper, i)[0] for i in stepper.picture.boxes} == {1.0}  # nothing highlighted
    assert stepper.picture.values["x"].get_text() == "3" and stepper.picture.values["f"].get_text() == ""


def test_next_highlights_the_active_node_its_edges_and_its_rule(stepper: BackpropStepper) -> None:
    before = bytes(stepper.image.value)
    stepper.next.click()
    assert stepper.index == 1 and stepper.active == "q" and stepper.frames == 2
    assert bytes(stepper.image.value) != before
    assert stepper.caption == "q = x + y = 3 − 1 = 2\nlocal rule: ∂q/∂x = 1,  ∂q/∂y = 1"
    assert "local rule: ∂q/∂x = 1" in stepper.caption_text.get_text()
    width, colour = box_style(stepper, "q")
    assert width > 2 and colour == tuple(np.round(matplotlib.colors.to_rgba(ACTIVE["forward"][0]), 3))
    assert all(box_style(stepper, i)[0] == 1.0 for i in ("x", "y", "z", "f"))
    assert [arrow.get_linewidth() > 2 for arrow in stepper.picture.edges["q"]] == [True, True]
    assert all(arrow.get_linewidth() == 1.0 for arrow in stepper.picture.edges["f"])
    assert stepper.picture.values["q"].get_text() == "2" and stepper.picture.values["q"].get_fontweight() == "bold"
    assert stepper.picture.values["f"].get_text() == ""


def test_backward_steps_show_gradients_so_far_in_the_backward_colour(stepper: BackpropStepper) -> None:
    stepper.controls["step"].value = 3
    assert stepper.active == "f" and stepper.step.phase == "backward"
    assert box_style(stepper, "f")[1] == tuple(np.round(matplotlib.colors.to_rgba(ACTIVE["backward"][0]), 3))
    assert stepper.picture.grads["q"].get_text() == "2" and stepper.picture.grads["x"].get_text() == ""
    assert stepper.status.value.startswith("backward pass, step 1 of 2")
    stepper.next.click()
    assert stepper.active == "q" and stepper.picture.grads["x"].get_text() == "2"
    # Bold: what this step changed (x and y received their gradients), not what was there before.
    assert stepper.picture.grads["x"].get_fontweight() == "bold"
    assert stepper.picture.grads["z"].get_fontweight() == "normal"
    assert stepper.next.disabled and not stepper.previous.disabled


def test_prev_and_next_stop_at_the_ends(stepper: BackpropStepper) -> None:
    stepper.previous.click()
    assert stepper.index == 0 and stepper.frames == 1  # nothing to redraw
    for _ in range(10):
        stepper.next.click()
    assert stepper.index == len(SUM_TIMES_STEPS) - 1
    stepper.previous.click()
    assert stepper.index == len(SUM_TIMES_STEPS) - 2 and stepper.active == "f"


def test_going_back_redraws_the_same_picture(stepper: BackpropStepper) -> None:
    pictures = {}
    for index in range(len(SUM_TIMES_STEPS)):
        stepper.controls["step"].value = index
        pictures[index] = bytes(stepper.image.value)
    assert len(set(pictures.values())) == len(SUM_TIMES_STEPS)  # every step looks different
    for index in reversed(range(len(SUM_TIMES_STEPS) - 1)):
        stepper.move(-1)
        assert bytes(stepper.image.value) == pictures[index]


def test_changing_the_expression_rebuilds_the_graph_and_starts_over(stepper: BackpropStepper) -> None:
    stepper.controls["step"].value = 2
    frames, before = stepper.frames, bytes(stepper.image.value)
    stepper.controls["expression"].value = "square"
    assert stepper.frames == frames + 1  # drawn once, not once more for the slider's reset
    assert stepper.index == 0 and stepper.controls["step"].max == 2
    assert set(stepper.picture.boxes) == {"x", "s"} and len(stepper.picture.edges["s"]) == 2
    assert bytes(stepper.image.value) != before
    assert len(stepper.figure.axes) == 1  # one figure reused, the old graph's axes gone
    stepper.controls["step"].value = 2
    assert stepper.picture.grads["x"].get_text() == "6" and stepper.caption.startswith("∂s/∂x += 3, twice")


def test_a_stepper_needs_an_expression() -> None:
    with pytest.raises(ValueError, match="at least one expression"):
        BackpropStepper({})
