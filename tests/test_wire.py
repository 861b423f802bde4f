"""nbcheck.judge.wire: values cross between the judge and the kernel intact, and nothing else crosses."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nbcheck.judge import wire

DTYPES = st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.uint8, np.bool_, np.complex128])
ARRAYS = DTYPES.flatmap(lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)))
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=10)
VALUES = st.recursive(SCALARS | ARRAYS, lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
                      | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=3), max_leaves=12)


def through_json(value):
    """``value`` encoded, sent as JSON (as the kernel protocol does) and decoded."""
    tree, buffers = wire.encode(value)
    return wire.decode(json.loads(json.dumps(tree)), buffers)


def same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return (type(b) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return type(b) is dict and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@settings(max_examples=200, deadline=None)
@given(VALUES)
def test_plain_values_arrive_unchanged(value) -> None:
    assert same(value, through_json(value))


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_numpy_scalars_keep_their_dtype_and_a_matrix_stays_recognisable() -> None:
    assert type(through_json(np.float32(1.5))) is np.float32
    assert through_json(np.float64(2.0)).shape == ()
    assert isinstance(through_json(np.matrix([[1.0, 2.0]])), np.matrix)


def test_subclasses_cross_as_their_plain_base_values() -> None:
    class Liar(float):
        def __eq__(self, other):
            return True
    class Sneaky(np.ndarray):
        pass
    value = through_json([Liar(2.5), np.arange(3.0).view(Sneaky)])
    assert type(value[0]) is float and value[0] == 2.5
    assert type(value[1]) is np.ndarray


def test_other_objects_need_a_handle() -> None:
    with pytest.raises(wire.WireError, match="cannot be sent"):
        wire.encode(object())
    tree, _ = wire.encode([object()], keep=lambda obj: {"$handle": 7, "type": "object"})
    assert wire.decode(tree, [], handle=lambda h: ("handle", h["$handle"])) == [("handle", 7)]
    with pytest.raises(wire.WireError, match="cannot be received"):
        wire.decode(tree, [])


@pytest.mark.parametrize("tree, buffers, message", [
    ({"$array": 0, "dtype": "<f8", "shape": [3]}, [b"\0" * 16], "does not fit"),
    ({"$array": 1, "dtype": "<f8", "shape": [1]}, [b"\0" * 8], "malformed array"),
    ({"$array": 0, "dtype": "|O", "shape": [1]}, [b"\0" * 8], "malformed array"),
    ({"$array": 0, "dtype": "no such dtype", "shape": [1]}, [b"\0" * 8], "dtype"),
    ({"$float": "1e999"}, [], "malformed float"),
    ({"$int": "12a"}, [], "malformed int"),
    ({"$dict": [[{"$list": []}, 1]]}, [], "dict key"),
    ({"$code": "import os"}, [], "malformed value"),
    (["not", "a", "tree"], [], "malformed value"),
])
def test_malformed_trees_are_refused(tree, buffers, message) -> None:
    with pytest.raises(wire.WireError, match=message):
        wire.decode(tree, buffers)


def test_too_large_or_too_deep_is_refused() -> None:
    deep = {"$list": []}
    for _ in range(wire.MAX_DEPTH + 5):
        deep = {"$list": [deep]}
    with pytest.raises(wire.WireError, match="too large"):
        wire.decode(deep, [])
    with pytest.raises(wire.WireError, match="too large"):
        wire.decode({"$list": [1] * (wire.MAX_ITEMS + 1)}, [])
    with pytest.raises(wire.WireError, match="too large"):
        wire.encode(list(range(wire.MAX_ITEMS + 1)))
