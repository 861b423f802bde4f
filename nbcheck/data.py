"""Toy 2-D data sets used by the lectures, the exercises and the playground.

Every generator takes an explicit ``seed`` and returns ``(X, y)`` with ``X`` of shape
(N, 2) float64 (rows are examples) and ``y`` of shape (N,) int64 labels in [0, K).
They are generated on the spot, so the course needs no download.
"""

from __future__ import annotations

import numpy as np


def make_spiral(n_per_class: int = 100, n_classes: int = 3, seed: int = 0,
                noise: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class: the classic data no linear model separates.

    Arm ``k`` has radius r = linspace(0, 1) and angle t = linspace(4k, 4(k+1)) + noise·N(0, 1),
    and its points are (r sin t, r cos t).

    Returns:
        X: (n_per_class · n_classes, 2) float64.
        y: (n_per_class · n_classes,) int64, class k for arm k.
    """
    rng = np.random.default_rng(seed)
    radius = np.linspace(0.0, 1.0, n_per_class)
    X = np.empty((n_per_class * n_classes, 2))
    y = np.repeat(np.arange(n_classes), n_per_class)
    for k in range(n_classes):
        angle = np.linspace(4.0 * k, 4.0 * (k + 1), n_per_class) + noise * rng.standard_normal(n_per_class)
        X[k * n_per_class:(k + 1) * n_per_class] = np.c_[radius * np.sin(angle), radius * np.cos(angle)]
    return X, y


def make_xor(n_per_class: int = 100, seed: int = 0, noise: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian clusters at (±1, ±1); the label is 1 where the signs differ (XOR).

    Returns X (2·n_per_class, 2) float64 and y (2·n_per_class,) int64 in {0, 1}.
    """
    rng = np.random.default_rng(seed)
    # Labels alternate around the corners, so any 2n points hold n of each class.
    corners = np.array([[1, 1], [1, -1], [-1, -1], [-1, 1]], dtype=float)
    labels = np.array([0, 1, 0, 1])
    which = np.tile(np.arange(4), -(-2 * n_per_class // 4))[:2 * n_per_class]
    X = 0.5 * corners[which] + noise * rng.standard_normal((2 * n_per_class, 2))
    return X, labels[which].astype(np.int64)


def make_circles(n_per_class: int = 100, seed: int = 0, noise: float = 0.08) -> tuple[np.ndarray, np.ndarray]:
    """A disc of class 0 (radius ≤ 0.5) inside a ring of class 1 (radius 0.7 to 1).

    Returns X (2·n_per_class, 2) float64 and y (2·n_per_class,) int64 in {0, 1}.
    """
    rng = np.random.default_rng(seed)
    radius = np.r_[0.5 * np.sqrt(rng.uniform(size=n_per_class)), rng.uniform(0.7, 1.0, size=n_per_class)]
    angle = rng.uniform(0.0, 2.0 * np.pi, size=2 * n_per_class)
    X = np.c_[radius * np.cos(angle), radius * np.sin(angle)] + noise * rng.standard_normal((2 * n_per_class, 2))
    return X, np.repeat([0, 1], n_per_class).astype(np.int64)


def make_gaussian_blobs(n_per_class: int = 100, seed: int = 0, separation: float = 2.0,
                        std: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Two isotropic Gaussian classes centred at ±(separation/2, separation/2).

    With the default spread the classes overlap, so no line separates them exactly.
    Returns X (2·n_per_class, 2) float64 and y (2·n_per_class,) int64 in {0, 1}.
    """
    rng = np.random.default_rng(seed)
    centre = np.full(2, separation / 2.0)
    X = np.r_[centre + std * rng.standard_normal((n_per_class, 2)),
              -centre + std * rng.standard_normal((n_per_class, 2))]
    return X, np.repeat([0, 1], n_per_class).astype(np.int64)


DATASETS = {
    "spiral": make_spiral,
    "xor": make_xor,
    "circles": make_circles,
    "blobs": make_gaussian_blobs,
}


def make_crossed_gaussians(n_per_class: int = 100, seed: int = 0, centre: tuple[float, float] = (1.0, 1.0),
                           long: float = 1.6, short: float = 0.35) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian classes with the same centre, stretched across each other like a plus sign.

    Class 0 ~ N(centre, diag(short², long²)) (tall), class 1 ~ N(centre, diag(long², short²))
    (wide). No line separates them (a linear classifier scores little better than chance), but
    a curved boundary does well: the data set of exercise 2's 2-2-1 network.

    Returns X (2·n_per_class, 2) float64 (class 0 first) and y (2·n_per_class,) int64 in {0, 1}.
    """
    rng = np.random.default_rng(seed)
    spread = np.array([[short, long], [long, short]])
    X = np.asarray(centre) + np.concatenate([spread[k] * rng.standard_normal((n_per_class, 2)) for k in (0, 1)])
    return X, np.repeat([0, 1], n_per_class).astype(np.int64)
