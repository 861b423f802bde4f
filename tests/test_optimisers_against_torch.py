"""Exercise 5's update rules (the model solution) follow torch.optim's trajectories to 1e-12 relative.

Optional: skipped when torch is not installed (the course does not depend on it). The comparison itself
is bench/optimisers.py's, which also times both.
"""

from __future__ import annotations

import importlib.util

import pytest

from tests.course_tools import REPO

torch = pytest.importorskip("torch")


def _bench():
    spec = importlib.util.spec_from_file_location("bench_optimisers", REPO / "bench" / "optimisers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_rule_follows_torch_for_100_steps() -> None:
    bench = _bench()
    rows = bench.compare(torch, bench.model_rules(), steps=100)
    assert {rule for rule, *_ in rows} == set(bench.RULES)
    for rule, settings, fixed, bowl in rows:
        # 1e-12: float64 rounding of a few operations per step, accumulated over 100 steps, is about 1e-15.
        assert fixed <= 1e-12 and bowl <= 1e-12, (
            f"{rule} ({settings}) departs from torch.optim by {max(fixed, bowl):.1e} (relative) within 100 steps")
