"""check_grad / assert_grad / numerical_gradient: API, robustness and messages."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from nbcheck.gradcheck import GradReport, assert_grad, check_grad, numerical_gradient
from tests.gradcheck_models import CATALOGUE, Mutation, build

N, D, C = 20, 6, 4


def softmax(bug: str = "correct", regime: str = "generic", seed: int = 0):
    return build(Mutation("softmax", bug, None), regime, seed)


def two_layer(bug: str = "correct", regime: str = "generic", seed: int = 0):
    return build(Mutation("two_layer", bug, None), regime, seed)


# --------------------------------------------------------------------------- numerical_gradient


def test_numerical_gradient_matches_analytic_and_keeps_x():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    x = rng.standard_normal(4)
    before = x.copy()
    grad = numerical_gradient(lambda v: v @ A @ v, x)
    np.testing.assert_allclose(grad, (A + A.T) @ before, rtol=1e-7)
    assert np.array_equal(x, before) and grad.dtype == np.float64


def test_numerical_gradient_supports_cs231n_closures():
    W = np.array([[1.0, 2.0], [3.0, -1.0]])
    grad = numerical_gradient(lambda _: float((W ** 2).sum()), W)  # f ignores its argument and reads W
    np.testing.assert_allclose(grad, 2 * np.array([[1.0, 2.0], [3.0, -1.0]]), rtol=1e-8)
    assert W[0, 0] == 1.0


def test_numerical_gradient_copies_non_float64_input():
    x = np.array([1, 2], dtype=np.int64)
    np.testing.assert_allclose(numerical_gradient(lambda v: (v ** 3).sum(), x), [3.0, 12.0], rtol=1e-6)
    assert x.dtype == np.int64


# --------------------------------------------------------------------------- verdicts and cost


@pytest.mark.parametrize("builder,tensors", [(softmax, 2), (two_layer, 4)])
def test_pass_costs_2KT_plus_1_evaluations_without_kinks(builder, tensors):
    f, loss_fn, params, hints = builder()
    report = check_grad(f, params, **hints)
    assert report.status == "pass" and report.evaluations == 2 * 2 * tensors + 1
    report = check_grad(f, params, loss_fn=loss_fn, **hints)
    assert report.status == "pass" and report.evaluations == 2 * 2 * tensors + 1


def test_report_object_text_and_html():
    f, _, params, hints = softmax("missing_1_over_N")
    report = check_grad(f, params, **hints)
    assert isinstance(report, GradReport) and report.status == "fail" and not report
    text = str(report)
    first, second = text.splitlines()[:2]
    assert "FAILED" in first
    assert "20× too large, and 20 is your batch size" in second and "Fix: divide the shared upstream gradient" in second
    assert "Evidence:" in text
    assert set(report.tensors) == {"W", "b"} and report.tensors["W"].rel_error > 0.9
    html = report._repr_html_()
    assert "<table>" in html and "grads[&#x27;W&#x27;]" in html


def test_assert_grad_raises_the_message_only_on_failure():
    f, _, params, hints = softmax()
    assert assert_grad(f, params, **hints).status == "pass"
    bad, _, params, hints = softmax("sign_flip")
    with pytest.raises(AssertionError) as info:
        assert_grad(bad, params, **hints)
    assert "wrong sign" in str(info.value)


def test_bool_of_report_makes_plain_assert_work():
    f, _, params, hints = softmax("reg_missing")
    assert not check_grad(f, params, **hints)
    f, _, params, hints = softmax()
    assert check_grad(f, params, **hints)


def test_same_seed_same_report():
    f, _, params, hints = two_layer("relu_mask_missing")
    a, b = check_grad(f, params, seed=3, **hints), check_grad(f, params, seed=3, **hints)
    assert str(a) == str(b)


# --------------------------------------------------------------------------- robustness


def test_does_not_mutate_float32_inputs_and_says_so():
    f, _, params, hints = softmax(regime="float32")
    before = {k: v.copy() for k, v in params.items()}
    report = check_grad(f, params, **hints)
    assert report.status == "pass"
    assert all(params[k].dtype == np.float32 and np.array_equal(params[k], before[k]) for k in params)
    assert any("float32" in n and "not modified" in n for n in report.notes)


def test_function_writing_into_params_is_reported():
    def f(p):
        p["W"] *= 2
        return 0.0, {"W": np.zeros_like(p["W"])}

    W = np.ones((2, 2))
    report = check_grad(f, {"W": W})
    assert report.status == "fail" and report.cause.code == "inplace" and np.all(W == 1)


def test_exception_is_reported_with_the_student_line():
    def f(p):
        scores = p["W"] @ np.ones((3, 1))  # wrong inner dimension
        return scores.sum(), {"W": p["W"]}

    report = check_grad(f, {"W": np.ones((2, 2))})
    assert report.status == "fail" and report.cause.code == "exception"
    assert "ValueError" in str(report) and "scores = p[\"W\"] @ np.ones((3, 1))" in str(report)


@pytest.mark.parametrize("returned,fragment", [
    (1.0, "not a pair"),
    ({"W": np.zeros((2, 3))}, "returned only a dict"),
    ((1.0, {"W": np.zeros((2, 3))}, 3), "returned 3 values"),
    ((1.0, [np.zeros((2, 3))]), "grads is a list, not a dict"),
    ((np.ones(5), {"W": np.zeros((2, 3))}), "the loss must be a single number"),
    ((1.0, {"dW": np.zeros((2, 3))}), "grads has no 'W' (it has 'dW')"),
    ((1.0, {"W": None}), "grads['W'] is None"),
    ((1.0, {"W": np.zeros((3, 2))}), "grads['W'] has shape (3, 2) but params['W'] has shape (2, 3): did you transpose it?"),
    ((1.0, {"W": np.zeros((5, 2, 3))}), "extra leading axis of length 5"),
])
def test_wrong_returns_get_a_clear_message(returned, fragment):
    report = check_grad(lambda p: returned, {"W": np.ones((2, 3))})
    assert report.status == "fail" and fragment in str(report)


def test_bias_summed_over_the_wrong_axis():
    f, _, params, hints = softmax("bias_wrong_axis")
    report = check_grad(f, params, **hints)
    assert report.cause.code == "shape_axis" and "axis 0" in str(report)


def test_integer_and_float32_gradients_are_upcast():
    def f(p):
        W = p["W"]
        return float((W ** 2).sum()), {"W": (2 * W).astype(np.float32)}

    report = check_grad(f, {"W": np.array([[1.0, 2.0], [3.0, 4.0]])})
    assert report.status == "pass" and any("float32" in n for n in report.notes)
    report = check_grad(lambda p: (float((p["W"] ** 2).sum()), {"W": (2 * p["W"]).astype(int)}),
                        {"W": np.array([[1.0, 2.0], [3.0, 4.0]])})
    assert report.status == "pass" and any("integer gradient" in n for n in report.notes)


def test_softmax_overflow_names_the_operation_and_the_fix():
    f, _, params, hints = softmax("softmax_overflow", regime="large_logits")
    report = check_grad(f, params, **hints)
    text = str(report)
    assert report.cause.code == "nonfinite" and "overflow encountered in exp" in text
    assert "subtract the row max" in text and "e = np.exp(scores)" in text


def test_nan_gradient_fails():
    report = check_grad(lambda p: (1.0, {"W": np.full((2, 2), np.nan)}), {"W": np.zeros((2, 2))})
    assert report.status == "fail" and "NaN/inf" in str(report)


def test_monkey_patched_numpy_changes_nothing(monkeypatch):
    f, _, params, hints = softmax("reg_half")
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "vdot", lambda *a, **k: 0.0)
    monkeypatch.setattr(np.linalg, "norm", lambda *a, **k: 0.0)
    monkeypatch.setattr(np, "isfinite", lambda x: np.ones(np.shape(x), bool))
    report = check_grad(f, params, **hints)
    assert report.status == "fail" and report.tensors["W"].cause.code == "reg_half"


def test_nondeterministic_loss_is_named():
    rng = np.random.default_rng(0)
    W0 = np.ones((3, 3))

    def dropout_loss(p):
        mask = rng.random(p["W"].shape) < 0.5
        return float((p["W"] ** 2 * mask).sum()), {"W": 2 * p["W"]}

    report = check_grad(dropout_loss, {"W": W0})
    assert report.status == "fail" and report.cause.code == "nondeterministic"


def test_loss_fn_that_disagrees_with_f_is_named():
    f, loss_fn, params, hints = softmax("correct")
    report = check_grad(f, params, loss_fn=lambda p: loss_fn(p) + 0.05 * float((p["W"] ** 2).sum()), **hints)
    assert report.status == "fail" and report.cause.code == "loss_fn_mismatch"


# --------------------------------------------------------------------------- kinks and strictness


def test_exact_kink_is_a_note_not_a_failure_and_strict_reports_it():
    f, _, params, hints = two_layer("relu_prime_at_0_is_1", regime="exact_kink")
    report = check_grad(f, params, **hints)
    assert report.status == "pass" and any("kink" in n for n in report.notes)
    strict = check_grad(f, params, strict=True, **hints)
    assert strict.status == "fail" and any("kink" in n for n in strict.notes)


# --------------------------------------------------------------------------- reference mode


def test_reference_mode_is_exact_and_uses_no_finite_differences():
    ref, _, params, hints = two_layer()
    f, *_ = two_layer("bias_averaged")
    report = check_grad(f, params, reference=ref, **hints)
    assert report.method == "the reference" and report.status == "fail"
    assert report.tensors["b2"].cause.code == "factor" and report.tensors["b2"].cause.detail["label"] == "inv_batch"
    assert report.evaluations <= 3  # student call, jittered re-check; probes are free
    assert check_grad(ref, params, reference=ref, **hints).status == "pass"


def test_reference_mode_checks_the_loss_value():
    ref, _, params, hints = softmax()

    def constant(p):
        return 0.0, {k: np.zeros_like(v) for k, v in p.items()}

    assert check_grad(constant, params, **hints).status == "pass"  # consistent, so finite differences cannot object
    report = check_grad(constant, params, reference=ref, **hints)
    assert report.status == "fail" and report.cause.code == "loss_value"


def test_reference_mode_forgives_relu_convention_at_a_kink_unless_strict():
    ref, _, params, hints = two_layer(regime="exact_kink")
    f, *_ = two_layer("relu_prime_at_0_is_1", regime="exact_kink")
    assert check_grad(f, params, reference=ref, **hints).status == "pass"
    assert check_grad(f, params, reference=ref, strict=True, **hints).status == "fail"


# --------------------------------------------------------------------------- sensitivity


@pytest.mark.parametrize("seed", range(5))
def test_sensitivity_flags_1e_3_and_passes_1e_8(seed):
    f, _, params, hints = softmax(seed=seed)
    rng = np.random.default_rng(seed)

    def perturbed(size):
        def g(p):
            loss, grads = f(p)
            noise = rng.standard_normal(grads["W"].shape)
            return loss, {**grads, "W": grads["W"] + size * np.linalg.norm(grads["W"]) * noise / np.linalg.norm(noise)}
        return g

    assert check_grad(perturbed(1e-3), params, seed=seed, **hints).status == "fail"
    assert check_grad(perturbed(1e-8), params, seed=seed, **hints).status == "pass"


def test_catalogue_is_complete():
    bugs = {m.bug for m in CATALOGUE}
    required = {"missing_1_over_N", "double_1_over_N", "reg_missing", "reg_half", "reg_double", "reg_on_bias",
                "sign_flip", "transposed_dW", "relu_mask_missing", "relu_mask_wrong_tensor", "preactivation_as_output",
                "bias_averaged", "bias_wrong_axis", "bias_missing", "bias_bypasses_mask", "first_example_only",
                "one_example_missing", "softmax_overflow", "mse_factor_2", "skipped_last_hidden_unit",
                "corrupted_entry", "log_eps", "relu_prime_at_0_is_1"}
    assert required <= bugs


def _softmax_with_examples(bug: str, N: int = 20, D: int = 5, K: int = 4, seed: int = 0):
    """A linear softmax loss whose gradient covers only part of the batch (``bug``), and the ``examples`` hint."""
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((N, D)), rng.integers(0, K, N)
    reg = 0.1

    def loss_of(idx, p):
        s = X[idx] @ p["W"] + p["b"]
        s = s - s.max(axis=1, keepdims=True)
        return -(s[np.arange(len(idx)), y[idx]] - np.log(np.exp(s).sum(axis=1))).mean() + 0.5 * reg * np.sum(p["W"] ** 2)

    def f(p):
        part = {"correct": np.arange(N), "first_half": np.arange(N // 2), "all_but_last": np.arange(N - 1),
                "first_only": np.arange(1)}[bug]
        s = X @ p["W"] + p["b"]
        probs = np.exp(s - s.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        dscores = (probs - np.eye(K)[y])[part] / N
        return loss_of(np.arange(N), p), {"W": X[part].T @ dscores + reg * p["W"], "b": dscores.sum(axis=0)}

    params = {"W": 0.5 * rng.standard_normal((D, K)), "b": rng.standard_normal(K)}
    return f, params, dict(batch_size=N, reg=reg, regularized=["W"], examples=lambda idx: partial(loss_of, idx))


@pytest.mark.parametrize("bug, words", [("first_half", "the first 10 examples"), ("all_but_last", "all but the last example"),
                                        ("first_only", "the first example")])
def test_a_gradient_of_part_of_the_batch_is_named(bug: str, words: str) -> None:
    f, params, hints = _softmax_with_examples(bug)
    report = check_grad(f, params, **hints)
    assert report.status == "fail" and set(report.causes.values()) == {"partial_batch"}, report.causes
    assert words in str(report)


def test_the_examples_hint_raises_no_false_alarm() -> None:
    for seed in range(5):
        f, params, hints = _softmax_with_examples("correct", seed=seed)
        assert check_grad(f, params, seed=seed, **hints).status == "pass"


def test_a_zero_dimensional_parameter_is_checked_like_any_other():
    def cube(p, factor=3.0):
        return float(p["a"] ** 3 + (p["b"] ** 2).sum()), {"a": factor * p["a"] ** 2, "b": 2 * p["b"]}

    params = {"a": np.array(2.0), "b": np.ones(3)}
    assert check_grad(cube, params)
    report = check_grad(partial(cube, factor=2.5), params)
    assert not report and "0.833× the correct gradient" in str(report)
