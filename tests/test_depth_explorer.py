"""The depth explorer of lecture 3, driven from Python: set a control's .value, check what is displayed.

The model here is deliberately not the course's (nbcheck and its tests carry no solution): its
hidden layers are fixed random feature maps that are never trained, its scores are minus the
squared distances to one prototype per class, and a step moves each prototype towards its class
mean. Its "weight gradients" are made up, 10^-i for the i-th matrix, so the medians the explorer
draws are known exactly.
"""

from __future__ import annotations

import asyncio
from itertools import pairwise

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

matplotlib.use("Agg")

from nbcheck.widgets.depth import (
    ACTIVATION_RANGES,
    BINS,
    LOG_GRADIENT_RANGE,
    DeepModel,
    DepthExplorer,
    histogram_rows,
    log_magnitudes,
)
from nbcheck.widgets.render import CLASS_COLOURS, TRAINERS, finish_training

PNG = b"\x89PNG\r\n\x1a\n"
SQUASH = {"sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)), "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0)}


def feature_model(diverge_at: float | None = None) -> DeepModel:
    """Random feature layers and class prototypes; the loss is NaN once the step size reaches diverge_at."""

    def init(sizes, activation, gain, seed):
        rng = np.random.default_rng(seed)
        maps = [gain * rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)
                for fan_in, fan_out in pairwise(sizes[:-1])]
        return {"maps": maps, "prototypes": rng.standard_normal((sizes[-1], sizes[-2])), "activation": activation,
                "sizes": list(sizes), "gain": gain, "seed": seed, "calls": []}

    def forward(net, X):
        hidden, h = [], X
        for feature_map in net["maps"]:
            h = SQUASH[net["activation"]](h @ feature_map)
            hidden.append(h)
        net["last"] = h
        return -((h[:, None, :] - net["prototypes"][None]) ** 2).sum(axis=2), hidden

    def loss(scores, y):
        onehot = np.eye(scores.shape[1])[y]
        return float(np.mean(-scores[np.arange(len(y)), y])), onehot  # "dscores": which class each row is

    def backward(net, onehot):
        net["calls"].append("backward")
        net["means"] = (onehot.T @ net["last"]) / onehot.sum(axis=0)[:, None]
        sizes = net["sizes"]
        return [np.full((a, b), 10.0 ** -(i + 1)) for i, (a, b) in enumerate(pairwise(sizes))]

    def update(net, step_size):
        net["calls"].append("update")
        if diverge_at is not None and step_size >= diverge_at:
            net["prototypes"] = net["prototypes"] * np.nan
        else:
            net["prototypes"] = net["prototypes"] + min(step_size, 1.0) * 0.2 * (net["means"] - net["prototypes"])
        return net

    return DeepModel(init, forward, loss, backward, update)


def explorer(**options) -> DepthExplorer:
    defaults = {"live": False, "frame_interval": 0.0, "steps": 60, "chunks": 4, "grid": 16, "depth": 3, "width": 8}
    return DepthExplorer(feature_model(options.pop("diverge_at", None)), **{**defaults, **options})


def test_first_picture_is_drawn_at_once() -> None:
    ex = explorer()
    assert bytes(ex.image.value).startswith(PNG)
    assert ex.frames == 1
    assert ex.progress.value == 1 and ex.progress.max == 60 and len(ex.losses) == 1
    assert ex.net["calls"] == ["backward", "update"]  # the first step reuses the measuring backward pass
    assert ex.net["sizes"] == [2, 8, 8, 8, 3] and ex.net["activation"] == "tanh" and ex.net["gain"] == 1.0
    assert ex.activation_map.get_array().shape == (3, BINS)
    assert ex.gradient_map.get_array().shape == (4, BINS)
    assert ex.regions.get_array().shape == (16, 16, 3)
    assert ex.status.value.startswith("step 1/60")
    np.testing.assert_array_equal(ex.points.get_facecolors()[:, :3], CLASS_COLOURS[ex.y])


