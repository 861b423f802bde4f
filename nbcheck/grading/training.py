"""The checks of exercise 5 (training in practice) that ``g.check`` cannot express alone.

Two kinds, both holding no solution code:

- **runners** (``g.check(..., runner="nbcheck.grading.training.<name>")``) run where the student's code
  runs and drive it through several steps in one request: :func:`sgd`, :func:`sgd_momentum`,
  :func:`adagrad`, :func:`rmsprop` and :func:`adam` take consecutive steps of the student's update rule
  of the same name, feeding back the config it returns; :func:`train` runs the student's training loop
  with nbcheck's fixture loss, update rule and schedule (:mod:`nbcheck.grading.fixtures`). What they
  return is the student's results, reshaped into plain data for ``g.check`` to compare with the answer.
- **judge-side checks** (:func:`check`) for answers whose right values depend on the student's own random
  draws, so that no reference can hold them, or whose mistakes need the student's result to be named:
  ``minibatches`` (a partition of range(N), then the contract's exact one), ``dropout_forward`` and
  ``dropout_backward`` (the mask's statistics, the same mask forward and backward, the identity at test time,
  the gradient with nbcheck's checker). They call the student's functions through :func:`~nbcheck.grading.student_function` and
  compute every statistic in the process that runs the test cell (the judge, during autograde), from
  the arrays the student's code returned.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from nbcheck.grading import fixtures
from nbcheck.grading.calls import not_defined_message, student_function, type_name
from nbcheck.grading.cases import Case, hidden_cases, visible_cases
from nbcheck.grading.checks import passed
from nbcheck.grading.errors import GradingError
from nbcheck.grading.values import as_array, unpack

# --------------------------------------------------------------------------- runners (student's kernel)


def _student(namespace: Mapping[str, Any], name: str) -> Callable[..., Any]:
    if name not in namespace:
        raise GradingError(not_defined_message(name))
    return namespace[name]


def _steps(namespace: Mapping[str, Any], rule: str, w: Any, dw_per_step: np.ndarray, config: Any) -> Any:
    """``len(dw_per_step)`` consecutive steps ``w, config = rule(w, dw_per_step[k], config)``, each given what the
    previous one returned.

    Returns ({"step 1": w after step 1, ...}, the last config, its numbers as 0-d float64 arrays), or, as
    soon as a call returns something else than a pair, that value itself (the check then says what is wrong).
    The first call gets this runner's own ``w``, ``dw_per_step[0]`` and ``config``, so changing them in place shows.
    """
    update = _student(namespace, rule)
    trajectory = {}
    for step, gradient in enumerate(dw_per_step, start=1):
        result = update(w, gradient, config)
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            return result
        w, config = result
        trajectory[f"step {step}"] = np.array(w, copy=True) if isinstance(w, np.ndarray) else w
        if not isinstance(config, dict):
            break
    return trajectory, _numbers_as_arrays(config)


def _numbers_as_arrays(config: Any) -> Any:
    """The config with each real number (the step counter t, say) as a 0-d float64 array, as checks read them."""
    if not isinstance(config, dict):
        return config
    return {key: np.asarray(value, dtype=np.float64)
            if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) else value
            for key, value in config.items()}


def sgd(namespace: dict, w: np.ndarray, dw_per_step: np.ndarray, config: dict) -> Any:
    """Consecutive steps of the student's ``sgd`` (see :func:`_steps`)."""
    return _steps(namespace, "sgd", w, dw_per_step, config)


def sgd_momentum(namespace: dict, w: np.ndarray, dw_per_step: np.ndarray, config: dict) -> Any:
    """Consecutive steps of the student's ``sgd_momentum`` (see :func:`_steps`)."""
    return _steps(namespace, "sgd_momentum", w, dw_per_step, config)


def adagrad(namespace: dict, w: np.ndarray, dw_per_step: np.ndarray, config: dict) -> Any:
    """Consecutive steps of the student's ``adagrad`` (see :func:`_steps`)."""
    return _steps(namespace, "adagrad", w, dw_per_step, config)


