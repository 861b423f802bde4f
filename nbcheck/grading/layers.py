"""Runners for exercise 3: a layer's forward then backward pass, a network's, a training run then a score.

A cs231n-style layer hands its backward pass a *cache*, whatever the student chose to keep, which
need not be plain data. So these checks do not call the student's functions one at a time: each
runner makes the whole round trip where the student's code runs (their own kernel, or the sandboxed
kernel in the judge), as ``runner(namespace, **case_inputs)``, and returns plain data that
:func:`nbcheck.grading.check` compares with the answer key like a function's result.

A runner holds no solution code: it only calls the student's functions, found in ``namespace`` by
name, in the order the contract says, and hands back what they returned. It also says which of them
changed an array in place (an argument, or one kept in a cache), which the contract forbids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nbcheck.grading import calls
from nbcheck.grading.errors import GradingError


class _Calls:
    """Calls the student's functions by name, watching every array handed to them for changes."""

    def __init__(self, namespace: Mapping[str, Any], **arguments: Any) -> None:
        self.namespace = namespace
        self.watched: list[tuple[str, Any, Any]] = []   # (how a message names it, its snapshot, the object)
        for name, value in arguments.items():
            self.watch(f"`{name}`", value)

    def __call__(self, name: str, *args: Any, **kwargs: Any) -> Any:
        function = self.namespace.get(name)
        if function is None:
            raise GradingError(calls.not_defined_message(name))
        if not callable(function):
            raise GradingError(calls.not_callable_message(name, type(function).__name__))
        result = function(*args, **kwargs)
        for what, before, value in self.watched:
            if before is not None and calls.changed(before, value):
                raise GradingError(f"`{name}` modified {what} in place. Functions here must leave their inputs "
                                   "(and what their caches hold) unchanged: write `a = a - x` (a new array) "
                                   "instead of `a -= x`, or work on `a.copy()`.")
        return result

    def watch(self, what: str, value: Any) -> None:
        """Also watch ``value`` (an array an earlier call returned, which a cache may hold) from now on."""
        self.watched.append((what, calls.snapshot(value), value))


def _pair(result: Any, function: str, names: str) -> tuple[Any, Any]:
    """``result`` as the two values (out, cache) that ``function`` must return."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        size = f"{len(result)} values" if isinstance(result, (tuple, list)) else f"a single {calls.type_name(result)}"
        raise GradingError(f"`{function}` should return two values ({names}), but it returned {size}: "
                           f"write `return {names}`.")
    return result[0], result[1]


def _values(result: Any, function: str, names: tuple[str, ...]) -> tuple[Any, ...]:
    """``result`` as the ``len(names)`` gradients ``function`` must return (one array when there is one)."""
    if len(names) == 1:
        return (result,)
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        size = f"{len(result)} values" if isinstance(result, (tuple, list)) else f"a single {calls.type_name(result)}"
        raise GradingError(f"`{function}` should return {len(names)} values ({', '.join(names)}), but it returned "
                           f"{size}: write `return {', '.join(names)}`.")
    return tuple(result)


def _vjp(out: Any, dout: np.ndarray) -> float:
    """The scalar <out, dout> whose gradient the backward pass computes (NaN when out cannot be paired with dout)."""
    if isinstance(out, np.ndarray) and out.dtype.kind == "f" and out.shape == dout.shape:
        return float(np.sum(out * dout))
    return float("nan")


def _layer(namespace: Mapping[str, Any], layer: str, inputs: dict[str, np.ndarray], dout: np.ndarray,
           grads: tuple[str, ...]) -> tuple[Any, ...]:
    student = _Calls(namespace, **inputs, dout=dout)
    out, cache = _pair(student(f"{layer}_forward", *inputs.values()), f"{layer}_forward", "out, cache")
    student.watch(f"the output of `{layer}_forward` (kept in its cache)", out)
    backward = student(f"{layer}_backward", dout, cache)
    return (out, _vjp(out, dout), *_values(backward, f"{layer}_backward", grads))


def affine_round_trip(namespace: Mapping[str, Any], x: np.ndarray, W: np.ndarray, b: np.ndarray,
                      dout: np.ndarray) -> tuple[Any, ...]:
    """``affine_forward(x, W, b)``, then ``affine_backward(dout, cache)``: (out, <out, dout>, dx, dW, db)."""
    return _layer(namespace, "affine", {"x": x, "W": W, "b": b}, dout, ("dx", "dW", "db"))


def relu_round_trip(namespace: Mapping[str, Any], x: np.ndarray, dout: np.ndarray) -> tuple[Any, ...]:
    """``relu_forward(x)``, then ``relu_backward(dout, cache)``: (out, <out, dout>, dx)."""
    return _layer(namespace, "relu", {"x": x}, dout, ("dx",))


def sigmoid_round_trip(namespace: Mapping[str, Any], x: np.ndarray, dout: np.ndarray) -> tuple[Any, ...]:
    """``sigmoid_forward(x)``, then ``sigmoid_backward(dout, cache)``: (out, <out, dout>, dx)."""
    return _layer(namespace, "sigmoid", {"x": x}, dout, ("dx",))


def tanh_round_trip(namespace: Mapping[str, Any], x: np.ndarray, dout: np.ndarray) -> tuple[Any, ...]:
    """``tanh_forward(x)``, then ``tanh_backward(dout, cache)``: (out, <out, dout>, dx)."""
    return _layer(namespace, "tanh", {"x": x}, dout, ("dx",))


def mlp_round_trip(namespace: Mapping[str, Any], params: dict[str, np.ndarray], X: np.ndarray, dout: np.ndarray,
                   activation: str) -> tuple[Any, ...]:
    """``mlp_forward(params, X, activation)``, then ``mlp_backward(dout, caches, activation)``:
    (out, <out, dout>, grads)."""
    student = _Calls(namespace, params=params, X=X, dout=dout)
    out, caches = _pair(student("mlp_forward", params, X, activation=activation), "mlp_forward", "out, caches")
    student.watch("the output of `mlp_forward` (kept in its caches)", out)
    grads = student("mlp_backward", dout, caches, activation=activation)
    return out, _vjp(out, dout), grads


def train_and_score(namespace: Mapping[str, Any], params: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                    X_test: np.ndarray, y_test: np.ndarray, **options: Any) -> tuple[Any, Any, Any]:
    """``train_mlp(params, X, y, **options)``, then the trained network's output on ``X_test`` by
    ``mlp_forward``: (trained params, losses, test outputs). ``y_test`` is for the accuracy check only.

    The test outputs are None when ``train_mlp`` did not return a dict of arrays (its own check says why).
    """
    student = _Calls(namespace, params=params, X=X, y=y)
    trained, losses = _pair(student("train_mlp", params, X, y, **options), "train_mlp", "params, losses")
    if not (isinstance(trained, dict) and all(isinstance(v, np.ndarray) for v in trained.values())):
        return trained, losses, None
    student.watch("the params `train_mlp` returned", trained)
    out, _ = _pair(student("mlp_forward", trained, X_test, activation=options.get("activation", "relu")),
                   "mlp_forward", "out, caches")
    return trained, losses, out
