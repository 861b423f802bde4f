"""The lecture widgets, driven from Python: set a control's .value, check what is displayed.

The models here are deliberately not the course's (nbcheck and its tests carry no solution):
a nearest-prototype classifier whose prototypes move towards their class, cheap and
deterministic, with the same init/step/scores contract as the lecture's network.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import ipywidgets as widgets
import matplotlib
import nbformat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

matplotlib.use("Agg")

from nbcheck.widgets import CLASS_COLOURS, CurveFitDemo, Model, Playground, region_colours  # noqa: E402
from nbcheck.widgets.render import finish_training  # noqa: E402
from tests.course_tools import REPO  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def prototype_model(pull: float = 1.0) -> Model:
    """H prototypes per class; a step moves each towards its class mean by lr·pull·(mean − prototype)."""

    def init(D: int, H: int, K: int, seed: int) -> dict[str, np.ndarray]:
        return {"P": np.random.default_rng(seed).standard_normal((K, H, D))}

    def scores(params: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
        distances = ((X[:, None, None, :] - params["P"][None]) ** 2).sum(axis=-1)  # (N, K, H)
        return -distances.min(axis=2)

    def step(params, X, y, lr, reg):
        P = params["P"]
        means = np.stack([X[y == k].mean(axis=0) for k in range(P.shape[0])])
        loss = float(np.mean(-scores(params, X)[np.arange(len(y)), y]) + reg * np.sum(P ** 2))
        return {"P": P + min(lr * pull, 1.0) * 0.1 * (means[:, None, :] - P) - lr * reg * P}, loss

    return Model(init, step, scores)


def diverging_model() -> Model:
    base = prototype_model()
    return Model(base.init, lambda params, X, y, lr, reg: (params, np.nan if lr >= 3.0 else 1.0), base.scores)


@pytest.fixture
def playground() -> Playground:
    return Playground({"near": prototype_model(), "far": prototype_model(pull=0.2)}, hidden=2, steps=300,
                      live=False, frame_interval=0.0, chunks=5, grid=24)


def test_first_frame_is_drawn_at_once(playground: Playground) -> None:
    assert bytes(playground.image.value).startswith(PNG)
    assert playground.frames == 1
    assert playground.progress.value == playground.first_steps == 10
    assert playground.progress.max == 300
    assert playground.regions.get_array().shape == (24, 24, 3)
    assert len(playground.loss_line.get_xdata()) == 10
    assert playground.status.value.startswith("step 10/300")


def test_finishing_draws_the_trained_model(playground: Playground) -> None:
    first_image, first_regions = bytes(playground.image.value), np.array(playground.regions.get_array())
    playground.finish()
    assert playground.progress.value == 300 and not playground.running
    assert playground.frames == 1 + 5  # frame_interval 0: one picture per chunk of 300 / 5 steps
    np.testing.assert_array_equal(playground.loss_line.get_ydata(), playground.losses)
    assert playground.losses[-1] < playground.losses[0]
    assert bytes(playground.image.value) != first_image
    assert not np.array_equal(playground.regions.get_array(), first_regions)
    assert playground.status.value.startswith("step 300/300")


def test_every_control_restarts_training(playground: Playground) -> None:
    for name, value in [("dataset", "xor"), ("activation", "far"), ("hidden", 4), ("learning_rate", 0.3),
                        ("reg", 0.01), ("steps", 100)]:
        before = bytes(playground.image.value)
        playground.controls[name].value = value
        assert playground.settings[name] == value
        assert playground.progress.value == 10, name  # a new run, its first picture already drawn
        assert len(playground.losses) == 10, name
        assert bytes(playground.image.value) != before, name
    playground.finish()
    assert playground.progress.max == 100 and playground.progress.value == 100
    assert playground.params["P"].shape == (2, 4, 2)  # K = 2 classes of XOR, H = 4 prototypes


def test_dataset_change_moves_the_points_and_classes(playground: Playground) -> None:
    spiral_points = np.array(playground.points.get_offsets())
    playground.controls["dataset"].value = "circles"
    circles_points = np.array(playground.points.get_offsets())
    assert spiral_points.shape == (300, 2) and circles_points.shape == (200, 2)
    np.testing.assert_array_equal(circles_points, playground.X)
    np.testing.assert_array_equal(playground.points.get_facecolors()[:, :3], CLASS_COLOURS[playground.y])


def test_new_weights_button_reseeds(playground: Playground) -> None:
    params_before = playground.params["P"].copy()
    playground.new_weights.click()
    assert playground.seed == 1
    assert not np.array_equal(playground.params["P"], params_before)


def test_identical_settings_draw_identical_pictures() -> None:
    pictures = []
    for _ in range(2):
        pg = Playground({"near": prototype_model()}, hidden=2, steps=100, live=False, frame_interval=0.0, chunks=4,
                        grid=16)
        pg.finish()
        pictures.append(bytes(pg.image.value))
    assert pictures[0] == pictures[1]


def test_frames_are_throttled_but_the_last_is_always_drawn() -> None:
    pg = Playground({"near": prototype_model()}, hidden=2, steps=300, live=False, frame_interval=3600.0, chunks=30)
    pg.finish()
    assert pg.frames == 2  # the first picture and the final one; none in between
    assert pg.status.value.startswith("step 300/300")


def test_divergence_stops_the_run_and_says_so() -> None:
    pg = Playground({"near": diverging_model()}, hidden=2, steps=300, live=False, frame_interval=0.0, chunks=5)
    pg.controls["learning_rate"].value = 3.0
    pg.finish()
    assert pg.diverged and not pg.running and pg.losses == []
    assert "diverged" in pg.status.value and "lower the step size" in pg.status.value


def test_live_mode_trains_on_the_event_loop_and_a_change_replaces_the_run() -> None:
    async def scenario() -> tuple[Playground, list[int]]:
        pg = Playground({"near": prototype_model()}, hidden=2, steps=300, frame_interval=0.0, chunks=6)
        assert pg.live  # a running loop was detected
        seen = []
        for _ in range(3):  # let a few chunks run in the background
            await asyncio.sleep(0.05)
            seen.append(pg.progress.value)
        pg.controls["steps"].value = 100  # mid-run: the old run must stop, a new one start
        assert pg.progress.value == 10
        await pg._task
        return pg, seen

    pg, seen = asyncio.run(scenario())
    assert seen == sorted(seen) and seen[-1] > 10  # training advanced while the loop was free
    assert pg.total == 100 and pg.progress.value == 100 and len(pg.losses) == 100


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(2, 5)),
                  elements=st.floats(-1e6, 1e6, allow_nan=False)))
def test_region_colours_are_valid_and_follow_the_argmax(scores: np.ndarray) -> None:
    colours = region_colours(scores)
    assert colours.shape == (len(scores), 3)
    assert np.all((colours >= 0) & (colours <= 1))
    # Mixed with white, the colour of class k keeps the ordering of its RGB channels.
    winner = CLASS_COLOURS[np.argmax(scores, axis=1) % len(CLASS_COLOURS)]
    assert np.all(np.argmin(colours, axis=1) == np.argmin(winner, axis=1))


def polynomial_fit(x: np.ndarray, t: np.ndarray, m: int, seed: int) -> np.ndarray:
    return np.polynomial.chebyshev.chebfit(x[:, 0] / 3.0, t, deg=m)


def polynomial_predict(coefficients: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.polynomial.chebyshev.chebval(x[:, 0] / 3.0, coefficients)


def polynomial_terms(coefficients: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.stack([c * np.polynomial.chebyshev.chebval(x[:, 0] / 3.0, np.eye(len(coefficients))[j])
                     for j, c in enumerate(coefficients)], axis=1)


def test_curve_fit_demo_redraws_and_improves_with_m() -> None:
    demo = CurveFitDemo(polynomial_fit, polynomial_predict, {"sin": np.sin, "step": lambda x: (x > 0).astype(float)},
                        units=polynomial_terms, m=1, m_max=12)
    assert bytes(demo.image.value).startswith(PNG)
    errors, pictures = [demo.error], [bytes(demo.image.value)]
    for m in (3, 7, 11):
        demo.controls["m"].value = m
        errors.append(demo.error)
        pictures.append(bytes(demo.image.value))
        np.testing.assert_allclose(demo.fit_line.get_ydata(), polynomial_predict(demo._fits["sin", m], demo.x))
        assert len(demo.unit_lines.get_segments()) == m + 1
    assert errors == sorted(errors, reverse=True) and errors[-1] < 1e-3
    assert len(set(pictures)) == 4
    np.testing.assert_array_equal(demo.error_points.get_xdata(), [1, 3, 7, 11])
    demo.controls["target"].value = "step"
    assert demo.error > 0.4  # a jump cannot be matched in the max-norm
    np.testing.assert_array_equal(demo.target_line.get_ydata(), (demo.x[:, 0] > 0).astype(float))



def test_finish_training_ends_the_run_of_every_widget_that_trains() -> None:
    """What the snapshot preprocessor calls after a notebook's last cell, before its kernel stops."""
    playgrounds = [Playground({"near": prototype_model()}, hidden=2, steps=steps, live=False, grid=16)
                   for steps in (100, 300)]
    finish_training()
    assert [playground.status.value.split(" &nbsp;")[0] for playground in playgrounds] == ["step 100/100",
                                                                                         "step 300/300"]

