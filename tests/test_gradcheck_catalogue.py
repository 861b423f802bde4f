"""The mutation catalogue: every bug detected with its cause named, no false alarms (few seeds here;
bench/gradcheck.py runs ≥ 1000 seeds per regime)."""

from __future__ import annotations

import numpy as np
import pytest

from nbcheck.gradcheck import check_grad
from tests.gradcheck_models import CATALOGUE, build, mlp_model, observable, regimes_for

SEEDS = range(3)
CASES = [(m, regime) for m in CATALOGUE for regime in regimes_for(m)]


def _id(case) -> str:
    m, regime = case
    return f"{m.model}-{m.bug}-{regime}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_catalogue(case):
    m, regime = case
    for seed in SEEDS:
        if not observable(m, regime, seed):
            continue  # the bug leaves this point's gradient unchanged: no checker can see it
        f, loss_fn, params, hints = build(m, regime, seed)
        report = check_grad(f, params, loss_fn=loss_fn, seed=seed, **hints)
        if m.harmless:
            assert report.status == "pass", f"false alarm (seed {seed}):\n{report}"
        else:
            assert report.status == "fail", f"missed (seed {seed}):\n{report}"
            assert m.expect(report), f"wrong cause (seed {seed}): {report.causes}\n{report}"


@pytest.mark.parametrize("bug", ["missing_1_over_N", "reg_half", "one_example_missing", "relu_mask_missing"])
def test_diagnosis_without_hints_still_names_the_kind_of_bug(bug):
    m = next(x for x in CATALOGUE if x.model == "two_layer" and x.bug == bug)
    f, loss_fn, params, _ = build(m, "generic", 0)
    report = check_grad(f, params, loss_fn=loss_fn)
    assert report.status == "fail"
    codes = set(report.causes.values())
    expected = {"missing_1_over_N": {"upstream_factor", "factor"}, "reg_half": {"reg"},
                "one_example_missing": {"missing_example"}, "relu_mask_missing": {"between_layers"}}[bug]
    assert codes & expected, report.causes


def test_mlp_with_square_hidden_layer_transposed_and_localised():
    rng = np.random.default_rng(0)
    f, loss_fn, params, hints = mlp_model(rng, (12, 16, 16, 3), 8, bug="transposed_dW2")
    report = check_grad(f, params, loss_fn=loss_fn, **hints)
    assert report.causes == {"W2": "transpose"}
    f, loss_fn, params, hints = mlp_model(np.random.default_rng(1), (12, 16, 16, 3), 8, bug="skipped_last_hidden_unit")
    report = check_grad(f, params, loss_fn=loss_fn, **hints)
    assert report.status == "fail" and "column 15" in str(report)
