"""Calling the student's code, and the messages for everything that can go wrong in a call.

A test cell never touches the student's namespace itself: it asks for a function (or a class)
by name with :func:`student_function` and calls it on inputs the test built. Where that call runs
depends on who runs the test cell:

- in the student's own kernel (running a cell, or nbgrader's Validate), the function is looked up
  in the notebook's namespace and called directly, with a time limit;
- in the judge (``nbgrader autograde``), the test cell runs in a separate, trusted process and the
  call is sent to the student's sandboxed kernel (:mod:`nbcheck.judge`). What comes back is plain
  data; objects that are not plain data stay in the kernel and come back as
  :class:`StudentObject` proxies.

Either way every misuse becomes a :class:`GradingError` with the same message: the name not
defined, a body that is still ``raise NotImplementedError()``, an exception (with the student's
own failing line), a call that runs too long, an argument modified in place, and, in the judge, a
call that crashed the kernel.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import numpy as np

from nbcheck.grading.errors import GradingError

DEFAULT_TIME_LIMIT = 10.0  # seconds per call: every function of the course runs in well under 1 s


class StudentProcess(Protocol):
    """Where the judge sends calls (implemented by :class:`nbcheck.judge.session.Session`)."""

    notebook_sources: list[str]        # the code of the student's cells
    local_modules: dict[str, str]      # module name -> file, for the .py files beside the notebook

    def function(self, name: str, time_limit: float | None, wrap_objects: bool) -> Callable[..., Any]: ...

    def runner(self, path: str, time_limit: float | None) -> Callable[..., Any]: ...


# Set by the judge while it runs a test cell; unset (None) in the student's own kernel.
judge: contextvars.ContextVar[StudentProcess | None] = contextvars.ContextVar("nbcheck_judge", default=None)


# --------------------------------------------------------------------------- what went wrong

def describe_failure(error: BaseException) -> dict[str, Any]:
    """A plain description of an exception raised by the student's code.

    Returns:
        {"type": exception class name, "message": str(error) (at most 2000 characters),
         "culprit": the function in which it was raised, "line": the student's failing line,
         "function": the function of that line}; the last three may be "".
    """
    frames = traceback.extract_tb(error.__traceback__)
    student = _student_frames(frames)
    line = student[-1] if student else None
    try:
        message = str(error)
    except Exception:  # an exception whose __str__ fails says nothing useful anyway
        message = ""
    return {"type": type(error).__name__, "message": message[:2000],
            "culprit": frames[-1].name if frames else "",
            "line": (line.line or "").strip() if line else "", "function": line.name if line else ""}


def _student_frames(frames: traceback.StackSummary) -> list[traceback.FrameSummary]:
    """Frames in code the student wrote: not numpy's, an installed library's, Python's or nbcheck's."""
    import nbcheck
    package = nbcheck.__path__[0]
    return [f for f in frames if not (f.filename.startswith((package, np.__path__[0], "<frozen"))
                                      or "site-packages" in f.filename or "/lib/python" in f.filename)]


def failure_message(name: str, failure: Mapping[str, Any], arguments: str) -> str:
    """The message for a call of ``name`` that raised (``failure`` from :func:`describe_failure`)."""
    if failure["type"] == "GradingError":  # a runner's own verdict, in the kernel
        return failure["message"]
    if failure["type"] == "NotImplementedError":
        culprit = failure.get("culprit") or name
        where = f"`{name}`" if culprit == name else f"`{name}` calls `{culprit}`, which"
        return (f"{where} is not implemented yet: replace `raise NotImplementedError()` in its cell with "
                "your code, run the cell, then run this test again.")
    if failure["type"] == "MemoryError":
        return (f"`{name}` ran out of memory. It was called with {arguments}: look for an array far larger "
                "than the inputs (an outer product of all examples, a list that keeps growing).")
    at = f", at `{failure['line']}` in `{failure['function']}`" if failure.get("line") else ""
    return (f"`{name}` raised {failure['type']}: {failure['message']}{at}. It was called with "
            f"{arguments}.")


def timeout_message(what: str, seconds: float) -> str:
    return (f"{what} did not finish within {seconds:g} s. Look for a loop that never ends (a `while` "
            "whose condition never changes) or work repeated far more often than needed.")


def modified_message(name: str, argument: str) -> str:
    return (f"`{name}` modified its input `{argument}` in place. Functions here must leave their inputs "
            "unchanged: write `a = a - x` (a new array) instead of `a -= x`, or work on `a.copy()`.")


def describe_arguments(args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    """A short description of call arguments: shapes for arrays, values for scalars."""
    def describe(value: Any) -> str:
        if isinstance(value, np.ndarray):
            return f"an array of shape {value.shape} ({value.dtype})"
        if isinstance(value, dict):
            return "a dict with keys " + ", ".join(map(repr, value))
        text = repr(value)
        return text if len(text) <= 80 else text[:77] + "..."
    parts = [describe(v) for v in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
    return ", ".join(parts) if parts else "no arguments"


def not_defined_message(name: str) -> str:
    return (f"`{name}` is not defined. Run the cell that defines it (Run > Run All Cells), and keep the "
            f"name `{name}` exactly as given: the tests call it by that name.")


def not_callable_message(name: str, type_name: str) -> str:
    article = "an" if type_name[:1].lower() in "aeiou" else "a"
    return f"`{name}` should be a function, but it is {article} {type_name}."


# --------------------------------------------------------------------------- inputs left unchanged

class _Number:
    """A number or string held in a dict or list argument, as it was before the call (``config["lr"]``, say)."""

    def __init__(self, value: Any) -> None:
        self.value = value


def snapshot(value: Any) -> Any:
    """A private copy of an argument, to find out later whether the call changed it (None: nothing to watch)."""
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)
    if isinstance(value, dict):
        return {k: snapshot(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snapshot(v) for v in value]
    if isinstance(value, (int, float, str, np.generic)):
        return _Number(value)
    return None


def changed(before: Any, after: Any) -> bool:
    if isinstance(before, _Number):
        try:
            same = bool(before.value == after) or bool(before.value != before.value and after != after)  # NaN
            return not same
        except Exception:  # a number replaced by an object whose == fails: changed
            return True
    if isinstance(before, np.ndarray):
        return not (isinstance(after, np.ndarray) and before.shape == after.shape
                    and np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"))
    if isinstance(before, dict):
        return (not isinstance(after, dict) or before.keys() != after.keys()
                or any(changed(before[k], after[k]) for k in before))
    if isinstance(before, list):
        return (not isinstance(after, list) or len(before) != len(after)
                or any(changed(b, a) for b, a in zip(before, after)))
    return False


def modified_argument(function: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any],
                      before: Sequence[Any]) -> str | None:
    """The name (as the student's signature calls it) of the first argument the call changed, or None."""
    values = list(args) + list(kwargs.values())
    for argument, old, new in zip(argument_names(function, len(args), kwargs), before, values):
        if old is not None and changed(old, new):
            return argument
    return None


def argument_names(function: Callable[..., Any], count: int, kwargs: Mapping[str, Any]) -> list[str]:
    """Names for ``count`` positional arguments then ``kwargs``, as ``function``'s signature calls them."""
    try:
        parameters = [p.name for p in inspect.signature(function).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        parameters = []
    names = parameters[:count] + [f"argument {i + 1}" for i in range(len(parameters[:count]), count)]
    return names + list(kwargs)


# --------------------------------------------------------------------------- fetching a function

def student_function(name: str, *, time_limit: float | None = DEFAULT_TIME_LIMIT) -> Callable[..., Any]:
    """The student's function ``name``, wrapped so that every misuse raises a clear :class:`GradingError`."""
    process = judge.get()
    if process is not None:
        return process.function(name, time_limit, wrap_objects=False)
    return _local_function(name, time_limit, wrap_objects=False)


def student_class(name: str, *, time_limit: float | None = DEFAULT_TIME_LIMIT) -> Callable[..., Any]:
    """The student's class ``name``: calling it, and every operation on what it returns, is checked.

    The objects it makes are :class:`StudentObject` proxies: their attributes, methods and
    operators (``+``, ``*``, ``@``, ...) run the student's code under the same rules as
    :func:`student_function`, and whatever is plain data (numbers, arrays) comes back as such.
    """
    process = judge.get()
    if process is not None:
        return process.function(name, time_limit, wrap_objects=True)
    return _local_function(name, time_limit, wrap_objects=True)


def kernel_runner(path: str, *, label: str | None = None,
                  time_limit: float | None = DEFAULT_TIME_LIMIT) -> Callable[..., Any]:
    """nbcheck's function ``path`` (``"nbcheck.grading.x.f"``), run where the student's code runs.

    It is called as ``f(namespace, *args, **kwargs)`` with the notebook's namespace first, so that
    it can drive the student's code through many steps in one call (in the judge: one request to
    the kernel instead of thousands). What it returns is checked like a student's result. Messages
    name it ``label`` (the student's function it drives), else its own name; a GradingError it
    raises reaches the student as it is.
    """
    module, _, name = path.rpartition(".")
    label = label or name
    process = judge.get()
    if process is not None:
        return process.runner(path, label, time_limit)
    import importlib
    function = getattr(importlib.import_module(module), name)
    namespace = _notebook_namespace()
    return LocalCaller(label, lambda *args, **kwargs: function(namespace, *args, **kwargs), time_limit, wrap_objects=True)


def kernel_function(path: str) -> Any:
    """nbcheck's function ``path``, to pass as an argument to the student's code (a loss to train on, say).

    In the judge it crosses as a reference that the kernel resolves in its own copy of nbcheck.
    """
    if judge.get() is not None:
        from nbcheck.judge.wire import Reference
        return Reference(path)
    import importlib
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _notebook_namespace() -> Mapping[str, Any]:
    """The namespace the student's cells run in (IPython's user_ns, else ``__main__``)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell.user_ns if shell is not None else vars(sys.modules["__main__"])


def _local_function(name: str, time_limit: float | None, wrap_objects: bool) -> Callable[..., Any]:
    namespace = _notebook_namespace()
    if name not in namespace:
        raise GradingError(not_defined_message(name))
    function = namespace[name]
    if not callable(function):
        raise GradingError(not_callable_message(name, type(function).__name__))
    return LocalCaller(name, function, time_limit, wrap_objects)


class LocalCaller:
    """Calls one of the student's callables in this process, turning every misuse into a GradingError."""

    def __init__(self, name: str, function: Callable[..., Any], time_limit: float | None, wrap_objects: bool):
        self.name, self.function, self.time_limit, self.wrap_objects = name, function, time_limit, wrap_objects
        self.__name__ = name
        self.__doc__ = getattr(function, "__doc__", None)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args, kwargs = tuple(_unwrap(a) for a in args), {k: _unwrap(v) for k, v in kwargs.items()}
        before = [snapshot(v) for v in list(args) + list(kwargs.values())]
        result = self.run(self.function, args, kwargs)
        argument = modified_argument(self.function, args, kwargs, before)
        if argument is not None:
            raise GradingError(modified_message(self.name, argument))
        return self.wrap(result)

    def run(self, function: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        try:
            # What the student's code writes to stderr (warnings included) goes to stdout here: nbgrader's
            # Validate counts any stderr output in a test cell as a failure.
            with time_limit(self.time_limit, f"`{self.name}`"), contextlib.redirect_stderr(sys.stdout), \
                    warnings.catch_warnings():
                warnings.showwarning = _print_warning
                return function(*args, **kwargs)
        except GradingError:
            raise
        except Exception as error:
            raise GradingError(failure_message(self.name, describe_failure(error),
                                               describe_arguments(args, kwargs))) from None

    def wrap(self, value: Any) -> Any:
        if self.wrap_objects and not is_plain(value):
            return StudentObject(LocalObject(value, type(value).__name__, self.time_limit))
        return value


class LocalObject:
    """The operations :class:`StudentObject` needs, on a real object of this process."""

    def __init__(self, obj: Any, label: str, time_limit: float | None) -> None:
        self.obj, self.label, self.time_limit = obj, label, time_limit

    @property
    def type_name(self) -> str:
        return type(self.obj).__name__

    def attribute(self, name: str) -> Any:
        caller = LocalCaller(f"{self.label}.{name}", getattr, self.time_limit, wrap_objects=True)
        value = caller.wrap(caller.run(getattr, (self.obj, name), {}))
        if isinstance(value, StudentObject):
            value._target.label = caller.name  # a bound method is named after what it belongs to
        return value

    def call(self, args: tuple, kwargs: dict[str, Any]) -> Any:
        return LocalCaller(self.label, self.obj, self.time_limit, wrap_objects=True)(*args, **kwargs)

    def operator(self, name: str, args: Sequence[Any]) -> Any:
        import operator
        label = OPERATOR_SYMBOLS[name].format(*(type(_unwrap(a)).__name__ for a in args))
        return LocalCaller(label, getattr(operator, name), self.time_limit, wrap_objects=True)(*args)

    def describe(self) -> str:
        return f"<{self.type_name} made by your code>"


OPERATOR_SYMBOLS = {"add": "{} + {}", "sub": "{} - {}", "mul": "{} * {}", "truediv": "{} / {}",
                    "matmul": "{} @ {}", "pow": "{} ** {}", "getitem": "{}[{}]", "neg": "-{}"}


def _print_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                   file: Any = None, line: str | None = None) -> None:
    print(warnings.formatwarning(message, category, filename, lineno, line), end="")


def type_name(value: Any) -> str:
    """The name of ``value``'s type, as the student would call it (the real one behind a StudentObject)."""
    return value._target.type_name if isinstance(value, StudentObject) else type(value).__name__


def a_type(value: Any) -> str:
    """"a list", "an int": ``value``'s type name with its article, for messages."""
    name = type_name(value)
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _unwrap(value: Any) -> Any:
    target = value._target if isinstance(value, StudentObject) else None
    return target.obj if isinstance(target, LocalObject) else value


def is_plain(value: Any) -> bool:
    """Whether ``value`` is data that needs no proxy: a number, string, array, or a container of these."""
    if value is None or isinstance(value, (bool, int, float, str, np.ndarray, np.generic)):
        return True
    if isinstance(value, (list, tuple)):
        return all(is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(is_plain(v) for v in value.values())
    return False


class StudentObject:
    """An object made by the student's code, seen through checked operations.

    Its target performs them: a :class:`LocalObject` in the student's own kernel, or, in the
    judge, a reference to an object that stays in the sandboxed kernel. Attributes, methods and
    the arithmetic operators run the student's code under the rules of :func:`student_function`
    and return plain data, or another StudentObject.
    """

    __slots__ = ("_target",)

    def __init__(self, target: Any) -> None:
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._target.attribute(name)

    def __repr__(self) -> str:
        return self._target.describe()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._target.call(args, kwargs)

    def _binary(operator_name: str, reflected: bool = False) -> Callable[..., Any]:  # noqa: N805
        def method(self: StudentObject, other: Any) -> Any:
            return self._target.operator(operator_name, (other, self) if reflected else (self, other))
        return method

    __add__, __radd__ = _binary("add"), _binary("add", True)
    __sub__, __rsub__ = _binary("sub"), _binary("sub", True)
    __mul__, __rmul__ = _binary("mul"), _binary("mul", True)
    __truediv__, __rtruediv__ = _binary("truediv"), _binary("truediv", True)
    __matmul__, __rmatmul__ = _binary("matmul"), _binary("matmul", True)
    __pow__, __rpow__ = _binary("pow"), _binary("pow", True)
    __getitem__ = _binary("getitem")

    def __neg__(self) -> Any:
        return self._target.operator("neg", (self,))

    del _binary


# --------------------------------------------------------------------------- time limits (own kernel)

@contextmanager
def time_limit(seconds: float | None, what: str) -> Iterator[None]:
    """Raise GradingError if the body runs longer than ``seconds`` (main thread, POSIX only).

    Used in the student's own kernel only, for a prompt message: the judge limits calls from the
    outside. Nested limits keep the outer one.
    """
    if (seconds is None or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()
            or signal.getitimer(signal.ITIMER_REAL)[0] > 0):
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise GradingError(timeout_message(what, seconds))

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