# ---- layout: every widget's picture at its own size, controls usable on a narrow page ------------------------------
def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header (IHDR, bytes 16-24)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def every_widget() -> dict[str, object]:
    """One of each of the course's widgets, with the cheap models of the widget tests."""
    from nbcheck.widgets import BackpropStepper, DepthExplorer, OptimiserRace
    from nbcheck.widgets.graph import Trace
    from tests.test_depth_explorer import feature_model
    from tests.test_graph_widgets import SQUARE, SQUARE_STEPS, SUM_TIMES, SUM_TIMES_STEPS
    from tests.test_optimiser_race import gradient_step

    return {
        "playground": Playground({"near": prototype_model()}, hidden=2, steps=100, live=False, grid=16),
        "curve fit": CurveFitDemo(polynomial_fit, polynomial_predict, {"sin": np.sin}, m=2, m_max=5),
        "depth explorer": DepthExplorer(feature_model(), steps=5, depth=2, width=8, grid=16, live=False),
        "stepper": BackpropStepper({"sum times": Trace(SUM_TIMES, SUM_TIMES_STEPS),
                                    "square": Trace(SQUARE, SQUARE_STEPS)}),
        "race": OptimiserRace({"gd": lambda h: gradient_step(h.learning_rate)}, steps=20, grid=40),
    }