def rmsprop(namespace: dict, w: np.ndarray, dw_per_step: np.ndarray, config: dict) -> Any:
    """Consecutive steps of the student's ``rmsprop`` (see :func:`_steps`)."""
    return _steps(namespace, "rmsprop", w, dw_per_step, config)


def adam(namespace: dict, w: np.ndarray, dw_per_step: np.ndarray, config: dict) -> Any:
    """Consecutive steps of the student's ``adam`` (see :func:`_steps`)."""
    return _steps(namespace, "adam", w, dw_per_step, config)


def train(namespace: dict, params: dict, data: list, loss_fn: str, update: str, config: dict,
          epochs: int, batch_size: int, schedule: list | None = None, patience: int | None = None,
          clip: float | None = None, seed: int = 0) -> Any:
    """The student's ``train`` with nbcheck's fixtures: ``loss_fn`` and ``update`` name functions of
    :mod:`nbcheck.grading.fixtures`, and ``schedule`` is a list of learning rates, one per epoch.

    Returns (best_params, history) with each history list as a 1-D float64 array, or, when ``train``
    returns something else than a pair, that value itself.
    """
    result = _student(namespace, "train")(
        params, data, getattr(fixtures, loss_fn), getattr(fixtures, update), config, epochs, batch_size,
        schedule=None if schedule is None else fixtures.table_schedule(schedule), patience=patience, clip=clip,
        seed=seed)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        return result
    best_params, history = result
    if isinstance(history, dict):
        history = {key: _as_vector(values) for key, values in history.items()}
    return best_params, history


def _as_vector(values: Any) -> Any:
    """A list of numbers as a 1-D float64 array; anything else unchanged (the check then says what it is)."""
    if not isinstance(values, (list, tuple)):
        return values
    try:
        vector = np.array([np.asarray(v).item() if np.size(v) == 1 else v for v in values], dtype=np.float64)
    except (TypeError, ValueError):
        return values
    return vector if vector.ndim == 1 else values


# --------------------------------------------------------------------------- judge-side checks


def _each_case(exercise: str, name: str, namespace: Mapping[str, Any], check_case: Callable[[Case], None]) -> str:
    """Run ``check_case`` on the visible cases of ``name`` and, where its answer key is registered in
    ``namespace``, the hidden ones; print the pass line. Returns the student's function name."""
    function, cases = visible_cases(exercise, name)
    hidden = hidden_cases(namespace, exercise, name)
    for case in cases + hidden:
        check_case(case)
    print(passed(function, len(cases), len(hidden)))
    return function


def check(exercise: str, name: str) -> None:
    """Check the student's function of ``name`` on its visible cases and, where the answer key is registered in
    the caller's namespace, its hidden ones; raise :class:`GradingError` at the first failure.

    ``name`` is one of:

    - ``"minibatches"``: the batches are a partition of range(N) (no example repeated or left out), in
      consecutive batches of batch_size with a smaller last one, shuffled, and exactly the answer's;
    - ``"dropout_forward"``: in training every unit is 0 or x / keep_prob, the mean of out / x is 1 within
      sampling noise, one draw per entry, the same mask for the same seed and another for another seed; at test
      time out is x;
    - ``"dropout_backward"``: dx = dout × mask / keep_prob with the mask of the forward pass that made the cache,
      dx = dout after a test-time forward pass, and nbcheck's gradient checker on the pair (the seed fixed).
    """
    checks = {"minibatches": _check_partition, "dropout_forward": _check_forward, "dropout_backward": _check_backward}
    _each_case(exercise, name, sys._getframe(1).f_globals, checks[name])


