"""What exercise 5's tests hand to the student's ``train``: a loss, an update rule and a schedule.

None of them is an answer of the course. The tests of ``train`` pass these instead of the student's
own update rules, so that a mistake in, say, ``adam`` costs only Adam's points, never the training
loop's. Each follows the contract the exercise gives ``train``'s arguments:

- a loss ``loss_fn(params, X, y) -> (loss, grads)``, ``grads`` keyed and shaped like ``params``;
- an update rule ``update(w, dw, config) -> (next_w, next_config)`` that keeps its state in the
  config it returns and leaves ``w``, ``dw`` and ``config`` unchanged;
- a schedule ``schedule(epoch) -> learning rate`` for epochs counted from 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np


def least_squares(params: Mapping[str, np.ndarray], X: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    """Half the mean squared error of the linear predictions ``X @ W + b``, and its gradients.

    Args:
        params: W (D, K) and b (K,).
        X: (N, D) inputs; y: (N, K) targets.

    Returns:
        (loss, grads): loss = sum((X @ W + b - y)**2) / (2 N), a float; grads W (D, K), b (K,).
    """
    residual = X @ params["W"] + params["b"] - y           # (N, K)
    N = X.shape[0]
    return float(0.5 * np.sum(residual ** 2) / N), {"W": X.T @ residual / N, "b": residual.sum(axis=0) / N}


def decaying_sgd(w: np.ndarray, dw: np.ndarray, config: Mapping[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
    """Gradient descent with a step that shrinks like 1/sqrt(t): ``w - lr * dw / sqrt(t)``.

    ``t`` counts the steps this parameter has taken (its state, created at the first call); config
    holds ``lr`` (default 1e-2). Sharing one config between parameters, or losing the state between
    calls, changes the steps, which is what the tests of ``train`` need.
    """
    t = config.get("t", 0) + 1
    return w - config.get("lr", 1e-2) * dw / np.sqrt(t), {**config, "t": t}


def table_schedule(rates: Sequence[float]) -> Callable[[int], float]:
    """The schedule whose learning rate for epoch ``e`` (from 0) is ``rates[e]``."""
    rates = [float(rate) for rate in rates]

    def schedule(epoch: int) -> float:
        return rates[int(epoch)]

    return schedule