def test_every_picture_is_shown_at_its_own_size() -> None:
    """The browser neither stretches a picture (a box would, blurring it) nor squeezes it beside the controls."""
    for name, widget in every_widget().items():
        width, height = png_size(bytes(widget.image.value))
        assert (width, height) == widget.figure.canvas.get_width_height(), name
        layout = widget.image.layout
        assert (layout.width, layout.flex, layout.align_self) == (f"{width}px", "0 0 auto", "flex-start"), name
        assert width <= 590 or name == "stepper", f"{name}: {width} px is wider than a 1024 px JupyterLab page"


def test_the_stepper_picture_follows_its_expression() -> None:
    stepper = every_widget()["stepper"]
    for expression in ("square", "sum times"):
        stepper.controls["expression"].value = expression
        assert stepper.image.layout.width == f"{png_size(bytes(stepper.image.value))[0]}px", expression


def test_controls_keep_their_column_and_wrap_above_the_picture_when_narrow() -> None:
    from nbcheck.widgets.render import CONTROLS_WIDTH, DESCRIPTION_WIDTH

    for name, widget in every_widget().items():
        rows = [box for box in (widget.widget, widget.widget.children[0]) if isinstance(box, widgets.HBox)]
        assert rows and all(box.layout.flex_flow == "row wrap" for box in rows), name
        if name in ("playground", "depth explorer", "race"):
            column = widget.widget.children[0]
            assert (column.layout.width, column.layout.flex) == (CONTROLS_WIDTH, "0 0 auto"), name
        for control in widget.controls.values():
            if len(control.description) > 10:  # ipywidgets' 80 px cuts "hidden units" off
                assert control.style.description_width in (DESCRIPTION_WIDTH, "initial"), (name, control.description)


# ---- one class colour scheme across the course ---------------------------------------------------------------------
# How a notebook would colour classes its own way (each was once in the course): a colour map or a colour list for the
# labels, or filled contours of the predicted labels in colours of their own.
OWN_CLASS_COLOURS = re.compile(r"\bc=(?!CLASS_COLOURS\[)(y\w*|labels)\b|\b(CLASS|REGION)_COLOURS\s*=|levels=\[-0\.5")


@pytest.mark.parametrize("path", sorted([*REPO.glob("lectures/*.ipynb"), *REPO.glob("solutions/*/*.ipynb")]),
                         ids=lambda path: path.name)
def test_notebooks_colour_classes_as_the_widgets_do(path: Path) -> None:
    """Points take CLASS_COLOURS[label], decision regions region_colours(scores): the class colours of the widgets."""
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type == "code":
            found = [match.group(0) for match in OWN_CLASS_COLOURS.finditer(cell.source)]
            assert not found, f"cell {index} colours classes its own way ({found}): use nbcheck.widgets' CLASS_COLOURS"
