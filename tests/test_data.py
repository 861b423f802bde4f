"""nbcheck.data: the toy data sets are deterministic, well-shaped and balanced."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcheck.data import DATASETS, make_spiral


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(sorted(DATASETS)), n=st.integers(1, 60), seed=st.integers(0, 10**6))
def test_shapes_dtypes_balance_and_determinism(name: str, n: int, seed: int) -> None:
    X, y = DATASETS[name](n_per_class=n, seed=seed)
    classes = np.unique(y)
    assert X.dtype == np.float64 and X.ndim == 2 and X.shape[1] == 2
    assert y.dtype == np.int64 and y.shape == (X.shape[0],)
    assert np.array_equal(classes, np.arange(len(classes))) and len(classes) >= 2
    assert np.all(np.isfinite(X))
    assert np.all(np.bincount(y) == n)
    X2, y2 = DATASETS[name](n_per_class=n, seed=seed)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_spiral_arms(k: int) -> None:
    X, y = make_spiral(n_per_class=100, n_classes=k, seed=1)
    assert X.shape == (100 * k, 2) and np.all(np.bincount(y) == 100)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.max() <= 1.0 + 1e-12 and radius.min() == 0.0
    assert not np.array_equal(X, make_spiral(n_per_class=100, n_classes=k, seed=2)[0])
