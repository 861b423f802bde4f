"""What crosses between the judge and the student's kernel: plain data, never pickle.

Both sides encode a value into a JSON-able tree plus a list of binary buffers (the raw bytes of
arrays), and decode the pair back. Only these pass as values:

- ``None``, ``bool``, ``int``, ``float`` (NaN and infinities included) and ``str``;
- numpy arrays of boolean, integer, float or complex dtype (``np.matrix`` is flagged as such, so
  the judge can reject it by name), and numpy scalars of those dtypes;
- lists, tuples and dicts of these (dict keys may be any of the scalar kinds above).

A subclass of one of these crosses as the plain value its base class stores.

Anything else the student's code returns stays in the kernel and crosses as a *handle*:
``{"$handle": id, "type": "Class"}``; the judge can pass a handle back as an argument, or ask
for an attribute of the object it names. The judge can also pass a function by *reference*,
``{"$ref": name}``: one of the notebook's by its name, or one of nbcheck's by its dotted path.

Decoding builds fresh objects of exactly these types from the bytes, so nothing the student's
code defines (a subclass, an ``__eq__`` that lies, an ``__array__`` hook) reaches the judge.
Decoding is bounded: :class:`WireError` is raised for a tree deeper than :data:`MAX_DEPTH`, more
than :data:`MAX_ITEMS` items, or arrays whose sizes do not match their buffers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

MAX_DEPTH = 32
MAX_ITEMS = 100_000
MAX_BYTES = 8 << 20   # of array data in one value: the course's values are far smaller
# Array kinds that can cross: boolean, signed and unsigned integers, floats, complex.
_KINDS = "biufc"


class WireError(ValueError):
    """A value cannot be encoded, or an encoded tree is malformed or too large."""


class Reference:
    """A function the kernel looks up itself: one of the notebook's, by name, or nbcheck's, by dotted path."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"<{self.path} in the student's kernel>"


class Handle:
    """A reference, on the judge's side, to an object that stays in the student's kernel."""

    __slots__ = ("id", "type", "repr", "generation")

    def __init__(self, id: int, type: str, repr: str, generation: int = 0) -> None:
        self.id, self.type, self.repr, self.generation = id, type, repr, generation

    def __repr__(self) -> str:
        return f"<{self.type} in the student's kernel: {self.repr}>"


def encode(value: Any, keep: Callable[[Any], dict] | None = None) -> tuple[Any, list[bytes]]:
    """``value`` as (tree, buffers).

    Args:
        value: what to send.
        keep: called with any object that is not plain data; returns its handle tree
            (``{"$handle": ...}``). Without it, such objects raise :class:`WireError`.
            A :class:`Handle` (the judge passing a kernel object back) encodes as its id.
    """
    buffers: list[bytes] = []
    count = [0]

    def walk(item: Any, depth: int) -> Any:
        count[0] += 1
        if depth > MAX_DEPTH or count[0] > MAX_ITEMS:
            raise WireError(f"the value is too large to send (more than {MAX_ITEMS} items or "
                            f"{MAX_DEPTH} levels deep)")
        kind = type(item)
        if kind is Handle:
            return {"$handle": item.id}
        if kind is Reference:
            return {"$ref": item.path}
        if item is None or isinstance(item, bool):
            return item
        if isinstance(item, np.ndarray) or isinstance(item, np.generic):
            array = np.asarray(item)
            if array.dtype.kind in _KINDS and not array.dtype.hasobject:
                if array.nbytes + sum(map(len, buffers)) > MAX_BYTES:
                    raise WireError(f"the value is too large to send (more than {MAX_BYTES >> 20} MiB of arrays)")
                data = np.array(array, order="C")  # a copy; np.ascontiguousarray would make a 0-d array 1-d
                buffers.append(data.tobytes())
                tree = {"$array": len(buffers) - 1, "dtype": data.dtype.str, "shape": list(data.shape)}
                if isinstance(item, np.generic):
                    tree["scalar"] = True
                elif isinstance(item, np.matrix):
                    tree["matrix"] = True
                return tree
        # Subclasses cross as the value their base class stores, whatever their methods say.
        if isinstance(item, str):
            return str.__str__(item)
        if isinstance(item, int):
            number = int.__index__(item)
            return number if -2**53 <= number <= 2**53 else {"$int": str(number)}
        if isinstance(item, float):
            number = float.__float__(item)
            return number if math.isfinite(number) else {"$float": repr(number)}
        if isinstance(item, (list, tuple)):
            return {"$list" if isinstance(item, list) else "$tuple": [walk(x, depth + 1) for x in item]}
        if isinstance(item, dict):
            return {"$dict": [[walk(k, depth + 1), walk(v, depth + 1)] for k, v in dict.items(item)]}
        if keep is None:
            raise WireError(f"a {kind.__name__} cannot be sent")
        return keep(item)

    return walk(value, 0), buffers


