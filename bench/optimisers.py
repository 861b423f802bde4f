"""Exercise 5's update rules against ``torch.optim``: the same trajectories, and the time per step.

Run from the repository root:  python bench/optimisers.py [--steps 100] [--repeats 5]

The rules are the model solution itself: the solution cells of solutions/ex5_training/ex5_training.ipynb
(``sgd``, ``sgd_momentum``, ``adagrad``, ``rmsprop``, ``adam``), executed here as the notebook would run them
(nbcheck holds no solution). Each is compared with the ``torch.optim`` optimiser that has the same update and
the same hyperparameters (torch's names in brackets):

* ``sgd``           ↔ ``SGD(lr)``
* ``sgd_momentum``  ↔ ``SGD(lr, momentum)`` (dampening 0, not Nesterov: ``v = mu v + g``, ``w -= lr v``)
* ``adagrad``       ↔ ``Adagrad(lr, eps)`` (no lr decay, accumulator starting at 0)
* ``rmsprop``       ↔ ``RMSprop(lr, alpha=decay, eps)`` (not centred, no momentum)
* ``adam``          ↔ ``Adam(lr, betas=(beta1, beta2), eps)`` (not AMSGrad, no weight decay)

on the same float64 arrays, for every rule with its default hyperparameters and with others (an eps large
enough to matter). Two workloads of ``--steps`` steps each, on a (64, 32) parameter array:

1. **fixed gradients**: one random gradient per step, entries from 1e-3 to 10 in size, handed to both: the
   trajectories differ only by the rounding of the arithmetic of one step, accumulated;
2. **a quadratic bowl**: ``L(w) = sum(h * (w - w_star)**2) / 2`` with curvatures ``h`` from 0.1 to 10; each
   implementation takes the gradient ``h * (w - w_star)`` at its own current point, so any difference feeds
   back into the next steps.

The figure of agreement is the largest, over the steps, of ``max|w_ours - w_torch| / max|w_torch|``; the
exercise asks for 1e-12. The time per step is the median over ``--repeats`` runs of the fixed-gradient
workload, for the rule alone (ours: one call ``w, config = rule(w, dw, config)``; torch: setting ``p.grad``
and ``optimizer.step()``), on one thread, for a (64, 32) and a (1000, 1000) array.

torch is not a dependency of the course: ``pip install torch`` (a CPU build) to run this.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import nbformat
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.course_tools import model_answers  # noqa: E402

RULES = ("sgd", "sgd_momentum", "adagrad", "rmsprop", "adam")
# (rule, our config, torch's optimiser class name, its keyword arguments): the defaults, then others.
SETTINGS = [
    ("sgd", {}, "SGD", {"lr": 1e-2}),
    ("sgd", {"lr": 0.3}, "SGD", {"lr": 0.3}),
    ("sgd_momentum", {}, "SGD", {"lr": 1e-2, "momentum": 0.9}),
    ("sgd_momentum", {"lr": 0.05, "momentum": 0.6}, "SGD", {"lr": 0.05, "momentum": 0.6}),
    ("adagrad", {}, "Adagrad", {"lr": 1e-2, "eps": 1e-10}),
    ("adagrad", {"lr": 0.3, "eps": 1e-3}, "Adagrad", {"lr": 0.3, "eps": 1e-3}),
    ("rmsprop", {}, "RMSprop", {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8}),
    ("rmsprop", {"lr": 3e-3, "decay": 0.9, "eps": 1e-3}, "RMSprop", {"lr": 3e-3, "alpha": 0.9, "eps": 1e-3}),
    ("adam", {}, "Adam", {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}),
    ("adam", {"lr": 0.05, "beta1": 0.8, "beta2": 0.99, "eps": 1e-3}, "Adam",
     {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-3}),
]


def model_rules() -> dict:
    """The five update rules of the model solution, run from its solution cells."""
    notebook = REPO / "solutions" / "ex5_training" / "ex5_training.ipynb"
    answers = model_answers(nbformat.read(notebook, as_version=4))
    namespace = {"np": np, "__name__": "ex5_training_solution"}
    for rule in RULES:
        exec(compile(answers[rule], f"<ex5_training:{rule}>", "exec"), namespace)
    return {rule: namespace[rule] for rule in RULES}


def problem(shape: tuple[int, ...], steps: int, seed: int = 0) -> dict[str, np.ndarray]:
    """A starting point, a gradient per step, and a quadratic bowl's minimum and curvatures."""
    rng = np.random.default_rng(seed)
    return {"w": rng.standard_normal(shape),
            "gradients": rng.standard_normal((steps, *shape)) * 10.0 ** rng.uniform(-3.0, 1.0, (steps, *shape)),
            "w_star": rng.standard_normal(shape), "h": 10.0 ** rng.uniform(-1.0, 1.0, shape)}


