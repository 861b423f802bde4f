"""What exercise 4's autodiff engine costs, against a hand-written backward pass and scalar nodes.

Run from the repository root:  python bench/autodiff.py [--repeats R]

The engine is the model solution itself: the solution cells of solutions/ex4_autodiff/ex4_autodiff.ipynb
(`Tensor`, `zero_grad`, `softmax_cross_entropy`, `two_layer_net`) are executed here, as a student's
notebook would run them (nbcheck holds no solution). The workload is exercise 2's network on the lecture's
spiral: X (300, 2), 100 hidden ReLU units, 3 classes, reg 1e-3, one forward and one backward pass. In one run:

* **hand-written**: exercise 2's model `two_layer_loss` (its solution cell, executed the same way): numpy
  for the forward pass and the backward pass derived by hand. Target: the engine at most 4x slower;
* **scalar nodes**: the same network on micrograd-style nodes, one Python object per number (a `Value`
  with `+`, `*`, relu, exp, log and an iterative topological sort, written here after micrograd's
  engine). Target: the engine at least 100x faster;
* **a deep chain**: `backward()` on a chain of 10 000 operations (t = t * 0.999 and t = t + 0.001 in
  turn, from a (3,) leaf). Target: at most 0.5 s.

The three gradients are compared before anything is timed. Times are medians over ``--repeats`` runs (the
scalar nodes are run 3 times: one pass takes seconds). The machine's load average is printed: other
processes on the 2 cores inflate every figure.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

import nbformat
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
import nbcheck  # noqa: E402
from tests.course_tools import model_answers  # noqa: E402


def solution_cells(assignment: str, cells: list[str]) -> dict:
    """The namespace after running the model answers of ``cells`` (grade_ids) of ``assignment``."""
    answers = model_answers(nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4))
    namespace = {"np": np, "__name__": f"{assignment}_solution"}
    for grade_id in cells:
        exec(compile(answers[grade_id], f"<{assignment}:{grade_id}>", "exec"), namespace)
    return namespace


# ---------------------------------------------------------------- micrograd-style scalar nodes

class Value:
    """One number of a computation graph, after micrograd's engine (the sort made iterative)."""

    __slots__ = ("data", "grad", "_parents", "_backward")

    def __init__(self, data, parents=()):
        self.data, self.grad, self._parents, self._backward = float(data), 0.0, parents, None

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = backward
        return out

    __radd__ = __add__

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = backward
        return out

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other)

    def relu(self):
        out = Value(self.data if self.data > 0 else 0.0, (self,))

        def backward():
            self.grad += (out.data > 0) * out.grad
        out._backward = backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,))

        def backward():
            self.grad += out.data * out.grad
        out._backward = backward
        return out

    def log(self):
        out = Value(math.log(self.data), (self,))

        def backward():
            self.grad += out.grad / self.data
        out._backward = backward
        return out

    def backward(self):
        order, visited, stack = [], {id(self)}, [(self, iter(self._parents))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if id(parent) not in visited:
                    visited.add(id(parent))
                    stack.append((parent, iter(parent._parents)))
                    break
            else:
                stack.pop()
                order.append(node)
        self.grad = 1.0
        for node in reversed(order):
            if node._backward is not None:
                node._backward()


def scalar_net(params: dict, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, dict]:
    """Exercise 2's loss and gradients on scalar nodes: one forward and one backward pass."""
    W1 = [[Value(v) for v in row] for row in params["W1"]]
    b1 = [Value(v) for v in params["b1"]]
    W2 = [[Value(v) for v in row] for row in params["W2"]]
    b2 = [Value(v) for v in params["b2"]]
    D, H, K = len(W1), len(b1), len(b2)
    losses = []
    for x, label in zip(X.tolist(), y.tolist()):
        hidden = [sum((W1[d][j] * x[d] for d in range(D)), b1[j]).relu() for j in range(H)]
        scores = [sum((hidden[j] * W2[j][k] for j in range(H)), b2[k]) for k in range(K)]
        top = max(s.data for s in scores)                       # a constant shift: the loss does not change
        log_norm = sum((s - top).exp() for s in scores).log() + top
        losses.append(log_norm - scores[label])
    penalty = sum(w * w for row in W1 + W2 for w in row)
    loss = sum(losses) * (1.0 / len(losses)) + penalty * (0.5 * reg)
    loss.backward()
    grads = {"W1": np.array([[w.grad for w in row] for row in W1]), "b1": np.array([b.grad for b in b1]),
             "W2": np.array([[w.grad for w in row] for row in W2]), "b2": np.array([b.grad for b in b2])}
    return loss.data, grads


# ---------------------------------------------------------------- measurements

def median_seconds(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=200, help="runs per timing of the numpy versions")
    args = parser.parse_args()

    engine = solution_cells("ex4_autodiff", ["tensor_class", "zero_grad", "softmax_cross_entropy", "two_layer_net"])
    by_hand = solution_cells("ex2_two_layer", ["init_two_layer", "two_layer_loss"])
    Tensor, zero_grad, two_layer_net = engine["Tensor"], engine["zero_grad"], engine["two_layer_net"]

    X, y = nbcheck.make_spiral(n_per_class=100, n_classes=3, seed=0)
    params = by_hand["init_two_layer"](2, 100, 3, std=1.0, seed=0)   # std 1: about half the units active
    reg = 1e-3
    tensors = {name: Tensor(value) for name, value in params.items()}

    def engine_pass() -> float:
        loss = two_layer_net(tensors, X, y, reg)
        loss.backward()
        value = float(loss.data)
        zero_grad(tensors.values())
        return value

    def hand_pass() -> float:
        return by_hand["two_layer_loss"](params, X, y, reg)[0]

    # The three agree before anything is timed.
    loss_hand, grads_hand = by_hand["two_layer_loss"](params, X, y, reg)
    loss_engine = two_layer_net(tensors, X, y, reg)
    loss_engine.backward()
    grads_engine = {name: t.grad.copy() for name, t in tensors.items()}
    zero_grad(tensors.values())
    start = time.perf_counter()
    loss_scalar, grads_scalar = scalar_net(params, X, y, reg)
    first_scalar = time.perf_counter() - start
    for name, grads in (("engine", grads_engine), ("scalar nodes", grads_scalar)):
        gap = max(float(np.max(np.abs(grads[k] - grads_hand[k]))) for k in grads_hand)
        print(f"{name:13s}: loss {float(loss_engine.data if name == 'engine' else loss_scalar):.12f} "
              f"(hand-written {loss_hand:.12f}), largest gradient difference {gap:.1e}")
        assert gap < 1e-10, f"{name} disagrees with the hand-written gradients"

    for _ in range(20):                                                   # warm up
        engine_pass()
        hand_pass()
    t_engine = median_seconds(engine_pass, args.repeats)
    t_hand = median_seconds(hand_pass, args.repeats)
    t_scalar = statistics.median([first_scalar] + [median_seconds(lambda: scalar_net(params, X, y, reg), 1)
                                                   for _ in range(2)])

    x = Tensor(np.array([0.5, -1.0, 2.0]))
    chain_builds, chain_backwards = [], []
    for _ in range(5):
        start = time.perf_counter()
        t = x
        for k in range(10_000):
            t = t * 0.999 if k % 2 == 0 else t + 0.001
        loss = t.sum()
        built = time.perf_counter()
        loss.backward()
        chain_backwards.append(time.perf_counter() - built)
        chain_builds.append(built - start)
    t_chain = statistics.median(chain_backwards)

    print(f"\npython {sys.version.split()[0]}, numpy {np.__version__}, load average "
          f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"one forward and backward pass of exercise 2's net, spiral 300 x 2, 100 hidden units (median of "
          f"{args.repeats}):")
    print(f"  hand-written (exercise 2)  {t_hand * 1e3:9.3f} ms")
    print(f"  engine (exercise 4)        {t_engine * 1e3:9.3f} ms   {t_engine / t_hand:5.2f}x the hand-written "
          f"(target <= 4x): {'ok' if t_engine <= 4 * t_hand else 'MISSED'}")
    print(f"  scalar nodes (micrograd)   {t_scalar * 1e3:9.1f} ms   the engine is {t_scalar / t_engine:,.0f}x faster "
          f"(target >= 100x): {'ok' if t_scalar >= 100 * t_engine else 'MISSED'}")
    print(f"a chain of 10 000 operations (median of 5): built in {statistics.median(chain_builds) * 1e3:.0f} ms, "
          f"backward() in {t_chain * 1e3:.0f} ms (target <= 500 ms): {'ok' if t_chain <= 0.5 else 'MISSED'}")


if __name__ == "__main__":
    main()
