"""The optimiser race (lecture 5), driven from Python: set a control's .value, check what is displayed.

The racers here are deliberately not the course's optimisers (nbcheck and its tests carry no
solution): gradient descent, sign descent and a step that records how it was built, with the
same factory contract ``make(hyper) -> step`` as the lecture's optimisers.
"""

from __future__ import annotations

import dataclasses

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

matplotlib.use("Agg")

from nbcheck.widgets.race import (SURFACES, Hyperparameters, OptimiserRace, RaceResult,  # noqa: E402
                                  trajectory)

PNG = b"\x89PNG\r\n\x1a\n"


def gradient_step(lr: float):
    return lambda point, grad: point - lr * grad


def sign_step(lr: float):
    return lambda point, grad: point - lr * np.sign(grad)


class Recorder:
    """A factory that remembers the hyperparameters of every call; its steps count themselves from 0."""

    def __init__(self) -> None:
        self.calls: list[Hyperparameters] = []

    def __call__(self, hyper: Hyperparameters):
        self.calls.append(hyper)
        taken = 0

        def step(point: np.ndarray, grad: np.ndarray) -> np.ndarray:
            nonlocal taken
            taken += 1  # a state left over from an earlier run would give other, shorter steps
            return point - hyper.learning_rate * grad / taken

        return step


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def race(recorder: Recorder) -> OptimiserRace:
    return OptimiserRace({"gd": lambda h: gradient_step(h.learning_rate), "sign": lambda h: sign_step(h.learning_rate),
                          "recorded": recorder}, steps=60, grid=40)


def test_first_picture_is_drawn_at_once(race: OptimiserRace) -> None:
    assert bytes(race.image.value).startswith(PNG)
    assert race.frames == 1
    surface = SURFACES[race.settings["surface"]]
    assert list(race.results) == ["gd", "sign", "recorded"]
    for name, result in race.results.items():
        assert result.path.shape == (61, 2), name
        np.testing.assert_array_equal(result.path[0], surface.start)
        np.testing.assert_allclose(result.gaps, surface.loss(result.path) - surface.lowest)
        np.testing.assert_array_equal(race.paths[name].get_xdata(), result.path[:, 0])
        np.testing.assert_array_equal(race.curves[name].get_xdata(), np.arange(61))
    assert "gd" in race.table.value and "sign" in race.table.value


@pytest.mark.parametrize("name, value", [("surface", "ravine"), ("learning_rate", 0.03), ("momentum", 0.5),
                                         ("beta1", 0.8), ("beta2", 0.99), ("rho", 0.9), ("steps", 120)])
def test_every_control_redraws_with_its_value(race: OptimiserRace, recorder: Recorder, name: str, value) -> None:
    before, frames = bytes(race.image.value), race.frames
    race.controls[name].value = value
    assert race.frames == frames + 1
    assert race.settings[name] == value
    hyper = recorder.calls[-1]
    assert hyper == race.hyperparameters
    if name in dataclasses.asdict(hyper):
        assert getattr(hyper, name) == value
    if name in ("surface", "learning_rate", "steps"):  # the others do not move these racers
        assert bytes(race.image.value) != before
    assert len(race.results["gd"].path) == race.settings["steps"] + 1


def test_every_redraw_builds_the_optimisers_afresh(race: OptimiserRace, recorder: Recorder) -> None:
    first_path, first_image = race.results["recorded"].path.copy(), bytes(race.image.value)
    calls = len(recorder.calls)
    race.controls["momentum"].value = 0.3  # the recorder ignores it: the same race, rebuilt
    assert len(recorder.calls) == calls + 1
    np.testing.assert_array_equal(race.results["recorded"].path, first_path)
    race.controls["momentum"].value = 0.9
    assert bytes(race.image.value) == first_image


def test_a_surface_change_swaps_the_precomputed_pictures(race: OptimiserRace) -> None:
    for name, surface in SURFACES.items():
        race.controls["surface"].value = name
        assert race.shown_surface == name
        np.testing.assert_array_equal(race.shading.get_array(), race.shades[name])
        assert tuple(race.shading.get_extent()) == surface.window
        assert [n for n, lines in race.contours.items() if lines.get_visible()] == [name]
        assert (race.map_axes.get_xlim(), race.map_axes.get_ylim()) == (surface.window[:2], surface.window[2:])
        np.testing.assert_array_equal(race.start_marker.get_xydata()[0], surface.start)
        np.testing.assert_array_equal(race.global_marker.get_xydata(), surface.minima[:1])
        assert len(race.local_markers.get_xdata()) == len(surface.minima) - 1
        assert name in race.map_axes.get_title(loc="left") and surface.description in race.table.value


def test_unticked_optimisers_leave_the_race(race: OptimiserRace) -> None:
    race.entrants["sign"].value = False
    assert race.racing == ["gd", "recorded"] and list(race.results) == ["gd", "recorded"]
    assert len(race.paths["sign"].get_xdata()) == 0 and len(race.curves["sign"].get_xdata()) == 0
    assert "sign" not in race.table.value
    assert [t.get_text() for t in race.loss_axes.get_legend().get_texts()] == ["gd", "recorded"]
    for box in race.entrants.values():
        box.value = False
    assert race.results == {} and race.loss_axes.get_legend() is None
    assert "Tick an optimiser" in race.table.value
    race.entrants["sign"].value = True
    assert list(race.results) == ["sign"] and len(race.paths["sign"].get_xdata()) == 61