def _check_partition(case: Case) -> None:
    N, label = case.inputs["N"], case.label
    result = student_function("minibatches")(**case.inputs)
    if not isinstance(result, (list, tuple)):
        raise GradingError(f"`minibatches` ({label}) should return a list of index arrays, one per batch, but it "
                           f"returned a {type_name(result)}.")
    batches = [as_array(batch, f"batch {i} ({label})", kind="int") for i, batch in enumerate(result)]
    for i, batch in enumerate(batches):
        if batch.ndim != 1:
            raise GradingError(f"batch {i} ({label}) has shape {batch.shape}: each batch should be a 1-D array of "
                               "example indices.")
    every = np.concatenate(batches) if batches else np.zeros(0, dtype=np.int64)
    outside = every[(every < 0) | (every >= N)]
    if outside.size:
        raise GradingError(f"the batches ({label}) hold the index {int(outside[0])}, which is not an example: indices "
                           f"run over range(N) = range({N}).")
    counts = np.bincount(every, minlength=N)
    repeated, missing = np.flatnonzero(counts > 1), np.flatnonzero(counts == 0)
    if repeated.size:
        where = [i for i, batch in enumerate(batches) if repeated[0] in batch]
        raise GradingError(f"the batches ({label}) repeat examples: example {int(repeated[0])} is in batches {where} "
                           f"({repeated.size} examples are used more than once, {missing.size} never). An epoch uses "
                           "every example exactly once: shuffle range(N) once (a permutation) and cut it into "
                           "consecutive slices; do not draw indices with replacement.",
                           cause="the batches repeat examples (drawn with replacement)")
    if missing.size:
        raise GradingError(f"the batches ({label}) leave out examples {_some(missing)}: an epoch uses every example "
                           "exactly once, so keep the last batch even when it holds fewer than batch_size examples.",
                           cause="the batches leave out examples (the last, smaller batch dropped)")
    sizes, expected = [len(batch) for batch in batches], case.answer.outputs["batches"]
    if sizes != [len(batch) for batch in expected]:
        raise GradingError(f"the batch sizes ({label}) are {_some(sizes)}; expected {_some([len(b) for b in expected])}: "
                           "consecutive batches of batch_size examples, the last one holding what is left.")
    if N > 2 and np.array_equal(every, np.arange(N)):
        raise GradingError(f"the batches ({label}) are not shuffled: they hold the examples in their order 0, 1, 2, "
                           "... Shuffle first: order = np.random.default_rng(seed).permutation(N).",
                           cause="the batches are not shuffled")
    for i, (batch, right) in enumerate(zip(batches, expected)):
        if not np.array_equal(batch, right):
            raise GradingError(f"batch {i} ({label}) is {_some(batch)}, expected {_some(right)}. Your batches are a "
                               "shuffled partition, but not the one the contract asks for: rng = "
                               "np.random.default_rng(seed), order = rng.permutation(N), then consecutive slices "
                               "order[start:start + batch_size] (the tests of train rely on these exact batches).",
                               cause="a shuffled partition, but not the contract's")


def _some(values: Any, limit: int = 8) -> str:
    values = [int(v) for v in values]
    return str(values) if len(values) <= limit else str(values[:limit])[:-1] + ", ...]"


def _forward(forward: Callable[..., Any], x: np.ndarray, keep_prob: float, train: bool, seed: int,
             label: str) -> tuple[np.ndarray, Any]:
    out, cache = unpack(forward(x, keep_prob, train, seed), ("out", "cache"), "dropout_forward")
    mode = "train=True" if train else "train=False"
    return as_array(out, f"out ({label}, {mode})", shape=x.shape), cache


def _check_forward(case: Case) -> None:
    forward = student_function("dropout_forward")
    x, keep_prob, seed, label = case.inputs["x"], case.inputs["keep_prob"], case.inputs["seed"], case.label
    out, _ = _forward(forward, x, keep_prob, True, seed, label)
    _check_training_output(out, x, keep_prob, label)
    again, _ = _forward(forward, x, keep_prob, True, seed, label)
    if not np.array_equal(again, out):
        raise GradingError(f"dropout_forward ({label}) drops other units when called again with the same seed: draw "
                           "the mask from np.random.default_rng(seed), not from np.random's global state, so that "
                           "the same seed gives the same mask (the backward pass and the gradient check rely on it).",
                           cause="the mask ignores the seed (np.random's global state)")
    other, _ = _forward(forward, x, keep_prob, True, seed + 1, label)
    if np.array_equal(other != 0, out != 0):
        raise GradingError(f"dropout_forward ({label}) drops the same units for seed {seed} and seed {seed + 1}: "
                           "draw the mask from np.random.default_rng(seed).", cause="the same mask for every seed")
    tested, _ = _forward(forward, x, keep_prob, False, seed, label)
    _check_test_output(tested, x, keep_prob, label)


