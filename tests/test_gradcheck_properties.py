"""Property tests: shapes, scales and batch sizes drawn by hypothesis."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcheck.gradcheck import check_grad, numerical_gradient


def softmax_problem(N: int, D: int, C: int, scale: float, seed: int, bug: str = "correct"):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((N, D)), rng.integers(0, C, N)
    params = {"W": scale * rng.standard_normal((D, C)), "b": scale * rng.standard_normal(C)}

    def f(p):
        s = X @ p["W"] + p["b"]
        s = s - s.max(axis=1, keepdims=True)
        probs = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(N), y]).mean()
        ds = probs.copy()
        ds[np.arange(N), y] -= 1
        ds = ds if bug == "missing_1_over_N" else ds / N
        return loss, {"W": X.T @ ds, "b": ds.sum(axis=0)}

    return f, params


shapes = dict(N=st.integers(3, 40), D=st.integers(1, 12), C=st.integers(2, 8),
              scale=st.sampled_from([1e-3, 1e-2, 0.1, 1.0, 3.0]), seed=st.integers(0, 2**31 - 1))


@settings(max_examples=40, deadline=None)
@given(**shapes)
def test_correct_softmax_always_passes_in_2KT_plus_1(N, D, C, scale, seed):
    f, params = softmax_problem(N, D, C, scale, seed)
    report = check_grad(f, params, seed=seed, batch_size=N)
    assert report.status == "pass", str(report)
    assert report.evaluations == 9


@settings(max_examples=40, deadline=None)
@given(**shapes)
def test_missing_1_over_N_always_fails_and_names_N(N, D, C, scale, seed):
    f, params = softmax_problem(N, D, C, scale, seed, bug="missing_1_over_N")
    report = check_grad(f, params, seed=seed, batch_size=N)
    assert report.status == "fail"
    assert report.cause is not None and report.cause.code == "upstream_factor", report.causes
    assert abs(report.cause.detail["alpha"] - N) < 0.02 * N


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 6), m=st.integers(1, 6), seed=st.integers(0, 2**31 - 1))
def test_numerical_gradient_of_quadratic_forms(n, m, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n * m, n * m))
    x = rng.standard_normal((n, m))
    grad = numerical_gradient(lambda v: v.reshape(-1) @ A @ v.reshape(-1), x)
    exact = ((A + A.T) @ x.reshape(-1)).reshape(n, m)
    np.testing.assert_allclose(grad, exact, rtol=1e-6, atol=1e-7)


@settings(max_examples=30, deadline=None)
@given(size=st.integers(1, 300), seed=st.integers(0, 2**31 - 1), rel=st.sampled_from([1e-3, 1e-2, 1.0]))
def test_any_relative_error_of_1e_3_or_more_in_one_tensor_is_flagged(size, seed, rel):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal(size)
    target = rng.standard_normal(size)
    noise = rng.standard_normal(size)
    delta = rel * noise / np.linalg.norm(noise)

    def f(p):
        r = p["v"] * A - target
        g = 2 * r * A
        return float(r @ r), {"v": g + delta * np.linalg.norm(g)}

    report = check_grad(f, {"v": rng.standard_normal(size)}, seed=seed)
    assert report.status == "fail"
