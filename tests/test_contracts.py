"""nbcheck.grading.contracts: a vectorised function may not hide a Python loop anywhere it reaches."""

from __future__ import annotations

import textwrap

import pytest

from nbcheck.grading import calls, contracts


class Notebook:
    """Stands in for the judge's session: the student's cells, as the judge sees them."""

    def __init__(self, *cells: str, local_modules: dict[str, str] | None = None) -> None:
        self.notebook_sources = [textwrap.dedent(cell) for cell in cells]
        self.local_modules = local_modules or {}


def loops(*cells: str, name: str = "softmax_loss", **options) -> str | None:
    token = calls.judge.set(Notebook(*cells, **options))
    try:
        return contracts.loops_in(name)
    finally:
        calls.judge.reset(token)


VECTORISED = """
import numpy as np
EPS = 1e-8
ONE_HOT = np.eye(3)

def log_softmax(s):
    return s - s.max(axis=1, keepdims=True)

def softmax_loss(W, b, X, y, reg):
    return -log_softmax(X @ W + b)[np.arange(len(y)), y].mean() + EPS * ONE_HOT.sum()
"""


def test_vectorised_code_passes() -> None:
    assert loops(VECTORISED) is None
    assert loops("%matplotlib inline\nimport numpy as np", VECTORISED) is None


@pytest.mark.parametrize("body, words", [
    ("for i in range(len(X)):\n        pass\n    return 0.0", "has a for loop at `for i in range(len(X)):`"),
    ("while True:\n        break\n    return 0.0", "has a while loop"),
    ("return sum([x.sum() for x in X])", "has a comprehension"),
    ("return np.sum(list(map(np.sum, X)))", "calls `map`"),
    ("return np.vectorize(float)(X).sum()", "calls `vectorize`"),
    ("return np.apply_along_axis(np.sum, 1, X).sum()", "calls `apply_along_axis`"),
    ("return eval('0.0')", "which hides code from this check"),
    ("return softmax_loss(W, b, X[1:], y[1:], reg) if len(X) else 0.0", "calls itself"),
])
def test_loops_in_the_function_are_named(body, words) -> None:
    source = f"import numpy as np\ndef softmax_loss(W, b, X, y, reg):\n    {body}\n"
    problem = loops(source)
    assert problem is not None and words in problem and problem.startswith("`softmax_loss` must not use")


def test_a_loop_in_a_helper_or_the_naive_version_is_found() -> None:
    naive = "def softmax_loss_naive(W, b, X, y, reg):\n    for i in range(3):\n        pass\n    return 0.0\n"
    problem = loops(naive, "def softmax_loss(W, b, X, y, reg):\n    return softmax_loss_naive(W, b, X, y, reg)\n")
    assert "`softmax_loss_naive` (which `softmax_loss` uses) has a for loop" in problem
    alias = loops(naive, "softmax_loss = softmax_loss_naive\n")
    assert "`softmax_loss_naive` (which `softmax_loss` uses) has a for loop" in alias


def test_a_loop_in_a_class_it_builds_is_found() -> None:
    source = """
    class Looper:
        def run(self, X):
            return [x for x in X]

    def softmax_loss(W, b, X, y, reg):
        return len(Looper().run(X))
    """
    assert "`Looper` (which `softmax_loss` uses) has a comprehension" in loops(source)


def test_what_cannot_be_read_is_refused() -> None:
    made = loops("import functools\nhelper = functools.partial(sum)\n"
                 "def softmax_loss(W, b, X, y, reg):\n    return helper(X)\n")
    assert "`helper` (which `softmax_loss` uses) is not defined with `def`" in made
    local = loops("from mycode import fast\ndef softmax_loss(W, b, X, y, reg):\n    return fast(X)\n",
                  local_modules={"mycode": "mycode.py"})
    assert "from your own file mycode.py" in local


def test_the_last_definition_counts() -> None:
    old = "def softmax_loss(W, b, X, y, reg):\n    for x in X:\n        pass\n"
    assert loops(old, VECTORISED) is None
    assert loops(VECTORISED, old) is not None