def decode(tree: Any, buffers: list[bytes], handle: Callable[[dict], Any] | None = None) -> Any:
    """The value that :func:`encode` encoded, built from plain types only.

    Args:
        tree, buffers: as :func:`encode` returned them (after JSON and the transport).
        handle: called with each ``{"$handle": ...}`` or ``{"$ref": ...}`` tree; returns what stands
            for it. Without it, these raise :class:`WireError`.
    """
    count = [0]

    def walk(item: Any, depth: int) -> Any:
        count[0] += 1
        if depth > MAX_DEPTH or count[0] > MAX_ITEMS:
            raise WireError("the value received is too large")
        if item is None or type(item) in (bool, int, float, str):
            return item
        if type(item) is not dict or len(item) == 0:
            raise WireError(f"malformed value: {type(item).__name__}")
        if "$array" in item:
            return _array(item, buffers)
        if "$list" in item or "$tuple" in item:
            items = item.get("$list", item.get("$tuple"))
            if type(items) is not list:
                raise WireError("malformed list")
            values = [walk(x, depth + 1) for x in items]
            return values if "$list" in item else tuple(values)
        if "$dict" in item:
            pairs = item["$dict"]
            if type(pairs) is not list or any(type(p) is not list or len(p) != 2 for p in pairs):
                raise WireError("malformed dict")
            result = {}
            for key, value in pairs:
                key = walk(key, depth + 1)
                try:
                    result[key] = walk(value, depth + 1)
                except TypeError as error:  # a key that cannot be hashed, such as a list
                    raise WireError("a dict key must be a number, a string, None or a tuple of these") from error
            return result
        if "$float" in item:
            if item["$float"] not in ("nan", "inf", "-inf"):
                raise WireError("malformed float")
            return float(item["$float"])
        if "$int" in item:
            text = item["$int"]
            if type(text) is not str or len(text) > 4000 or not text.lstrip("-").isdigit():
                raise WireError("malformed int")
            return int(text)
        if "$handle" in item or "$ref" in item:
            if handle is None:
                raise WireError("an object of the student's kernel cannot be received here")
            return handle(item)
        raise WireError(f"malformed value with keys {sorted(item)[:3]}")

    return walk(tree, 0)


def _array(item: dict, buffers: list[bytes]) -> Any:
    index, shape = item.get("$array"), item.get("shape")
    try:
        dtype = np.dtype(item.get("dtype"))
    except TypeError as error:
        raise WireError("malformed array dtype") from error
    if (type(index) is not int or not 0 <= index < len(buffers) or type(shape) is not list
            or any(type(n) is not int or n < 0 for n in shape) or dtype.kind not in _KINDS or dtype.hasobject):
        raise WireError("malformed array")
    data = buffers[index]
    size = math.prod(shape)
    if size * dtype.itemsize != len(data):
        raise WireError(f"an array of shape {tuple(shape)} and dtype {dtype} does not fit its {len(data)} bytes")
    array = np.frombuffer(data, dtype=dtype).reshape(shape).copy()
    if item.get("scalar"):
        return array[()] if array.ndim == 0 else array
    if item.get("matrix") and array.ndim == 2:
        return np.asmatrix(array)
    return array