def test_divergence_ends_the_path_and_is_reported(race: OptimiserRace) -> None:
    race.controls["surface"].value = "ravine"
    race.controls["learning_rate"].value = 0.2  # above 2 / 18, the stability limit of the steep direction
    result = race.results["gd"]
    assert result.diverged and len(result.path) < 61
    assert np.all(np.isfinite(result.gaps))
    assert f"diverged at step {len(result.path)}" in race.table.value
    assert not race.results["sign"].diverged  # sign steps have length lr·√2 at most: they cannot run away


def test_gradient_descent_on_the_ravine_follows_the_closed_form() -> None:
    ravine, lr, steps = SURFACES["ravine"], 0.05, 40
    path = trajectory(gradient_step(lr), ravine, steps)
    t = np.arange(steps + 1)
    # f = 0.1 x² + 9 y²: each coordinate is multiplied by 1 − lr·(its curvature) per step.
    expected = np.c_[ravine.start[0] * (1 - lr * 0.2) ** t, ravine.start[1] * (1 - lr * 18.0) ** t]
    np.testing.assert_allclose(path, expected, rtol=1e-12, atol=1e-300)


def test_a_step_that_modifies_its_input_cannot_change_the_path_already_taken() -> None:
    def in_place(point: np.ndarray, grad: np.ndarray) -> np.ndarray:
        point -= 0.05 * grad
        return point

    path = trajectory(in_place, SURFACES["saddle"], 5)
    np.testing.assert_array_equal(path, trajectory(gradient_step(0.05), SURFACES["saddle"], 5))


def test_steps_to_finds_the_first_arrival() -> None:
    result = RaceResult(np.zeros((4, 2)), np.array([1.0, 1e-2, 1e-4, 1e-3]), diverged=False)
    assert result.steps_to(1e-3) == 2 and result.steps_to(1e-1) == 1 and result.steps_to(1e-5) is None


def test_bad_racers_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        OptimiserRace({})
    with pytest.raises(ValueError, match="told apart"):
        OptimiserRace({f"gd{i}": lambda h: gradient_step(h.learning_rate) for i in range(12)})


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(SURFACES)), u=st.floats(0.0, 1.0), v=st.floats(0.0, 1.0))
def test_surface_gradients_match_central_differences(name: str, u: float, v: float) -> None:
    surface = SURFACES[name]
    x_min, x_max, y_min, y_max = surface.window
    point = np.array([x_min + u * (x_max - x_min), y_min + v * (y_max - y_min)])
    h = 1e-6
    numerical = np.array([(surface.loss(point + h * e) - surface.loss(point - h * e)) / (2 * h) for e in np.eye(2)])
    # Central differences are exact to O(h²·f''') ≈ 1e-11 here, plus rounding of about 1e-16·|f| / h ≈ 1e-9.
    np.testing.assert_allclose(surface.grad(point), numerical, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_the_minima_are_stationary_and_the_first_is_the_lowest(name: str) -> None:
    surface = SURFACES[name]
    np.testing.assert_allclose(surface.grad(surface.minima), 0.0, atol=1e-12)
    x_min, x_max, y_min, y_max = surface.window
    u, v = np.meshgrid(np.linspace(x_min, x_max, 201), np.linspace(y_min, y_max, 201))
    assert surface.loss(np.stack([u, v], axis=-1)).min() >= surface.lowest - 1e-12
    assert all(surface.loss(m) >= surface.lowest for m in surface.minima)


@settings(max_examples=30, deadline=None)
@given(lr=st.floats(1e-3, 0.11), steps=st.integers(1, 200))
def test_gradient_descent_below_the_stability_limit_never_goes_uphill_in_the_ravine(lr: float, steps: int) -> None:
    ravine = SURFACES["ravine"]
    path = trajectory(gradient_step(lr), ravine, steps)
    assert len(path) == steps + 1
    losses = ravine.loss(path)
    assert np.all(np.diff(losses) <= 1e-12 * losses[:-1])


def test_redraws_over_the_saved_background_match_a_fresh_race(race: OptimiserRace) -> None:
    full_draws = []
    draw = race.figure.canvas.draw
    race.figure.canvas.draw = lambda: (full_draws.append(1), draw())[1]
    for name, value in [("learning_rate", 0.03), ("momentum", 0.5), ("beta1", 0.5), ("beta2", 0.99), ("rho", 0.9)]:
        race.controls[name].value = value
    assert full_draws == []  # only the paths and curves were drawn, over the saved pixels
    fresh = OptimiserRace(dict(race.racers), steps=60, grid=40, learning_rate=0.03, momentum=0.5, beta1=0.5,
                          beta2=0.99, rho=0.9)
    assert bytes(race.image.value) == bytes(fresh.image.value)
    race.controls["surface"].value = "ravine"
    race.controls["steps"].value = 80
    race.entrants["sign"].value = False
    assert len(full_draws) == 3  # each of these changes what lies under the paths
