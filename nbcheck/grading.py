"""Helpers that the visible and hidden test cells of the exercises call.

A test cell fetches the student's function by name, calls it on inputs the test builds, and
passes what came back through these checks. Every failure is a :class:`GradingError` (an
``AssertionError``, so nbgrader scores the cell 0) whose message names the quantity, says
what is wrong and what to try, so a student can act on it without reading a traceback.

The numpy functions used for comparisons are bound when this module is imported (before
any student cell runs), so patching ``np.allclose`` in the notebook changes nothing here.
Student values are converted to plain float64 arrays through the base classes before any
comparison, so an object whose ``==`` always answers True cannot pass.
"""

from __future__ import annotations

import inspect
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from nbcheck.gradcheck.probing import student_frame

# Bound at import: the comparisons below must not see a student's monkey-patching.
_asarray = np.asarray
_array = np.array
_abs = np.abs
_max = np.max
_argmax = np.argmax
_isfinite = np.isfinite
_all = np.all
_float64 = np.float64
_ndarray = np.ndarray
_unravel_index = np.unravel_index
_array_equal = np.array_equal
_float_value = float.__float__
_int_value = int.__index__


class GradingError(AssertionError):
    """A test failed for a reason the message explains to the student."""


def _notebook_namespace() -> Mapping[str, Any]:
    """The namespace the student's cells run in (IPython's user_ns, else ``__main__``)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        return shell.user_ns
    return vars(sys.modules["__main__"])


@contextmanager
def _time_limit(seconds: float | None, what: str) -> Iterator[None]:
    """Raise GradingError if the body runs longer than ``seconds`` (main thread, POSIX only).

    Nested limits keep the outer one: a wrapped function that calls another wrapped function
    must not cancel the timer of the call that is still running.
    """
    if (seconds is None or not hasattr(signal, "setitimer") or not _in_main_thread()
            or signal.getitimer(signal.ITIMER_REAL)[0] > 0):
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise GradingError(
            f"{what} did not finish within {seconds:g} s. Look for a loop that never ends "
            "(a `while` whose condition never changes) or work repeated far more often than needed.")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _in_main_thread() -> bool:
    import threading
    return threading.current_thread() is threading.main_thread()


def _snapshot(value: Any) -> Any:
    """A private copy of an argument, to find out later whether the call changed it."""
    if isinstance(value, _ndarray):
        return _array(value, copy=True)
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    return None


def _changed(before: Any, after: Any) -> bool:
    if isinstance(before, _ndarray):
        return not (isinstance(after, _ndarray) and before.shape == after.shape
                    and _array_equal(before, after, equal_nan=before.dtype.kind == "f"))
    if isinstance(before, dict):
        return (not isinstance(after, dict) or before.keys() != after.keys()
                or any(_changed(before[k], after[k]) for k in before))
    return False


def student_function(name: str, *, time_limit: float | None = 10.0) -> Callable[..., Any]:
    """Fetch the student's function ``name`` and wrap it so that every misuse has a clear message.

    The wrapper turns these into a :class:`GradingError`: the name not defined (cell not run,
    renamed or deleted), the body still ``raise NotImplementedError()``, any exception raised
    inside, a call running longer than ``time_limit`` seconds, and an array or dict argument
    modified in place.
    """
    namespace = _notebook_namespace()
    if name not in namespace:
        raise GradingError(
            f"`{name}` is not defined. Run the cell that defines it (Run > Run All Cells), and keep "
            f"the name `{name}` exactly as given: the tests call it by that name.")
    # A test cell may have stored a wrapper under the student's name; never wrap twice.
    function = getattr(namespace[name], "__wrapped__", namespace[name])
    if not callable(function):
        raise GradingError(f"`{name}` should be a function, but it is a {type(function).__name__}.")

    def argument_names(args: tuple, kwargs: dict) -> list[str]:
        """Names for ``args`` then ``kwargs``, in that order, as the student's signature calls them."""
        try:
            parameters = [p for p in inspect.signature(function).parameters.values()
                          if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            parameters = []
        positional = [p.name for p in parameters[:len(args)]]
        positional += [f"argument {i + 1}" for i in range(len(positional), len(args))]
        return positional + list(kwargs)

    def call(*args: Any, **kwargs: Any) -> Any:
        values = list(args) + list(kwargs.values())
        before = [_snapshot(v) for v in values]
        try:
            with _time_limit(time_limit, f"`{name}`"):
                result = function(*args, **kwargs)
        except GradingError:
            raise
        except NotImplementedError as error:
            culprit = _raising_function(error)
            where = f"`{name}`" if culprit in (None, name) else f"`{name}` calls `{culprit}`, which"
            raise GradingError(
                f"{where} is not implemented yet: replace `raise NotImplementedError()` "
                "in its cell with your code, run the cell, then run this test again.") from None
        except Exception as error:
            raise GradingError(
                f"`{name}` raised {type(error).__name__}: {error}{_student_line(error)}. It was called with "
                f"{describe_arguments(args, kwargs)}.") from error
        names = argument_names(args, kwargs)
        for arg_name, old, new in zip(names, before, values):
            if old is not None and _changed(old, new):
                raise GradingError(
                    f"`{name}` modified its input `{arg_name}` in place. Functions here must leave "
                    "their inputs unchanged: write `a = a - x` (a new array) instead of `a -= x`, "
                    "or work on `a.copy()`.")
        return result

    call.__name__ = name
    call.__doc__ = function.__doc__
    call.__wrapped__ = function
    return call


def _student_line(error: BaseException) -> str:
    """', at `<code>` in `<function>`' for the innermost traceback frame in notebook code, if any."""
    frame = student_frame(error)
    if frame is None or not frame.line:
        return ""
    return f", at `{frame.line.strip()}` in `{frame.name}`"


def _raising_function(error: BaseException) -> str | None:
    """The name of the function in which ``error`` was raised (the innermost traceback frame)."""
    frame = error.__traceback__
    if frame is None:
        return None
    while frame.tb_next is not None:
        frame = frame.tb_next
    return frame.tb_frame.f_code.co_name


def describe_arguments(args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    """A short human description of call arguments: shapes for arrays, values for scalars."""
    def describe(value: Any) -> str:
        if isinstance(value, _ndarray):
            return f"an array of shape {value.shape} ({value.dtype})"
        if isinstance(value, dict):
            return "a dict with keys " + ", ".join(map(repr, value))
        return repr(value)
    parts = [describe(v) for v in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
    return ", ".join(parts) if parts else "no arguments"


def unpack(result: Any, names: Sequence[str], function: str) -> tuple:
    """Check that ``function`` returned a tuple of ``len(names)`` values and return it."""
    expected = f"{len(names)} values ({', '.join(names)})"
    if not isinstance(result, (tuple, list)):
        raise GradingError(f"`{function}` should return {expected}, but it returned a single "
                           f"{type(result).__name__}. Write `return {', '.join(names)}`.")
    if len(result) != len(names):
        raise GradingError(f"`{function}` should return {expected}, but it returned {len(result)} values.")
    return tuple(result)


def as_scalar(value: Any, name: str) -> float:
    """Check that ``value`` is one real, finite number and return it as a plain float.

    Accepts a Python float or int, a numpy float64 scalar or a 0-d / single-entry float64 array.
    """
    if isinstance(value, _ndarray) or isinstance(value, np.generic):
        array = _asarray(value)
        if array.size != 1:
            raise GradingError(f"{name} should be a single number, but it is an array of shape {array.shape}. "
                               "Did you forget to sum or average over the examples?")
        if array.dtype.kind == "f" and array.dtype != _float64:
            raise GradingError(f"{name} is {array.dtype}; compute it in float64 (numpy's default) "
                               "and do not cast.")
        if array.dtype.kind not in "fiu":
            raise GradingError(f"{name} should be a real number, but it has dtype {array.dtype}.")
        number = _float_value(_float64(array.reshape(())[()]))
    elif isinstance(value, float):
        number = _float_value(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = float(_int_value(value))
    else:
        raise GradingError(f"{name} should be a number, but it is a {type(value).__name__}.")
    if not _isfinite(number):
        raise GradingError(f"{name} is {number}. {_NON_FINITE_HINT}")
    return number


_NON_FINITE_HINT = ("A NaN or an infinity usually comes from np.exp overflowing on large scores "
                    "(subtract each row's maximum before exponentiating), or from the log of zero "
                    "or of a negative number.")


def as_array(value: Any, name: str, *, shape: tuple[int, ...] | None = None, kind: str = "float",
             shape_hint: str = "") -> np.ndarray:
    """Check that ``value`` is a numpy array of the right kind and shape and return a plain copy.

    ``kind="float"`` demands float64 and finite entries; ``kind="int"`` demands an integer
    dtype (labels, predictions). ``shape_hint`` names the dimensions, e.g. "(D, K)".
    """
    if not isinstance(value, _ndarray):
        of_shape = f" of shape {tuple(shape)}" if shape is not None else ""
        raise GradingError(f"{name} should be a numpy array{of_shape}, but it is a {type(value).__name__}. "
                           "Return an np.ndarray (for example the result of numpy operations).")
    if isinstance(value, np.matrix):
        raise GradingError(f"{name} is an np.matrix, whose * and indexing differ from arrays. "
                           "Use plain arrays (np.asarray) and @ for matrix products.")
    array = _array(value, copy=True, subok=False)
    if shape is not None and array.shape != tuple(shape):
        dims = f" = {shape_hint}" if shape_hint else ""
        advice = ""
        if array.ndim == 2 and array.shape[::-1] == tuple(shape):
            advice = " It looks transposed."
        elif array.size == int(np.prod(shape)):
            advice = " It has the right number of entries: check keepdims and reshape."
        raise GradingError(f"{name} has shape {array.shape} but should have shape {tuple(shape)}{dims}.{advice}")
    if kind == "float":
        if array.dtype != _float64:
            raise GradingError(f"{name} has dtype {array.dtype} but should be float64 (numpy's default). "
                               "Do not cast with astype or use integer arrays for real values.")
        if not _all(_isfinite(array)):
            bad = int((~_isfinite(array)).sum())
            raise GradingError(f"{name} has {bad} non-finite entries (NaN or inf). {_NON_FINITE_HINT}")
    elif kind == "int":
        if array.dtype.kind not in "iu":
            raise GradingError(f"{name} has dtype {array.dtype} but should hold integers "
                               "(np.argmax returns them).")
    else:
        raise ValueError(f"kind must be 'float' or 'int', not {kind!r}")
    return array


def assert_close(actual: Any, expected: Any, name: str, *, rtol: float = 1e-6, atol: float = 1e-9,
                 factors: Mapping[str, float] | None = None) -> None:
    """Fail with a message naming ``name`` unless |actual − expected| ≤ atol + rtol·|expected| entrywise.

    ``actual`` must already have passed :func:`as_array` or :func:`as_scalar`. ``factors``
    maps a human name to a number (e.g. ``{"N, the number of examples": 50}``): when the
    answer is off by exactly one of them, or its inverse, the message says so.
    """
    actual = _asarray(actual, dtype=_float64)
    expected = _asarray(expected, dtype=_float64)
    error = _abs(actual - expected)
    allowed = atol + rtol * _abs(expected)
    if _all(error <= allowed):
        return
    where = _unravel_index(_argmax(error - allowed), error.shape) if error.ndim else ()
    at = f" at index {tuple(int(i) for i in where)}" if error.ndim else ""
    yours, wanted = _distinct_digits(float(actual[where]), float(expected[where]))
    message = f"{name} is wrong{at}: yours is {yours}, expected {wanted} (largest error {float(_max(error)):.3g})."
    ratio = _constant_ratio(actual, expected)
    if ratio is not None:
        message += _explain_ratio(ratio, factors or {}, single=actual.size == 1)
    raise GradingError(message)


def _distinct_digits(a: float, b: float) -> tuple[str, str]:
    """``a`` and ``b`` printed with the fewest significant digits (at least 6) that tell them apart."""
    for digits in range(6, 18):
        left, right = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if left != right:
            break
    return left, right


def _constant_ratio(actual: np.ndarray, expected: np.ndarray) -> float | None:
    """actual / expected when that is the same number everywhere expected is not tiny, else None."""
    scale = float(_max(_abs(expected))) if expected.size else 0.0
    if scale == 0.0:
        return None
    mask = _abs(expected) > 1e-3 * scale
    ratios = actual[mask] / expected[mask]
    r = float(ratios.mean())
    if _all(_abs(ratios - r) <= 1e-6 * max(1.0, abs(r))):
        return r
    return None


def _explain_ratio(ratio: float, factors: Mapping[str, float], single: bool) -> str:
    """Name the known factor (zero, sign, 2, 1/2 or a named size such as N) the answer is off by.

    An unknown ratio is reported only for arrays off by the same factor everywhere: for a
    single number, or a near miss, "1.003 × the expected" adds nothing.
    """
    if ratio == 0.0:
        return " Yours is zero." if single else " Yours is zero everywhere."
    known = {-1.0: "a sign error", 2.0: "a factor of 2", 0.5: "a factor of 1/2"}
    for label, value in factors.items():
        known[float(value)] = label
        known[1.0 / float(value)] = f"1/({label})"
    for value, label in known.items():
        if abs(ratio - value) <= 1e-6 * max(1.0, abs(value)):
            return f" Yours is exactly {value:.4g} × the expected value: {label}."
    if single or abs(ratio - 1.0) < 1e-2:
        return ""
    return f" Yours is {ratio:.4g} × the expected value everywhere."
