"""check_layer: element-wise layers entry by entry, other layers by vector–Jacobian products."""

from __future__ import annotations

import numpy as np
import pytest

from nbcheck.gradcheck import check_layer


# Layers written for these tests only (the exercises' own layers live in the students' notebooks).
def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, x):
    return dout * (x > 0)


def sigmoid_forward(x):
    s = 1 / (1 + np.exp(-x))
    return s, s


def tanh_forward(x):
    t = np.tanh(x)
    return t, (x, t)


def affine_forward(x, w, b):
    return x @ w + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, _ = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def mse_forward(pred, target):
    r = pred - target
    return (r * r).sum() / pred.shape[0], (r, pred.shape[0])


def softmax_forward(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return p, p


def softmax_backward(dout, p):
    return p * (dout - (dout * p).sum(axis=1, keepdims=True))


@pytest.fixture
def x():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 7))
    x[0, :3] = 0.0  # exact kinks for ReLU
    return x


ELEMENTWISE = [
    ("relu", relu_forward, relu_backward, lambda dout, x: dout, "exactly where x < 0", "dout·1", "dout·0"),
    ("relu", relu_forward, relu_backward, lambda dout, x: dout * (x < 0), "everywhere", None, None),
    ("sigmoid", sigmoid_forward, lambda dout, s: dout * s * (1 - s), lambda dout, s: dout * s, "everywhere", "dout·out", "dout·(out·(1 − out))"),
    ("tanh", tanh_forward, lambda dout, c: dout * (1 - c[1] ** 2), lambda dout, c: dout * (1 - c[0] ** 2), "", "dout·(1 − x²)", "dout·(1 − out²)"),
]


@pytest.mark.parametrize("name,forward,good,bad,where,yours,right", ELEMENTWISE, ids=[e[0] + str(i) for i, e in enumerate(ELEMENTWISE)])
def test_elementwise_layers(x, name, forward, good, bad, where, yours, right):
    report = check_layer(forward, good, x)
    assert report.status == "pass" and report.evaluations == 5  # forward, backward, leak test, x ± h
    report = check_layer(forward, bad, x)
    assert report.status == "fail"
    cause = report.tensors["x"].cause
    assert cause.code == "elementwise" and where in cause.message
    if yours:
        assert f"dx = {yours} but should be {right}" in cause.message
    assert str(report).splitlines()[1].startswith("dx: is wrong")


def test_relu_kinks_are_excluded_and_strict_checks_them_as_subgradients(x):
    report = check_layer(relu_forward, relu_backward, x)
    assert report.status == "pass" and any("3 entries of x lie within" in n for n in report.notes)
    assert check_layer(relu_forward, lambda d, z: d * (z >= 0), x).status == "pass"  # ReLU'(0) = 1
    assert check_layer(relu_forward, lambda d, z: d * (z >= 0), x, strict=True).status == "pass"  # 1 is a one-sided slope
    assert check_layer(relu_forward, lambda d, z: d * (z > 0) + 5 * d * (z == 0), x, strict=True).status == "fail"


def test_affine_layer_vjp_and_bias_bug():
    rng = np.random.default_rng(1)
    inputs = (rng.standard_normal((6, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4))
    assert check_layer(affine_forward, affine_backward, inputs).status == "pass"
    assert check_layer(affine_forward, affine_backward, dict(zip("xwb", inputs))).status == "pass"

    def mean_bias(dout, cache):
        dx, dw, db = affine_backward(dout, cache)
        return dx, dw, db / dout.shape[0]

    report = check_layer(affine_forward, mean_bias, inputs)
    assert report.causes == {"b": "factor"} and "db: is 6× too small" in str(report)
    ref = check_layer(affine_forward, mean_bias, inputs, reference=(affine_forward, affine_backward))
    assert ref.causes == {"b": "factor"} and ref.method == "the reference"


def test_affine_transposed_dw_is_named():
    rng = np.random.default_rng(2)
    inputs = (rng.standard_normal((6, 4)), rng.standard_normal((4, 4)), rng.standard_normal(4))

    def transposed(dout, cache):
        dx, dw, db = affine_backward(dout, cache)
        return dx, dw.T, db

    assert check_layer(affine_forward, transposed, inputs).causes == {"w": "transpose"}


def test_backward_contract_messages():
    rng = np.random.default_rng(3)
    inputs = (rng.standard_normal((6, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4))
    report = check_layer(affine_forward, lambda d, c: affine_backward(d, c)[:2], inputs)
    assert report.status == "fail" and "backward returned 2 gradients but the layer has 3" in str(report)
    report = check_layer(affine_forward, lambda d, c: {"dx": 0 * c[0], "dw": 0 * c[1]}, inputs)
    assert "no gradient for 'b'" in str(report)


def test_non_elementwise_layer_is_detected_and_checked_by_vjp():
    x = np.random.default_rng(4).standard_normal((4, 5))
    report = check_layer(softmax_forward, softmax_backward, x)
    assert report.status == "pass" and report.evaluations > 5
    assert check_layer(softmax_forward, lambda d, p: d * p * (1 - p), x).status == "fail"


def test_loss_layer_with_targets_passed_through():
    rng = np.random.default_rng(5)
    pred, target = rng.standard_normal((8, 2)), rng.standard_normal((8, 2))
    good = lambda dout, c: dout * 2 * c[0] / c[1]  # noqa: E731
    half = lambda dout, c: dout * c[0] / c[1]  # noqa: E731
    assert check_layer(mse_forward, good, {"pred": pred, "target": target}, wrt=["pred"]).status == "pass"
    report = check_layer(mse_forward, half, {"pred": pred, "target": target}, wrt=["pred"])
    assert report.causes == {"pred": "factor"} and "half" in str(report)


def test_reference_elementwise_names_the_pattern(x):
    report = check_layer(relu_forward, lambda d, z: d, x, reference=(relu_forward, relu_backward))
    assert report.method == "the reference" and "exactly where x < 0" in str(report)


def test_forward_mismatch_with_reference():
    x = np.random.default_rng(6).standard_normal((3, 3))
    report = check_layer(lambda z: (np.maximum(z, 0.01 * z), z), relu_backward, x, reference=(relu_forward, relu_backward))
    assert report.cause.code == "forward_value"