def test_statistics_show_the_fresh_network() -> None:
    ex = explorer(depth=4, activation="sigmoid")
    fresh = feature_model().init(ex.sizes, "sigmoid", 1.0, 0)
    _, hidden = feature_model().forward(fresh, ex.X)
    np.testing.assert_array_equal(ex.activation_map.get_array(), histogram_rows(hidden, 0.0, 1.0))
    assert ex.activation_map.get_extent() == [0.0, 1.0, 0.5, 4.5]
    # Made-up gradients 10^-i: the medians sit at -1, ..., -5, and each row's densest bin holds its value.
    np.testing.assert_allclose(ex.gradient_medians.get_xdata(), -np.arange(1, 6))
    np.testing.assert_array_equal(ex.gradient_medians.get_ydata(), np.arange(1, 6))
    low, high = LOG_GRADIENT_RANGE
    densest = np.argmax(ex.gradient_map.get_array(), axis=1)
    np.testing.assert_array_equal(densest, ((-np.arange(1, 6) - low) / (high - low) * BINS).astype(int))
    spread = f"{hidden[0].std():.2g}, {hidden[-1].std():.2g}"
    assert ex.activation_axes.get_title().endswith(f"(std first, last: {spread})")


def test_every_control_restarts_with_fresh_weights() -> None:
    ex = explorer()
    for name, value in [("depth", 6), ("width", 16), ("activation", "relu"), ("gain", float(np.sqrt(2.0))),
                        ("step_size", 1.0), ("activation", "sigmoid"), ("depth", 1)]:
        before = bytes(ex.image.value)
        ex.controls[name].value = value
        assert ex.settings[name] == value
        assert ex.progress.value == 1 and len(ex.losses) == 1, name  # a new run, its first picture drawn
        assert bytes(ex.image.value) != before, name
        s = ex.settings
        assert ex.net["sizes"] == [2] + [s["width"]] * s["depth"] + [3], name
        assert ex.net["activation"] == s["activation"] and ex.net["gain"] == s["gain"], name
        assert ex.activation_map.get_array().shape == (s["depth"], BINS), name
        assert ex.activation_axes.get_xlim() == ACTIVATION_RANGES[s["activation"]], name
    assert ex.gradient_map.get_array().shape == (2, BINS)
    assert "1 × 16 sigmoid, gain √2 (He)" in ex.region_axes.get_title()


def test_finishing_trains_and_draws_the_last_picture() -> None:
    ex = explorer()
    first_image, first_regions = bytes(ex.image.value), np.array(ex.regions.get_array())
    ex.finish()
    assert not ex.running and ex.progress.value == 60 and len(ex.losses) == 60
    assert ex.frames == 1 + 4  # frame_interval 0: one picture per chunk of 60 / 4 steps (the first chunk short by one)
    np.testing.assert_array_equal(ex.loss_line.get_ydata(), ex.losses)
    assert ex.losses[-1] < ex.losses[0]
    assert bytes(ex.image.value) != first_image
    assert not np.array_equal(ex.regions.get_array(), first_regions)
    assert ex.status.value.startswith("step 60/60")


def test_frames_are_throttled_but_the_last_is_always_drawn() -> None:
    ex = explorer(frame_interval=3600.0, chunks=20)
    ex.finish()
    assert ex.frames == 2 and ex.status.value.startswith("step 60/60")


def test_divergence_stops_the_run_and_says_so() -> None:
    ex = explorer(diverge_at=3.0)
    ex.controls["step_size"].value = 3.0
    ex.finish()
    assert ex.diverged and not ex.running and len(ex.losses) == 1  # the step after the first made the loss NaN
    assert "diverged at step 1" in ex.status.value and "lower the step size" in ex.status.value


def test_new_weights_button_reseeds() -> None:
    ex = explorer()
    maps = [m.copy() for m in ex.net["maps"]]
    ex.new_weights.click()
    assert ex.seed == 1 and ex.net["seed"] == 1
    assert not np.array_equal(ex.net["maps"][0], maps[0])


def test_identical_settings_draw_identical_pictures() -> None:
    pictures = []
    for _ in range(2):
        ex = explorer()
        ex.finish()
        pictures.append(bytes(ex.image.value))
    assert pictures[0] == pictures[1]


