"""Turning what the student's code returned into plain numbers, and comparing them with the answer.

Every check converts a returned value to a plain float64 array (or a float) first, with a message
that names the quantity when its type, dtype, shape or finiteness is wrong, and only then compares
it with the expected value (:func:`assert_close`), naming a constant factor it is off by when there
is one (N, 2, 1/2, a sign, zero).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nbcheck.grading.calls import a_type, type_name
from nbcheck.grading.errors import GradingError


def unpack(result: Any, names: Sequence[str], function: str) -> tuple:
    """Check that ``function`` returned a tuple of ``len(names)`` values and return it."""
    expected = f"{len(names)} values ({', '.join(names)})"
    if not isinstance(result, (tuple, list)):
        raise GradingError(f"`{function}` should return {expected}, but it returned a single "
                           f"{type_name(result)}. Write `return {', '.join(names)}`.")
    if len(result) != len(names):
        raise GradingError(f"`{function}` should return {expected}, but it returned {len(result)} values.")
    return tuple(result)


def as_scalar(value: Any, name: str) -> float:
    """Check that ``value`` is one real, finite number and return it as a plain float.

    Accepts a Python float or int, a numpy float64 scalar or a 0-d / single-entry float64 array.
    """
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        array = np.asarray(value)
        if array.size != 1:
            raise GradingError(f"{name} should be a single number, but it is an array of shape {array.shape}. "
                               "Did you forget to sum or average over the examples?")
        if array.dtype.kind == "f" and array.dtype != np.float64:
            raise GradingError(f"{name} is {array.dtype}; compute it in float64 (numpy's default) "
                               "and do not cast.")
        if array.dtype.kind not in "fiu":
            raise GradingError(f"{name} should be a real number, but it has dtype {array.dtype}.")
        number = float(array.reshape(())[()])
    elif isinstance(value, float):
        number = float.__float__(value)  # the stored value, whatever a subclass's __float__ says
    elif isinstance(value, int) and not isinstance(value, bool):
        number = float(int.__index__(value))
    else:
        raise GradingError(f"{name} should be a number, but it is {a_type(value)}.")
    if not np.isfinite(number):
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
    if not isinstance(value, np.ndarray):
        of_shape = f" of shape {tuple(shape)}" if shape is not None else ""
        raise GradingError(f"{name} should be a numpy array{of_shape}, but it is {a_type(value)}. "
                           "Return an np.ndarray (for example the result of numpy operations).")
    if isinstance(value, np.matrix):
        raise GradingError(f"{name} is an np.matrix, whose * and indexing differ from arrays. "
                           "Use plain arrays (np.asarray) and @ for matrix products.")
    array = np.array(value, copy=True, subok=False)
    if shape is not None and array.shape != tuple(shape):
        dims = f" = {shape_hint}" if shape_hint else ""
        advice = ""
        if array.ndim == 2 and array.shape[::-1] == tuple(shape):
            advice = " It looks transposed."
        elif array.size == int(np.prod(shape)):
            advice = " It has the right number of entries: check keepdims and reshape."
        raise GradingError(f"{name} has shape {array.shape} but should have shape {tuple(shape)}{dims}.{advice}")
    if kind == "float":
        if array.dtype != np.float64:
            raise GradingError(f"{name} has dtype {array.dtype} but should be float64 (numpy's default). "
                               "Do not cast with astype or use integer arrays for real values.")
        if not np.all(np.isfinite(array)):
            bad = int((~np.isfinite(array)).sum())
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
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    error = np.abs(actual - expected)
    allowed = atol + rtol * np.abs(expected)
    if np.all(error <= allowed):
        return
    where = np.unravel_index(np.argmax(error - allowed), error.shape) if error.ndim else ()
    at = f" at index {tuple(int(i) for i in where)}" if error.ndim else ""
    yours, wanted = _distinct_digits(float(actual[where]), float(expected[where]))
    message = f"{name} is wrong{at}: yours is {yours}, expected {wanted} (largest error {float(np.max(error)):.3g})."
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
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    if scale == 0.0:
        return None
    mask = np.abs(expected) > 1e-3 * scale
    ratios = actual[mask] / expected[mask]
    r = float(ratios.mean())
    if np.all(np.abs(ratios - r) <= 1e-6 * max(1.0, abs(r))):
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
