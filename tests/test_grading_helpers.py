"""nbcheck.grading in the student's own kernel: every way a submission can be wrong gets a message
that names it (the same messages come from the judge: tests/test_judge.py and the catalogues)."""

from __future__ import annotations

import __main__
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcheck import grading as g


@pytest.fixture
def notebook(monkeypatch: pytest.MonkeyPatch):
    """Define names in the namespace the helpers read (``__main__`` outside IPython)."""
    def define(name, value):
        monkeypatch.setattr(__main__, name, value, raising=False)
    return define


def test_missing_function_says_how_to_fix(notebook) -> None:
    with pytest.raises(g.GradingError, match=r"`no_such_fn` is not defined.*keep the name"):
        g.student_function("no_such_fn")


def test_not_a_function(notebook) -> None:
    notebook("softmax", 3)
    with pytest.raises(g.GradingError, match="should be a function, but it is an int"):
        g.student_function("softmax")


def test_not_implemented_yet(notebook) -> None:
    def softmax(scores):
        raise NotImplementedError()
    notebook("softmax", softmax)
    with pytest.raises(g.GradingError, match="not implemented yet"):
        g.student_function("softmax")(np.zeros((2, 3)))


def test_not_implemented_in_a_called_function_names_that_function(notebook) -> None:
    def softmax(scores):
        raise NotImplementedError()

    def softmax_loss(scores):
        return softmax(scores).sum()
    notebook("softmax", softmax)
    notebook("softmax_loss", softmax_loss)
    with pytest.raises(g.GradingError, match="`softmax_loss` calls `softmax`, which is not implemented yet"):
        g.student_function("softmax_loss")(np.zeros((2, 3)))


def test_exception_names_type_and_inputs(notebook) -> None:
    def softmax(scores):
        return scores @ np.ones((4, 4))
    notebook("softmax", softmax)
    with pytest.raises(g.GradingError, match=r"raised ValueError.*at `return scores @ np.ones\(\(4, 4\)\)` "
                                             r"in `softmax`.*shape \(2, 3\)"):
        g.student_function("softmax")(np.zeros((2, 3)))


def test_in_place_modification_names_the_argument(notebook) -> None:
    def softmax(scores):
        scores -= scores.max(axis=1, keepdims=True)
        return np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    notebook("softmax", softmax)
    with pytest.raises(g.GradingError, match="modified its input `scores` in place"):
        g.student_function("softmax")(np.arange(6.0).reshape(2, 3))


def test_in_place_modification_inside_a_dict(notebook) -> None:
    def step(params):
        params["W"] *= 0.5
        return params
    notebook("step", step)
    with pytest.raises(g.GradingError, match="modified its input `params`"):
        g.student_function("step")({"W": np.ones(3)})


def test_a_number_changed_inside_a_dict_is_a_modification(notebook) -> None:
    def sgd(w, dw, config):
        config["learning_rate"] = config.get("learning_rate", 1e-2) * 0.5
        return w - config["learning_rate"] * dw, config
    notebook("sgd", sgd)
    with pytest.raises(g.GradingError, match="modified its input `config`"):
        g.student_function("sgd")(np.ones(2), np.ones(2), {"learning_rate": 0.1})
    w, config = g.student_function("sgd")(np.ones(2), np.ones(2), {"learning_rate": float("nan")})
    assert config["learning_rate"] != config["learning_rate"], "NaN stays NaN: the call may still not change it"


def test_in_place_modification_of_a_keyword_argument_is_named(notebook) -> None:
    def train(X, y, step_size=1.0, params=None):
        params["W"] -= step_size
        return params
    notebook("train", train)
    with pytest.raises(g.GradingError, match="modified its input `params` in place"):
        g.student_function("train")(np.ones(2), np.zeros(2), params={"W": np.ones(3)}, step_size=0.5)


def test_pure_function_passes_through(notebook) -> None:
    notebook("double", lambda x: 2 * x)
    x = np.arange(3.0)
    assert np.array_equal(g.student_function("double")(x), 2 * x)