def _check_training_output(out: np.ndarray, x: np.ndarray, keep_prob: float, label: str) -> None:
    where = f"out ({label}, train=True)"
    ratio = out / x                                  # the inputs have no zeros: 0 (dropped) or the scale (kept)
    kept = ratio != 0
    if not kept.any():
        raise GradingError(f"{where} is zero everywhere: dropout keeps each unit with probability keep_prob = "
                           f"{keep_prob:g}.")
    scales = ratio[kept]
    if not np.allclose(scales, 1.0 / keep_prob, rtol=1e-12, atol=0.0):  # one division by keep_prob, nothing else
        for factor, why in [(1.0, "the kept units are not rescaled: inverted dropout divides them by keep_prob "
                                   "in training, so that the expected output is x"),
                            (keep_prob, "the kept units are multiplied by keep_prob: inverted dropout divides them "
                                        "by keep_prob in training"),
                            (1.0 / (1.0 - keep_prob), "the kept units are divided by 1 - keep_prob: divide by "
                                                      "keep_prob, the probability of keeping a unit")]:
            if np.allclose(scales, factor, rtol=1e-12, atol=0.0):
                raise GradingError(f"{where} is wrong: {why}.")
        odd = scales[np.argmax(np.abs(scales - 1.0 / keep_prob))]
        raise GradingError(f"{where} is wrong: every entry should be 0 (dropped) or x / keep_prob = x × "
                           f"{1.0 / keep_prob:.6g} (kept), but some are x × {odd:.6g}.")
    n, fraction = x.size, float(kept.mean())
    # 5 standard deviations of the mean of n Bernoulli(keep_prob) draws: a right mask fails once in a few million.
    tolerance = 5.0 * math.sqrt(keep_prob * (1.0 - keep_prob) / n) / keep_prob
    mean_ratio = float(ratio.mean())
    if abs(mean_ratio - 1.0) > tolerance:
        if abs(fraction - (1.0 - keep_prob)) < abs(fraction - keep_prob):
            why = ("it keeps each unit with probability 1 - keep_prob: keep_prob is the probability of keeping a unit, "
                   "so keep it where rng.random(x.shape) < keep_prob")
        else:
            why = f"it keeps {fraction:.1%} of the units; each should be kept with probability keep_prob = {keep_prob:g}"
        raise GradingError(f"{where} does not preserve the mean: the mean of out / x over its {n} units is "
                           f"{mean_ratio:.4f}, but should be 1 within {tolerance:.3f} (sampling noise): {why}.",
                           cause="kept units not rescaled by 1 / keep_prob")
    for axis, what in [(0, "every example (row)"), (1, "every unit of an example (column)")][:x.ndim]:
        if x.shape[axis] > 1 and np.all(kept == kept.take([0], axis=axis)):
            raise GradingError(f"{where} drops the same units in {what}: draw the mask with the shape of x, one draw "
                               "per entry (rng.random(x.shape) < keep_prob).",
                               cause="one mask shared across examples or units")


def _check_test_output(tested: np.ndarray, x: np.ndarray, keep_prob: float, label: str) -> None:
    where = f"out ({label}, train=False)"
    if np.array_equal(tested, x):
        return
    for factor, why in [(keep_prob, "it is x × keep_prob: with inverted dropout the scaling happens in training, "
                                    "and at test time the output is x unchanged"),
                        (1.0 / keep_prob, "it is x / keep_prob: the rescaling belongs to training only; at test time "
                                          "the output is x unchanged")]:
        if np.allclose(tested, factor * x, rtol=1e-12, atol=0.0):
            raise GradingError(f"{where} is wrong: {why}.")
    if np.any((tested == 0) & (x != 0)):
        raise GradingError(f"{where} drops units: at test time (train=False) dropout keeps every unit, out = x.",
        cause="units dropped at test time")
    raise GradingError(f"{where} is wrong: at test time dropout is the identity, out = x exactly.")