def test_a_model_breaking_the_contract_is_named() -> None:
    model = feature_model()
    too_few = DeepModel(model.init, lambda net, X: (model.forward(net, X)[0], []), model.loss, model.backward,
                        model.update)
    with pytest.raises(ValueError, match="returned 0 hidden layer outputs for a network with 3 hidden layers"):
        DepthExplorer(too_few, live=False, depth=3)
    one_short = DeepModel(model.init, model.forward, model.loss, lambda net, d: model.backward(net, d)[:-1],
                          model.update)
    with pytest.raises(ValueError, match="returned 3 weight gradients; a network with 3 hidden layers has 4") as failed:
        DepthExplorer(one_short, live=False, depth=3)
    # The half-built widget lives on in the traceback; the snapshot preprocessor's finish_training
    # must pass it by rather than train it.
    half_built = [entry.frame.f_locals["self"] for entry in failed.traceback
                  if isinstance(entry.frame.f_locals.get("self"), DepthExplorer)]
    assert half_built and not any(widget in TRAINERS for widget in half_built)
    finish_training()


def test_live_mode_trains_on_the_event_loop_and_a_change_replaces_the_run() -> None:
    async def scenario() -> tuple[DepthExplorer, list[int]]:
        ex = DepthExplorer(feature_model(), steps=300, frame_interval=0.0, chunks=30, grid=16, depth=2, width=8)
        assert ex.live  # a running loop was detected
        seen = [ex.progress.value]
        for _ in range(2000):  # yield to the loop until a few chunks have run in the background (20 s at most)
            await asyncio.sleep(0.01)
            if ex.progress.value != seen[-1]:
                seen.append(ex.progress.value)
            if len(seen) == 3:
                break
        ex.controls["depth"].value = 5  # mid-run: the old run stops, a new one starts
        assert ex.progress.value == 1 and ex.net["sizes"] == [2, 8, 8, 8, 8, 8, 3]
        await ex._task
        return ex, seen

    ex, seen = asyncio.run(scenario())
    assert seen == sorted(seen) and seen[-1] > 1  # training advanced while the loop was free
    assert ex.progress.value == 300 and len(ex.losses) == 300


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(-3, 40), min_size=1, max_size=50), min_size=1, max_size=6),
       st.floats(-3, 0), st.floats(0.1, 3), st.integers(2, 30), st.randoms(use_true_random=False))
def test_histogram_rows_count_every_value_in_its_bin(bin_lists: list[list[int]], low: float, span: float, bins: int,
                                                    random) -> None:
    # Each value is drawn well inside a chosen bin, or outside the range (bin -1 below, >= bins above: clipped),
    # so the expected counts are known without reimplementing the binning.
    width = span / bins
    samples, expected = [], np.zeros((len(bin_lists), bins))
    for row, chosen in enumerate(bin_lists):
        values = [low + (k + 0.5 + random.uniform(-0.4, 0.4)) * width for k in chosen]
        samples.append(np.array(values))
        np.add.at(expected[row], np.clip(chosen, 0, bins - 1), 1)
    rows = histogram_rows(samples, low, low + span, bins)
    assert rows.shape == (len(samples), bins)
    np.testing.assert_allclose(rows, np.sqrt(expected / expected.max(axis=1, keepdims=True)), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(1.0001, 1e308) | st.floats(-1e308, -1.0001)
                  | st.sampled_from([np.nan, np.inf, -np.inf])))
def test_histogram_rows_put_values_outside_the_range_at_its_edges(values: np.ndarray) -> None:
    rows = histogram_rows([values], -1.0, 1.0, 8)
    high = np.sum(values > 1.0)  # +inf included; NaN and everything below -1 count in the first bin
    counts = np.zeros(8)
    counts[0], counts[-1] = len(values) - high, high
    np.testing.assert_allclose(rows[0], np.sqrt(counts / counts.max()))


def test_log_magnitudes_put_zeros_at_the_bottom() -> None:
    logs = log_magnitudes(np.array([[0.0, -1e-3], [10.0, 1e-20]]))
    np.testing.assert_allclose(logs, [LOG_GRADIENT_RANGE[0], -3.0, 1.0, LOG_GRADIENT_RANGE[0]])