def test_endless_loop_is_stopped_with_a_message(notebook) -> None:
    def train():
        while True:
            time.sleep(0.01)
    notebook("train", train)
    start = time.monotonic()
    with pytest.raises(g.GradingError, match=r"did not finish within 0.2 s"):
        g.student_function("train", time_limit=0.2)()
    assert time.monotonic() - start < 5


def test_nested_time_limits_keep_the_outer_one(notebook) -> None:
    def inner():
        return 1

    def outer():
        g.student_function("inner", time_limit=5)()  # must not cancel outer's 0.2 s limit
        while True:
            time.sleep(0.01)
    notebook("inner", inner)
    notebook("outer", outer)
    with pytest.raises(g.GradingError, match=r"`outer` did not finish within 0.2 s"):
        g.student_function("outer", time_limit=0.2)()


@pytest.mark.parametrize("value, message", [
    ([1.0, 2.0], r"should be a numpy array of shape \(2, 3\), but it is a list"),
    (np.ones((3, 2)), r"shape \(3, 2\) but should have shape \(2, 3\) = \(D, K\). It looks transposed"),
    (np.ones(6), "right number of entries"),
    (np.ones((2, 3), dtype=np.float32), "dtype float32 but should be float64"),
    (np.ones((2, 3), dtype=np.int64), "dtype int64 but should be float64"),
    (np.full((2, 3), np.nan), "6 non-finite entries"),
])
def test_as_array_rejects_with_reason(value, message) -> None:
    with pytest.raises(g.GradingError, match=message):
        g.as_array(value, "dW", shape=(2, 3), shape_hint="(D, K)")


def test_as_array_int_kind() -> None:
    assert g.as_array(np.array([0, 2]), "y_pred", shape=(2,), kind="int").dtype.kind == "i"
    with pytest.raises(g.GradingError, match="should hold integers"):
        g.as_array(np.array([0.0, 2.0]), "y_pred", kind="int")


def test_as_array_returns_a_plain_copy() -> None:
    class Sneaky(np.ndarray):
        def __eq__(self, other):
            return True
    value = np.ones(3).view(Sneaky)
    out = g.as_array(value, "x")
    assert type(out) is np.ndarray and out is not value


def test_as_scalar_sees_through_a_float_that_equals_everything() -> None:
    class AlwaysEqual(float):
        def __eq__(self, other):
            return True
        __hash__ = float.__hash__
        def __float__(self):
            return 1.0986
    liar = AlwaysEqual(7.5)
    assert g.as_scalar(liar, "loss") == 7.5
    with pytest.raises(g.GradingError, match="loss is wrong"):
        g.assert_close(g.as_scalar(liar, "loss"), 1.0986, "loss")


@pytest.mark.parametrize("value, message", [
    (np.float32(1.0), "float32"),
    (np.ones(3), "single number, but it is an array of shape"),
    ("1.0", "should be a number, but it is a str"),
    (float("nan"), "loss is nan"),
    (np.array(np.inf), "loss is inf"),
])
def test_as_scalar_rejects_with_reason(value, message) -> None:
    with pytest.raises(g.GradingError, match=message):
        g.as_scalar(value, "loss")


def test_as_scalar_accepts_numbers() -> None:
    assert g.as_scalar(np.float64(2.5), "loss") == 2.5
    assert g.as_scalar(np.array([[2.5]]), "loss") == 2.5
    assert g.as_scalar(3, "loss") == 3.0


def test_unpack() -> None:
    assert g.unpack((1, 2, 3), ("loss", "dW", "db"), "softmax_loss") == (1, 2, 3)
    with pytest.raises(g.GradingError, match=r"should return 3 values \(loss, dW, db\), but it returned 2"):
        g.unpack((1, 2), ("loss", "dW", "db"), "softmax_loss")
    with pytest.raises(g.GradingError, match="returned a single float. Write `return loss, dW, db`"):
        g.unpack(1.0, ("loss", "dW", "db"), "softmax_loss")