def _check_backward(case: Case) -> None:
    forward, backward = student_function("dropout_forward"), student_function("dropout_backward")
    x, keep_prob, seed, dout = (case.inputs[k] for k in ("x", "keep_prob", "seed", "dout"))
    label = case.label
    out, cache = _forward(forward, x, keep_prob, True, seed, label)
    dx = as_array(backward(dout, cache), f"dx ({label}, after train=True)", shape=x.shape)
    kept = out != 0
    expected = np.where(kept, dout / keep_prob, 0.0)
    if not np.allclose(dx, expected, rtol=1e-12, atol=0.0):  # one multiplication and one division per entry
        raise GradingError(f"dx ({label}, after train=True) is wrong: {_backward_mistake(dx, dout, kept, keep_prob)}")
    _, test_cache = _forward(forward, x, keep_prob, False, seed, label)
    dx_test = as_array(backward(dout, test_cache), f"dx ({label}, after train=False)", shape=x.shape)
    if not np.allclose(dx_test, dout, rtol=1e-12, atol=0.0):
        raise GradingError(f"dx ({label}, after train=False) is wrong: after a test-time forward pass (the identity) "
                           "the gradient passes unchanged, dx = dout. Keep train (or the mode) in the cache.",
                           cause="the test-time backward pass is not the identity")
    _check_gradient(forward, backward, x, keep_prob, seed, dout, label)


def _backward_mistake(dx: np.ndarray, dout: np.ndarray, kept: np.ndarray, keep_prob: float) -> str:
    """What a wrong dx most likely did, from the mask of the forward pass."""
    if np.allclose(dx, dout, rtol=1e-12, atol=0.0):
        return "it equals dout: the gradient must go through the mask, dx = dout × mask / keep_prob."
    if not np.array_equal(dx != 0, kept & (dout != 0)):
        return ("it is zero for other units than the ones the forward pass dropped: use the forward pass's mask, "
                "kept in the cache, instead of drawing a new one.")
    for factor, why in [(1.0, "it is not rescaled: the kept units' gradient is dout / keep_prob, like the forward "
                              "pass's output"),
                        (keep_prob, "it is multiplied by keep_prob: the kept units' gradient is dout / keep_prob")]:
        if np.allclose(dx, np.where(kept, factor * dout, 0.0), rtol=1e-12, atol=0.0):
            return why + "."
    return "dx should be dout × mask / keep_prob, with the mask of the forward pass that made the cache."


def _check_gradient(forward: Callable[..., Any], backward: Callable[..., Any], x: np.ndarray, keep_prob: float,
                    seed: int, dout: np.ndarray, label: str) -> None:
    """nbcheck's gradient checker on L(x) = sum(out * dout), with dropout_backward(dout, cache) as dL/dx."""
    from nbcheck.gradcheck import check_grad

    first, second = (_forward(forward, x, keep_prob, True, seed, label)[0] for _ in range(2))
    if not np.array_equal(first, second):
        raise GradingError(f"dropout_forward ({label}) drops other units when called again with the same seed, so "
                           "its gradient cannot be checked: draw the mask from np.random.default_rng(seed).")

    def loss_and_gradient(point: Mapping[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
        out, cache = _forward(forward, point["x"], keep_prob, True, seed, label)
        return float(np.sum(out * dout)), {"x": backward(dout, cache)}

    report = check_grad(loss_and_gradient, {"x": x})
    if report.status == "fail":
        raise GradingError(f"({label}) the gradient checker (your dropout_backward against central differences of "
                           f"your dropout_forward with seed {seed}) says: {report}")
