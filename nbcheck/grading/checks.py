"""The kinds of check a test cell asks for, each written once.

A test cell says what it checks in a comment and calls :func:`check` once: the student's function
runs on every visible case (fixed inputs, answered in ``nbcheck/cases/<exercise>.json``) and, where
the exercise's answer key is registered (in the judge, in the instructor's notebook), on every hidden
case it draws. Each returned value is read as its :class:`Output` says (type, dtype, shape,
finiteness) and compared with the answer; a failure names the quantity and the case, and, when the
value equals a known mistake's, the mistake. Options add what some checks need:

- ``gradients``: the returned gradients against central differences (:class:`Gradients`);
- ``no_loops``: the function, and every notebook function it calls, contains no Python loop;
- ``depends_on``: when a check fails and a function it builds on fails its own visible cases, say so;
- ``trains``: the function trains a model; non-finite results are reported as divergence;
- ``accuracy``: a model's accuracy must lie in the range the answer gives.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nbcheck.gradcheck import check_grad
from nbcheck.grading import calls, contracts
from nbcheck.grading.cases import Case, hidden_cases, visible_cases
from nbcheck.grading.errors import GradingError
from nbcheck.grading.values import as_array, as_scalar, assert_close

ROUNDING_HINT = (" Yours is off by a relative {gap:.1g} only: compute in float64 throughout (no float32, no "
                 "rounding), and keep any epsilon you add (such as np.log(p + eps)) at most 1e-8.")


@dataclass(frozen=True)
class Output:
    """How to read one value the student's function returns.

    Attributes:
        name: its name in the answer (e.g. "dW").
        kind: "number", "array" (float64), "ints", "probabilities" (rows summing to 1), "losses"
            (a list or 1-D array of numbers, the loss before each step) or "arrays" (a dict of
            float64 arrays).
        shape: how the messages name its shape, e.g. "(D, K)"; for "arrays", one per key.
        label: how the messages name it; "{case}" is replaced by the case's label (default: the
            name, "the loss" for "loss", and for a function with one output the case label itself).
        keys: for "arrays", the keys to compare, in this order (default: the answer's).
    """

    name: str
    kind: str = "array"
    shape: str | Mapping[str, str] = ""
    label: str = ""
    keys: tuple[str, ...] = ()


def number(name: str, label: str = "") -> Output:
    return Output(name, "number", label=label)


def array(name: str, shape: str = "", label: str = "") -> Output:
    return Output(name, "array", shape, label)


def ints(name: str, shape: str = "", label: str = "") -> Output:
    return Output(name, "ints", shape, label)


def probabilities(name: str, shape: str = "", label: str = "") -> Output:
    return Output(name, "probabilities", shape, label)


def losses(name: str = "losses") -> Output:
    return Output(name, "losses")


def arrays(name: str, shapes: Mapping[str, str], label: str = "", keys: Sequence[str] = ()) -> Output:
    return Output(name, "arrays", dict(shapes), label, tuple(keys))


@dataclass(frozen=True)
class Gradients:
    """Returned gradients, seen through nbcheck's gradient checker (:func:`check_grad`).

    When a gradient differs from the answer, the checker explains how (with the answer's loss on
    hidden cases, and with the student's own loss on visible ones when that loss is right): a
    factor, the regularisation, a transpose, part of the batch, one example, a location.

    Attributes:
        params: input name -> output name of its gradient (``{"W": "dW", "b": "db"}``), or the
            name of a dict input and of the dict output keyed like it (``("params", "grads")``).
        check: also check, after the values passed: "own" (against the student's own loss, on the
            visible cases: a failure means that the loss and the gradient disagree), "answer"
            (against the answer's loss, on the hidden cases) or None.
        batch, reg: the input holding the examples (its length is N) and the regularisation strength.
        regularized: the parameters the penalty covers.
    """

    params: Mapping[str, str] | tuple[str, str]
    check: str | None = "own"
    batch: str = "X"
    reg: str | None = "reg"
    regularized: tuple[str, ...] | None = None

    def pairs(self, answer: Mapping[str, Any]) -> dict[str, tuple[str, str | None]]:
        """parameter name -> (output name, key within a dict output or None), for a case whose right
        outputs are ``answer``."""
        if isinstance(self.params, tuple):
            output = self.params[1]
            return {key: (output, key) for key in answer[output]}
        return {name: (grad, None) for name, grad in self.params.items()}


@dataclass
class Check:
    """Everything :func:`check` was asked to do; see its arguments."""

    exercise: str
    name: str
    function: str
    returns: tuple[Output, ...]
    compare: tuple[str, ...]
    rtol: float
    atol: float
    hints: Mapping[str, str]
    notes: tuple[tuple[str, str], ...]
    depends_on: tuple[str, ...]
    no_loops: bool
    gradients: Gradients | None
    trains: str
    accuracy: Callable[..., float] | None
    time_limit: float | None
    call: Callable[..., Any] = field(init=False)


def check(exercise: str, name: str, returns: Output | Sequence[Output], *, function: str | None = None,
          compare: Sequence[str] | None = None, rtol: float = 1e-8, atol: float = 1e-10,
          hints: Mapping[str, str] | None = None, notes: Iterable[tuple[str, str]] = (),
          depends_on: Sequence[str] = (), no_loops: bool = False, gradients: Gradients | None = None,
          trains: str = "", accuracy: Callable[..., float] | None = None,
          time_limit: float | None = calls.DEFAULT_TIME_LIMIT, runner: str | None = None) -> None:
    """Check the student's ``function`` on the visible cases of ``name`` and, where its answer key is
    registered, on the hidden ones; raise :class:`GradingError` at the first failure.

    Args:
        exercise, name: which cases: ``nbcheck/cases/<exercise>.json``'s ``name``, and the answer key
            registered under (exercise, name).
        returns: what the function returns: one :class:`Output`, or several (a tuple, in order).
        function: the student's function (default: the one the answer key names).
        compare: the outputs to compare, in this order (default: all); "losses[0]" and
            "losses[-1]" name the first and last loss of a "losses" output.
        rtol, atol: the tolerance of every comparison (an answer may widen atol per output).
        hints: an entry of ``compare`` (or a key of an "arrays" output) -> a sentence added when
            that value is wrong.
        notes: (trigger, sentence): the sentence is added to any failure whose message contains
            the trigger ("" for every failure).
        depends_on: checks of functions this one may call; a failure then says which fail too.
        no_loops: the function must contain no Python loop (nor any notebook function it calls).
        gradients: also check the returned gradients (see :class:`Gradients`).
        trains: the name of the test that must pass before training can work, for a function that
            trains a model: NaN or inf in its results is then reported as divergence.
        accuracy: ``accuracy(**inputs, **outputs) -> float``, checked against the range each case's
            answer gives.
        time_limit: seconds for each call.
        runner: instead of calling ``function`` directly, run nbcheck's ``runner`` (a dotted path) where
            the student's code runs, with the case's inputs (see :func:`~nbcheck.grading.kernel_runner`):
            for checks that drive a class through many operations.
    """
    outputs = tuple(returns) if isinstance(returns, Sequence) else (returns,)
    shipped_function, cases = visible_cases(exercise, name)
    spec = Check(exercise, name, function or shipped_function, outputs, tuple(compare or [o.name for o in outputs]),
                 rtol, atol, dict(hints or {}), tuple(notes), tuple(depends_on), no_loops, gradients, trains,
                 accuracy, time_limit)
    hidden = hidden_cases(sys._getframe(1).f_globals, exercise, name)
    spec.call = (calls.kernel_runner(runner, label=spec.function, time_limit=time_limit) if runner
                 else calls.student_function(spec.function, time_limit=time_limit))
    if no_loops:
        _fail(spec, None, contracts.loops_in(spec.function))
    for case in cases + hidden:
        try:
            _check_case(spec, case)
        except GradingError as failure:
            raise GradingError(_with_notes(spec, str(failure), case), cause=failure.cause) from None
    print(passed(spec.function, len(cases), len(hidden)))


def passed(function: str, visible: int, hidden: int) -> str:
    """"softmax: the 2 visible checks pass.", what a passing check prints."""
    if visible == 1 and not hidden:
        return f"{function}: the visible check passes."
    return f"{function}: the {visible} visible" + (f" and {hidden} hidden" if hidden else "") + " checks pass."


def _fail(spec: Check, case: Case | None, message: str | None) -> None:
    if message:
        raise GradingError(_with_notes(spec, message, case))


def _with_notes(spec: Check, message: str, case: Case | None) -> str:
    if case is not None and case.answer.hint:
        message += f" {case.answer.hint}"
    for trigger, sentence in spec.notes:
        if trigger in message:
            message += f" {sentence}"
    return message + _dependency_note(spec)


# --------------------------------------------------------------------------- one case

def _check_case(spec: Check, case: Case) -> None:
    result = spec.call(**case.inputs)
    values = _unpack(spec, result)
    for name in spec.compare:
        _compare(spec, case, name, values)
    if spec.accuracy is not None and case.answer.accuracy is not None:
        _check_accuracy(spec, case, values)
    if spec.gradients is not None:
        _check_gradients(spec, case, values)


def _unpack(spec: Check, result: Any) -> dict[str, Any]:
    """The returned values by output name, the tuple's length checked."""
    if len(spec.returns) == 1:
        return {spec.returns[0].name: result}
    names = [o.name for o in spec.returns]
    expected = f"{len(names)} values ({', '.join(names)})"
    if not isinstance(result, (tuple, list)):
        raise GradingError(f"`{spec.function}` should return {expected}, but it returned a single "
                           f"{calls.type_name(result)}. Write `return {', '.join(names)}`.")
    if len(result) != len(names):
        raise GradingError(f"`{spec.function}` should return {expected}, but it returned {len(result)} values.")
    return dict(zip(names, result))


def _output(spec: Check, name: str) -> Output:
    return next(o for o in spec.returns if o.name == name.split("[")[0])


def _label(spec: Check, output: Output, case: Case, key: str | None = None) -> str:
    """How a message names ``output`` (or its ``key``) in ``case``."""
    if output.label:
        base = output.label
    elif len(spec.returns) == 1 and output.kind != "arrays":
        return case.label
    else:
        base = "the loss" if output.name == "loss" else output.name
    if key is not None:
        base = f"{base}['{key}']"
    return base.format(case=case.label) if "{case}" in base else f"{base} ({case.label})"


def _compare(spec: Check, case: Case, name: str, values: Mapping[str, Any]) -> None:
    """Compare one output; a wrong gradient also gets what nbcheck's checker finds wrong with it."""
    gradients = spec.gradients
    explain = None
    if gradients is not None and _output(spec, name).name in {o for o, _ in gradients.pairs(case.answer.outputs).values()}:
        explain = lambda: diagnosis(spec, case, values)  # noqa: E731
    _compare_output(spec, case, name, values, explain)


def _compare_output(spec: Check, case: Case, name: str, values: Mapping[str, Any],
                    explain: Callable[[], str] | None) -> None:
    output = _output(spec, name)
    expected = case.answer.outputs[output.name]
    if output.kind == "arrays":
        actual = _read_arrays(spec, output, values[output.name], expected, case)
        for key in [k for k in output.keys or tuple(expected) if k in expected]:
            _compare_value(spec, case, output, actual[key], key, _label(spec, output, case, key), spec.hints.get(key, ""),
                           explain)
        return
    actual = _read(spec, output, values[output.name], expected, case)
    if name == output.name:
        _compare_value(spec, case, output, actual, None, _label(spec, output, case), spec.hints.get(name, ""), explain)
        return
    index = int(name[name.index("[") + 1:-1]) % len(actual)
    when = "at the initial parameters" if index == 0 else "before the last step"
    label = f"{output.name}[{index}] ({case.label}), the loss {when},"
    _compare_value(spec, case, output, actual[index], index, label, spec.hints.get(name, ""), explain)


def _compare_value(spec: Check, case: Case, output: Output, actual: Any, key: str | int | None, label: str,
                   hint: str, explain: Callable[[], str] | None = None) -> None:
    """Pass when ``actual`` equals the answer (or an alternative); else name the mistake, the factor or the gap."""
    answer = case.answer

    def pick(outputs: Mapping[str, Any]) -> Any:
        value = outputs.get(output.name)
        if key is None or value is None:
            return value
        return value.get(key) if isinstance(value, Mapping) else value[key]

    atol = answer.atol.get(output.name, spec.atol)
    rights = [pick(answer.outputs)] + [pick(alt) for alt in answer.alternatives if pick(alt) is not None]
    if any(_close(actual, right, spec.rtol, atol) for right in rights):
        return
    for explanation, wrong in answer.mistakes:
        if pick(wrong) is not None and _close(actual, pick(wrong), spec.rtol, atol):
            raise GradingError(f"{label} is wrong: {explanation}", cause=first_sentence(explanation))
    expected = rights[0]
    if np.ndim(actual) == 2 and len(set(np.shape(actual))) == 1 and _close(np.transpose(actual), expected, spec.rtol, atol):
        raise GradingError(f"{label} is wrong: it is the transpose of the right value (with a square shape, the "
                           "transpose fits too). Check the order of the factors: for W in X @ W, dW = X.T @ dout.",
                           cause="the transpose of the right value")
    try:
        assert_close(actual, expected, label, rtol=spec.rtol, atol=atol, factors=answer.factors)
    except GradingError as failure:
        message = str(failure)
        gap = float(np.max(np.abs(np.asarray(actual, float) - np.asarray(expected, float))))
        scale = float(np.max(np.abs(np.asarray(expected, float)))) if np.size(expected) else 0.0
        if scale > 0 and gap / scale < 1e-4 and output.kind != "ints":
            message += ROUNDING_HINT.format(gap=gap / scale)
        raise GradingError(f"{message} {hint}".rstrip() + (explain() if explain else "")) from None


def first_sentence(text: str) -> str:
    """The first clause of ``text`` (up to a full stop, semicolon or colon) of at least four words, without
    its punctuation: a named mistake's label in the class report ("`x.tanh()`: its derivative ..." keeps going)."""
    clauses = re.split(r"(?<=[.;:])\s", text.strip())
    label = clauses[0]
    for clause in clauses[1:]:
        if len(label.split()) >= 4:
            break
        label += " " + clause
    return label.rstrip(".;:")


def _close(actual: Any, expected: Any, rtol: float, atol: float) -> bool:
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    return actual.shape == expected.shape and bool(np.all(np.abs(actual - expected) <= atol + rtol * np.abs(expected)))


# --------------------------------------------------------------------------- reading returned values

def _read(spec: Check, output: Output, value: Any, expected: Any, case: Case) -> Any:
    label = _label(spec, output, case)
    if output.kind == "number":
        if spec.trains and _is_nonfinite_number(value):
            raise GradingError(_diverged(spec, label))
        return as_scalar(value, label)
    if output.kind == "losses":
        return _read_losses(spec, output, value, len(expected), case)
    if spec.trains and isinstance(value, np.ndarray) and value.dtype.kind == "f" and not np.isfinite(value).all():
        raise GradingError(_diverged(spec, label))
    shape = np.shape(expected)
    array = as_array(value, label, shape=shape, shape_hint=str(output.shape),
                     kind="int" if output.kind == "ints" else "float")
    if output.kind == "probabilities":
        sums = array.sum(axis=-1)
        worst = int(np.argmax(np.abs(sums - 1.0))) if sums.size else 0
        # 1e-9: a row of a few dozen float64 probabilities sums to 1 within about 1e-15.
        if sums.size and not abs(sums.flat[worst] - 1.0) <= 1e-9:
            raise GradingError(f"row {worst} of {label} sums to {sums.flat[worst]:.6g}, not 1: normalise each row "
                               "over the classes (axis=1, keepdims=True), not each column.")
    return array


def _read_arrays(spec: Check, output: Output, value: Any, expected: Mapping[str, Any], case: Case) -> dict:
    label = _label(spec, output, case).replace(f" ({case.label})", "")
    keys = ", ".join(expected)
    if not isinstance(value, dict) or not set(expected) <= set(value):
        found = sorted(map(str, value)) if isinstance(value, dict) else calls.type_name(value)
        raise GradingError(f"{label} ({case.label}) should be a dict with keys {keys}, but it is {found}.")
    shapes = output.shape if isinstance(output.shape, Mapping) else {}
    result = {}
    for key in expected:
        name = _label(spec, output, case, key)
        item = value[key]
        if spec.trains and isinstance(item, np.ndarray) and item.dtype.kind == "f" and not np.isfinite(item).all():
            raise GradingError(_diverged(spec, name))
        result[key] = as_array(item, name, shape=np.shape(expected[key]), shape_hint=shapes.get(key, ""))
    return result


def _read_losses(spec: Check, output: Output, value: Any, length: int, case: Case) -> np.ndarray:
    """A list or 1-D array of ``length`` finite numbers, the loss before each step."""
    name = output.label or output.name
    if isinstance(value, np.ndarray) and value.ndim != 1:
        raise GradingError(f"{name} ({case.label}) should be 1-D, one number per step, but it is an array of "
                           f"shape {value.shape}. Return a list, or an array of shape ({length},).")
    if not isinstance(value, (list, tuple, np.ndarray)) or len(value) != length:
        size = f" of length {len(value)}" if isinstance(value, (list, tuple, np.ndarray)) else ""
        raise GradingError(f"{name} ({case.label}) should be a list or 1-D array of num_iters = {length} numbers, "
                           f"one per step, but it is {calls.a_type(value)}{size}.")
    if spec.trains:
        bad = [t for t, v in enumerate(value) if _is_nonfinite_number(v)]
        if bad[:1] == [0]:
            raise GradingError(f"{name}[0] ({case.label}) is {value[0]}: the loss at the initial parameters is not "
                               f"finite. Make {spec.trains} pass first.")
        if bad:
            raise GradingError(_diverged(spec, f"{name}[{bad[0]}] ({case.label})"))
    return np.array([as_scalar(v, f"{name}[{t}] ({case.label})") for t, v in enumerate(value)])


def _is_nonfinite_number(value: Any) -> bool:
    return (isinstance(value, (float, np.floating, np.ndarray)) and np.asarray(value).dtype.kind == "f"
            and not np.isfinite(value).all())


def _diverged(spec: Check, label: str) -> str:
    return (f"{label} has non-finite entries (NaN or inf): the training diverged. With the right gradients and "
            f"the given step_size it does not: make {spec.trains} pass first, and step with "
            "p = p - step_size * grad.")


# --------------------------------------------------------------------------- extra checks

def _check_accuracy(spec: Check, case: Case, values: Mapping[str, Any]) -> None:
    low, high = case.answer.accuracy
    accuracy = float(spec.accuracy(**case.inputs, **values))
    if not low <= accuracy <= high:
        raise GradingError(f"the training accuracy ({case.label}) is {accuracy:.1%}; right code reaches "
                           f"{low:.0%} to {high:.0%} here.")


def _check_gradients(spec: Check, case: Case, values: Mapping[str, Any]) -> None:
    gradients = spec.gradients
    if gradients.check is None or (gradients.check == "answer") == case.visible or \
            (gradients.check == "answer" and case.answer.loss is None):
        return
    report = _gradient_report(spec, case, values, use_answer=gradients.check == "answer")
    if report.status != "fail":
        return
    if gradients.check == "own":
        raise GradingError(f"({case.label}) {report}\nYour returned values equal the expected ones, yet the gradients are not the "
                           "gradient of your own loss near this point: your loss computes something slightly "
                           "different from what your gradient differentiates, such as an epsilon inside the log "
                           "larger than 1e-8.")
    raise GradingError(f"({case.label}) {report}")


def diagnosis(spec: Check, case: Case, values: Mapping[str, Any]) -> str:
    """What the gradient checker says of wrong gradients, or "" when it cannot say more."""
    answer = case.answer.loss is not None
    if not answer:
        loss = values.get("loss")
        expected = case.answer.outputs.get("loss")
        try:
            if loss is None or expected is None or not _close(np.asarray(loss, float), expected, 1e-9, 1e-12):
                return ""
        except (TypeError, ValueError):  # a loss that is not a number: nothing to differentiate
            return ""
    try:
        report = _gradient_report(spec, case, values, use_answer=answer)
    except GradingError:  # the function failed at a nearby point: the message already says what is wrong
        return ""
    if report.status != "fail":
        return ""
    whose = "the correct loss" if answer else "your loss"
    return f"\nThe gradient checker (your gradients against central differences of {whose}) says: {report}"


def _gradient_report(spec: Check, case: Case, values: Mapping[str, Any], use_answer: bool):
    gradients = spec.gradients
    pairs = gradients.pairs(case.answer.outputs)
    dict_input = gradients.params[0] if isinstance(gradients.params, tuple) else None
    params = {name: np.asarray(case.inputs[dict_input][name] if dict_input else case.inputs[name], float)
              for name in pairs}

    def inputs_at(point: Mapping[str, np.ndarray]) -> dict[str, Any]:
        if dict_input:
            return {**case.inputs, dict_input: {**case.inputs[dict_input], **point}}
        return {**case.inputs, **point}

    def loss_at(inputs: dict[str, Any]) -> float:
        if use_answer:
            return case.answer.loss(**inputs)
        return as_scalar(_unpack(spec, spec.call(**inputs))["loss"], "the loss")

    def f(point: Mapping[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
        got = _unpack(spec, spec.call(**inputs_at(point)))
        grads = {}
        for name, (output, key) in pairs.items():
            value = got[output] if key is None else got[output][key]
            grads[name] = as_array(value, f"the gradient of {name}", shape=params[name].shape)
        loss = case.answer.loss(**inputs_at(point)) if use_answer else as_scalar(got["loss"], "the loss")
        return loss, grads

    batch = case.inputs.get(gradients.batch)
    size = len(batch) if batch is not None else None
    per_example = [k for k, v in case.inputs.items() if size and isinstance(v, np.ndarray) and v.shape[:1] == (size,)]

    def examples(indices: np.ndarray) -> Callable[[Mapping[str, np.ndarray]], float]:
        """The loss of those examples only: lets the checker recognise a gradient of part of the batch."""
        return lambda point: loss_at({**inputs_at(point), **{k: case.inputs[k][indices] for k in per_example}})

    return check_grad(f, params, loss_fn=(lambda p: case.answer.loss(**inputs_at(p))) if use_answer else None,
                      batch_size=size, reg=case.inputs.get(gradients.reg) if gradients.reg else None,
                      regularized=gradients.regularized, examples=examples if per_example else None)


# --------------------------------------------------------------------------- notes

def _dependency_note(spec: Check) -> str:
    """' Note: your `softmax` does not pass its visible checks yet; ...' for functions this one builds on."""
    broken = []
    for name in spec.depends_on:
        function, cases = visible_cases(spec.exercise, name)
        if function not in broken and not _passes(function, cases):
            broken.append(function)
    if not broken:
        return ""
    names = " and ".join(f"`{b}`" for b in broken)
    verb, own, pronoun = ("does", "its", "it") if len(broken) == 1 else ("do", "their", "them")
    return (f" Note: your {names} {verb} not pass {own} visible checks yet; if {spec.function} calls "
            f"{pronoun}, fix that first.")


def _passes(function: str, cases: list[Case]) -> bool:
    """Whether the student's ``function`` gives every answer of ``cases`` (rtol 1e-6: a loose look, not a grade)."""
    try:
        call = calls.student_function(function)
        for case in cases:
            result = call(**case.inputs)
            expected = case.answer.outputs
            got = [result] if len(expected) == 1 else list(result)
            if len(got) != len(expected) or not all(_matches(g, e) for g, e in zip(got, expected.values())):
                return False
    except (GradingError, TypeError, ValueError):
        return False
    return True


def _matches(value: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(value, dict) and all(k in value and _matches(value[k], v) for k, v in expected.items())
    if isinstance(expected, (list, tuple)):  # ragged, say: a list of batches of different sizes
        return (isinstance(value, (list, tuple)) and len(value) == len(expected)
                and all(_matches(v, e) for v, e in zip(value, expected)))
    try:
        return _close(np.asarray(value, dtype=float), expected, 1e-6, 1e-9)
    except (TypeError, ValueError):
        return False