@pytest.mark.parametrize("factor, words", [
    (-1.0, "sign error"), (2.0, "factor of 2"), (0.5, "factor of 1/2"),
    (50.0, "N, the number of examples"), (1 / 50, r"1/\(N, the number of examples\)"),
    (0.0, "zero everywhere"), (3.7, "3.7 × the expected value everywhere"),
])
def test_assert_close_names_a_constant_factor(factor, words) -> None:
    expected = np.random.default_rng(0).standard_normal((4, 3))
    with pytest.raises(g.GradingError, match=words):
        g.assert_close(factor * expected, expected, "dW", factors={"N, the number of examples": 50})


def test_assert_close_says_nothing_vague_about_a_single_number() -> None:
    with pytest.raises(g.GradingError) as caught:
        g.assert_close(1.2, 1.1, "loss")
    assert "×" not in str(caught.value)
    with pytest.raises(g.GradingError, match="Yours is exactly 2 × the expected value: a factor of 2"):
        g.assert_close(2.2, 1.1, "loss")


def test_assert_close_locates_a_single_wrong_entry() -> None:
    expected = np.arange(12.0).reshape(3, 4)
    actual = expected.copy()
    actual[2, 1] += 1.0
    with pytest.raises(g.GradingError, match=r"dW is wrong at index \(2, 1\): yours is 10, expected 9"):
        g.assert_close(actual, expected, "dW")


@settings(max_examples=50, deadline=None)
@given(shape=st.tuples(st.integers(1, 6), st.integers(1, 6)), seed=st.integers(0, 2**32 - 1),
       rtol=st.sampled_from([1e-9, 1e-6, 1e-3]))
def test_assert_close_accepts_within_and_rejects_beyond_tolerance(shape, seed, rtol) -> None:
    expected = np.random.default_rng(seed).standard_normal(shape) + 2.0
    g.assert_close(expected * (1 + 0.5 * rtol), expected, "x", rtol=rtol, atol=0.0)
    with pytest.raises(g.GradingError):
        g.assert_close(expected * (1 + 3 * rtol), expected, "x", rtol=rtol, atol=0.0)


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_np_matrix_is_rejected_by_name() -> None:
    with pytest.raises(g.GradingError, match="np.matrix"):
        g.as_array(np.matrix(np.ones((2, 3))), "probs", shape=(2, 3))


def test_near_misses_print_enough_digits_to_differ() -> None:
    with pytest.raises(g.GradingError, match=r"yours is 1.0986123, expected 1.0986122"):
        g.assert_close(1.0986123, 1.0986122, "loss", rtol=1e-9)


def test_a_grading_error_renders_as_one_line() -> None:
    error = g.GradingError("dW is wrong")
    assert error._render_traceback_() == ["\x1b[0;31mGradingError\x1b[0m: dW is wrong"]


def test_warnings_and_stderr_of_the_student_go_to_stdout(notebook, capsys) -> None:
    import sys
    import warnings

    def noisy(x):
        warnings.warn("careful")
        print("to stderr", file=sys.stderr)
        return x
    notebook("noisy", noisy)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert g.student_function("noisy")(2) == 2
    captured = capsys.readouterr()
    assert captured.err == "" and "careful" in captured.out and "to stderr" in captured.out


def test_student_objects_run_methods_operators_and_attributes(notebook) -> None:
    class Box:
        def __init__(self, value):
            self.value = np.asarray(value, dtype=float)

        def __mul__(self, other):
            return Box(self.value * (other.value if isinstance(other, Box) else other))

        __rmul__ = __mul__

        def total(self):
            return float(self.value.sum())

        def fail(self):
            raise ValueError("no")
    notebook("Box", Box)
    box = g.student_class("Box")([1.0, 2.0])
    assert isinstance(box, g.StudentObject) and repr(box) == "<Box made by your code>"
    product = 3 * (box * box)
    assert isinstance(product, g.StudentObject)
    assert np.array_equal(product.value, [3.0, 12.0]) and product.total() == 15.0
    with pytest.raises(g.GradingError, match=r"`Box.fail` raised ValueError: no"):
        box.fail()
    with pytest.raises(g.GradingError, match=r"`Box.missing` raised AttributeError"):
        box.missing
