"""Runners for exercise 4 (``ex4_autodiff``): computation graphs built through the student's ``Tensor``.

A test of an autodiff engine has to drive the student's class through many operations: build a
graph, call ``backward()`` once or twice, read every gradient. Each runner here does that where the
student's code runs, in one request (``g.check(..., runner="nbcheck.grading.programs.<name>")``),
from a plain description of the graph, and returns plain data for the judge to compare:

- a graph is a dict of named **leaves** (arrays or numbers, wrapped with ``Tensor``) and a list of
  **steps** ``[name, op, x, y]``: ``x`` and ``y`` name earlier nodes or are plain numbers (a constant on
  either side: ``["2 - a", "sub", 2.0, "a"]`` runs ``2 - a``); for ``pow`` ``y`` is the exponent, for
  ``sum`` and ``mean`` the axis (None for all); unary operations have no ``y``;
- ``actions`` say what happens after the forward pass: ``"backward"`` on the last node, or
  ``["zero_grad", [names]]``.

The runners know nothing of the right answers: they only call the student's ``Tensor``,
``zero_grad``, ``softmax_cross_entropy`` and ``two_layer_net``, found by name in the notebook's
namespace. An exception raised by the student's code is passed on with the step it happened in
added to its message, so that the failure names the operation.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from nbcheck.grading.calls import not_defined_message
from nbcheck.grading.checks import arrays, number
from nbcheck.grading.errors import GradingError

# What the graph runner returns, in the order the judge compares it: the value of every step (the
# first wrong one names the operation at fault), the loss, the gradients of the inner nodes from the
# output back (the first wrong one is an input of the operation whose backward is at fault), then
# the gradients of the leaves.
GRAPH = (arrays("values", {}, "value"), number("loss"), arrays("inner", {}, "grad"), arrays("grads", {}, "grad"))

BINARY = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
          "div": lambda x, y: x / y, "matmul": lambda x, y: x @ y, "pow": lambda x, y: x ** y}
UNARY = ("exp", "log", "relu", "tanh", "sigmoid")

# Why a .backward() call failed, as the judge reads it: 0 it returned, 1 it raised ValueError saying
# why, 2 ValueError without a reason, 3 AssertionError, 4 another exception.
RETURNED, REFUSED, REFUSED_SILENTLY, ASSERTED, OTHER_ERROR = range(5)
REASONS = ("scalar", "size", "shape", "element", "entry", "entries", "single", "number", "dimension",
           "one value", "0-d", "numel")


def _class(namespace: Mapping[str, Any], name: str) -> Any:
    if name not in namespace:
        raise GradingError(not_defined_message(name))
    return namespace[name]


def _add_context(error: BaseException, context: str) -> None:
    """Append ``(context)`` to the message of ``error``, which is then re-raised with its own traceback.

    A KeyError's message is the key itself, so it is left alone."""
    if isinstance(error, KeyError):
        return
    try:
        message = str(error)
    except Exception:  # an exception whose __str__ fails: keep it as it is
        return
    try:
        error.args = (f"{message} (while {context})",)
    except Exception:
        pass


def _guarded(function: Callable[..., Any], context: str, *args: Any) -> Any:
    """function(*args); an exception it raises names `context` (NotImplementedError is passed on as it is)."""
    try:
        return function(*args)
    except NotImplementedError:
        raise
    except Exception as error:
        _add_context(error, context)
        raise


def apply(op: str, x: Any, y: Any = None) -> Any:
    """One operation of a step, on Tensors (or numbers on either side of a binary operator)."""
    if op in BINARY:
        return BINARY[op](x, y)
    if op == "neg":
        return -x
    if op in ("sum", "mean"):
        return getattr(x, op)() if y is None else getattr(x, op)(axis=y)
    if op in UNARY:
        return getattr(x, op)()
    raise ValueError(f"unknown operation {op!r}")