def ours(rule, config: dict, data: dict, steps: int, bowl: bool) -> np.ndarray:
    """The trajectory (steps + 1, *shape) of one of the exercise's rules."""
    w, path = data["w"], [data["w"]]
    for t in range(steps):
        dw = data["h"] * (w - data["w_star"]) if bowl else data["gradients"][t]
        w, config = rule(w, dw, config)
        path.append(w)
    return np.array(path)


def theirs(torch, name: str, options: dict, data: dict, steps: int, bowl: bool) -> np.ndarray:
    """The trajectory (steps + 1, *shape) of ``torch.optim.<name>(**options)``, in float64."""
    p = torch.tensor(data["w"], dtype=torch.float64, requires_grad=True)
    optimiser = getattr(torch.optim, name)([p], **options)
    w_star, h = torch.from_numpy(data["w_star"]), torch.from_numpy(data["h"])
    path = [p.detach().numpy().copy()]
    for t in range(steps):
        with torch.no_grad():
            p.grad = h * (p - w_star) if bowl else torch.from_numpy(data["gradients"][t]).clone()
        optimiser.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)


def agreement(mine: np.ndarray, reference: np.ndarray) -> float:
    """The largest, over the steps, of max|mine - reference| / max|reference|."""
    axes = tuple(range(1, mine.ndim))
    return float(np.max(np.abs(mine - reference).max(axis=axes) / np.abs(reference).max(axis=axes)))


def compare(torch, rules: dict, steps: int) -> list[tuple[str, str, float, float]]:
    """(rule, settings, agreement on fixed gradients, agreement on the bowl) for every setting."""
    data = problem((64, 32), steps)
    rows = []
    for rule, config, name, options in SETTINGS:
        fixed, bowl = (agreement(ours(rules[rule], config, data, steps, b), theirs(torch, name, options, data, steps, b))
                       for b in (False, True))
        rows.append((rule, str(config or "defaults"), fixed, bowl))
    return rows


def time_per_step(torch, rules: dict, shape: tuple[int, ...], steps: int, repeats: int) -> dict[str, tuple[float, float]]:
    """rule -> (our µs per step, torch's µs per step), medians over ``repeats`` runs of ``steps`` steps."""
    data = problem(shape, steps, seed=1)
    times = {}
    for rule, config, name, options in SETTINGS[::2]:  # the defaults of each rule
        mine, reference = [], []
        for _ in range(repeats):
            w, state = data["w"], dict(config)
            start = time.perf_counter()
            for t in range(steps):
                w, state = rules[rule](w, data["gradients"][t], state)
            mine.append((time.perf_counter() - start) / steps)
            p = torch.tensor(data["w"], dtype=torch.float64, requires_grad=True)
            optimiser = getattr(torch.optim, name)([p], **options)
            grads = [torch.from_numpy(g) for g in data["gradients"]]
            start = time.perf_counter()
            for t in range(steps):
                p.grad = grads[t]
                optimiser.step()
            reference.append((time.perf_counter() - start) / steps)
        times[rule] = (1e6 * statistics.median(mine), 1e6 * statistics.median(reference))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("torch is not installed: pip install torch (a CPU build) to compare with torch.optim.")
    from threadpoolctl import threadpool_limits
    torch.set_num_threads(1)
    rules = model_rules()
    print(f"torch {torch.__version__}, numpy {np.__version__}; {args.steps} steps on a (64, 32) float64 array\n")
    print(f"{'rule':13s} {'settings':56s} {'fixed gradients':>16s} {'quadratic bowl':>15s}")
    worst = 0.0
    for rule, settings, fixed, bowl in compare(torch, rules, args.steps):
        worst = max(worst, fixed, bowl)
        print(f"{rule:13s} {settings:56s} {fixed:16.1e} {bowl:15.1e}")
    print(f"\nlargest relative difference: {worst:.1e} ({'within' if worst <= 1e-12 else 'ABOVE'} the 1e-12 asked)")
    with threadpool_limits(1):
        for shape, steps in [((64, 32), args.steps), ((1000, 1000), 20)]:
            print(f"\ntime per step on a {shape} array, one thread (median of {args.repeats} runs of {steps} steps)")
            print(f"{'rule':13s} {'ours (µs)':>10s} {'torch (µs)':>11s} {'ratio':>6s}")
            for rule, (mine, reference) in time_per_step(torch, rules, shape, steps, args.repeats).items():
                print(f"{rule:13s} {mine:10.1f} {reference:11.1f} {mine / reference:6.2f}")


if __name__ == "__main__":
    main()