def build(namespace: Mapping[str, Any], leaves: Mapping[str, Any], steps: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """Every node of the graph, leaves first, built with the student's Tensor (leaves are copied first)."""
    tensor = _class(namespace, "Tensor")
    nodes = {name: tensor(np.array(value, copy=True) if isinstance(value, np.ndarray) else value)
             for name, value in leaves.items()}
    for name, op, *args in steps:
        nodes[name] = _guarded(apply, f"computing {name!r}", op, *(nodes[a] if isinstance(a, str) else a for a in args))
    return nodes


ORDINALS = {1: "", 2: " for the second time", 3: " for the third time"}


def _plain(value: Any) -> Any:
    """An array as numpy sees it (a number becomes a 0-d array); its dtype and shape are checked by the judge."""
    return value if isinstance(value, np.ndarray) else np.asarray(value)


def run_graph(namespace: Mapping[str, Any], leaves: Mapping[str, Any], steps: Sequence[Sequence[Any]],
              actions: Sequence[Any] = ("backward",)) -> tuple[dict, Any, dict, dict]:
    """Build the graph, run ``actions`` on its last node, and return (values, loss, inner, grads).

    values: every step's ``.data`` in order; loss: the last node's ``.data``; inner: every step's
    ``.grad`` from the output back (the output's own, the seed, last); grads: every leaf's ``.grad``.
    """
    nodes = build(namespace, leaves, steps)
    output, calls = nodes[steps[-1][0]], 0
    for action in actions:
        if action == "backward":
            calls += 1
            _guarded(output.backward, "running backward()" + ORDINALS.get(calls, f" for time number {calls}"))
        else:
            _, names = action                    # ["zero_grad", [names]]
            zero_grad = _class(namespace, "zero_grad")
            _guarded(zero_grad, f"running zero_grad on {', '.join(names)}", [nodes[n] for n in names])
    names = [step[0] for step in steps]
    return ({name: _plain(nodes[name].data) for name in names}, _plain(output.data),
            {name: _plain(nodes[name].grad) for name in names[-2::-1] + names[-1:]},
            {name: _plain(nodes[name].grad) for name in leaves})


def build_tensor(namespace: Mapping[str, Any], data: Any) -> tuple[Any, np.ndarray, Any]:
    """``Tensor(data)``'s ``.data``, ``.shape`` (as an integer array) and ``.grad``, exactly as stored."""
    t = _class(namespace, "Tensor")(np.array(data, copy=True) if isinstance(data, np.ndarray) else data)
    shape = t.shape
    if not isinstance(shape, tuple) or not all(isinstance(n, (int, np.integer)) for n in shape):
        raise TypeError(f"Tensor.shape should be a tuple of ints, like numpy's .shape, but it is {shape!r}")
    return t.data, np.array(shape, dtype=np.int64).reshape(-1), t.grad


def backward_outcome(namespace: Mapping[str, Any], leaves: Mapping[str, Any], steps: Sequence[Sequence[Any]]) -> int:
    """What ``backward()`` on the graph's last node did: RETURNED, REFUSED (ValueError saying why),
    REFUSED_SILENTLY (ValueError without a reason), ASSERTED (AssertionError) or OTHER_ERROR."""
    output = build(namespace, leaves, steps)[steps[-1][0]]
    try:
        output.backward()
    except NotImplementedError:
        raise
    except ValueError as error:
        message = str(error).lower()
        return REFUSED if any(word in message for word in REASONS) else REFUSED_SILENTLY
    except AssertionError:
        return ASSERTED
    except Exception as error:
        if np.size(output.data) == 1:       # not a refusal: an error of the backward pass, shown as it is
            _add_context(error, "running backward() on a Tensor of size 1")
            raise
        return OTHER_ERROR
    return RETURNED


def _frames() -> int:
    frame, count = sys._getframe(), 0
    while frame is not None:
        frame, count = frame.f_back, count + 1
    return count


def run_chain(namespace: Mapping[str, Any], x: np.ndarray, length: int, scale: float, shift: float) -> tuple[Any, dict]:
    """A chain of ``length`` operations, t = t * scale then t = t + shift in turn, from the leaf x, then
    its ``.sum()``; returns (loss, {"x": x.grad}) after ``backward()``.

    While ``backward()`` runs, Python's recursion limit is held at 1000 frames beyond this call,
    whatever the notebook set it to: the ordering must not use recursion.
    """
    tensor = _class(namespace, "Tensor")
    leaf = tensor(np.array(x, copy=True))
    t = leaf
    for k in range(length):
        t = t * scale if k % 2 == 0 else t + shift
    loss = t.sum()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(_frames() + 1000)
    try:
        _guarded(loss.backward, f"running backward() on a chain of {length + 1} operations")
    finally:
        sys.setrecursionlimit(limit)
    return _plain(loss.data), {"x": _plain(leaf.grad)}


def run_softmax_cross_entropy(namespace: Mapping[str, Any], logits: np.ndarray, y: np.ndarray,
                              scale: float = 1.0) -> tuple[Any, Any]:
    """L = ``softmax_cross_entropy(Tensor(logits), y)``, times ``scale`` unless it is 1 (then the loss's own
    upstream gradient is ``scale``); L's ``.data`` and, after ``L.backward()``, the logits' ``.grad``."""
    leaf = _class(namespace, "Tensor")(np.array(logits, copy=True))
    loss = _class(namespace, "softmax_cross_entropy")(leaf, np.array(y, copy=True))
    if scale != 1.0:
        loss = loss * scale
    loss.backward()
    return _plain(loss.data), _plain(leaf.grad)


def run_two_layer_net(namespace: Mapping[str, Any], params: Mapping[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                      reg: float) -> tuple[Any, dict]:
    """``two_layer_net`` on Tensors made from ``params``; its ``.data`` and, after ``backward()``, each
    parameter's ``.grad``."""
    tensor = _class(namespace, "Tensor")
    tensors = {name: tensor(np.array(value, copy=True)) for name, value in params.items()}
    loss = _class(namespace, "two_layer_net")(tensors, np.array(X, copy=True), np.array(y, copy=True), reg)
    loss.backward()
    return _plain(loss.data), {name: _plain(t.grad) for name, t in tensors.items()}


# Notes the test cells add to a failure whose message contains the trigger.
SHAPES = ("A gradient has its Tensor's shape: sum a broadcast input's gradient back over the axes numpy added in "
          "front and over the axes where the input has size 1 (keepdims=True), and spread the gradient of "
          "x.sum(axis) back over the summed axis with np.expand_dims(g, axis) before broadcasting it.")
RECURSION = ("The ordering must not use recursion: a chain of 10 000 operations is deeper than Python's recursion "
             "limit, and raising the limit only trades the error for a crash. Keep your own stack (a depth-first "
             "search) or count each node's users (Kahn's algorithm), as lecture 4 describes.")
NOTES = [("' and 'Tensor'", "A number on the left of an operator calls the Tensor's reflected method: define "
                            "__radd__, __rsub__, __rmul__ and __rtruediv__ (for c - x and c / x mind the order: "
                            "other - self)."),
         ("non-broadcastable output operand", SHAPES), ("could not be broadcast", SHAPES),
         ("RecursionError", RECURSION),
         ("raised KeyError", "A KeyError in backward() often means that a node came up before any Tensor that uses "
                             "it had passed it a gradient, or came up twice: every node must come after all the "
                             "nodes that use it, and once."),
         ("non-finite entries", "Values or gradients that grow to inf or NaN usually come from a local derivative "
                                "that is wrong and grows along the graph, or from an operation given inputs outside "
                                "its domain (the log or a fractional power of a negative number)."),
         ("matmul: Input operand", "In X @ W, X's gradient is upstream @ W.T (the shape of X) and W's is "
                                   "X.T @ upstream (the shape of W): let the shapes tell you where the transposes go.")]
SHAPE_NOTES = [("but should have shape", SHAPES + " And .sum(axis) and .mean(axis) remove that axis from the value, as "
                                                  "numpy's do.")]
NET_NOTES = [("grads['", "When the loss is right but a gradient is not, the gradients come from your engine: make the "
                         "tests of Parts A and B (+, *, @, .sum(), .relu(), the order, the accumulation) and of "
                         "softmax_cross_entropy pass first.")]
