"""Benchmark: nbcheck's gradient checker against three baselines, on the test catalogue.

Baselines, re-implemented from their documented algorithms and defaults:

- cs231n full: ``eval_numerical_gradient`` (central differences on every entry, h = 1e-5),
  verdict "max relative error < 1e-7" as the notebooks' comments suggest, 2P evaluations;
- cs231n sparse: ``grad_check_sparse`` (10 random entries, h = 1e-5, rel. error
  |n − a| / (|n| + |a|), same 1e-7 band; 0/0 gives NaN, which compares False, i.e. passes);
- torch fast mode: one random pair (u, v) with v of unit norm over all parameters, numeric
  (L(p + εv) − L(p − εv)) / 2ε with ε = 1e-6 vs analytic ⟨g, v⟩, allclose(rtol 1e-3,
  atol 1e-5·√n) with n the parameter count (the fast mode's scaling).

For every model/regime/variant of tests/gradcheck_models.py and every seed, each checker gives
a verdict; bugs count as detected when the verdict is "fail" (seeds where the bug leaves the
gradient unchanged are skipped: no checker can see them), harmless variants count as false
alarms when it is "fail". nbcheck's diagnosis counts as right when the catalogue's expected
cause matches. Then MLPs of 1e3, 1e5 and 1e6 parameters: false alarms, two localised bugs,
evaluations and time relative to one loss-and-gradient call.

    python bench/gradcheck.py              # full run (≥ 1000 seeds per regime for false alarms)
    python bench/gradcheck.py --quick      # seconds: fewer seeds, no 1e6 MLP
    python bench/gradcheck.py --scale-seeds 200 --big-seeds 10 --out docs/gradcheck-benchmark.md
    python bench/gradcheck.py --seeds 200 --bug-seeds 50 --out docs/gradcheck-benchmark.md
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

# One BLAS thread (set before numpy loads): on a shared 2-core machine multi-threaded BLAS stalls
# at random (10-50 ms per call), which would swamp the timings; every checker runs under it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nbcheck.gradcheck import check_grad  # noqa: E402
from tests.gradcheck_models import CATALOGUE, build, mlp_model, observable, regimes_for  # noqa: E402


class Counted:
    """Wraps f / loss_fn to count evaluations for the baselines."""

    def __init__(self, f, loss_fn):
        self.f, self.loss_fn, self.count = f, loss_fn, 0

    def grads(self, p):
        self.count += 1
        return self.f(p)

    def loss(self, p):
        self.count += 1
        return float(self.loss_fn(p))


def _params64(params):
    return {k: np.array(v, dtype=np.float64) for k, v in params.items()}


def _entry_derivative(c, p, x, i, h):
    """(L(x_i + h) - L(x_i - h)) / 2h for entry i of the tensor x inside params p (restored after)."""
    old = x[i]
    x[i] = old + h
    up = c.loss(p)
    x[i] = old - h
    down = c.loss(p)
    x[i] = old
    return (up - down) / (2 * h)


def cs231n_full(f, loss_fn, params, rng, h=1e-5, band=1e-7):
    c = Counted(f, loss_fn)
    p = _params64(params)
    with np.errstate(all="ignore"):
        _, grads = c.grads(p)
        worst = 0.0
        for k, x in p.items():
            num = np.zeros_like(x)
            it = np.nditer(x, flags=["multi_index"])
            for _ in it:
                num[it.multi_index] = _entry_derivative(c, p, x, it.multi_index, h)
            a = np.asarray(grads[k], dtype=np.float64)
            if a.shape != x.shape:
                return "fail", c.count
            rel = np.max(np.abs(num - a) / np.maximum(1e-8, np.abs(num) + np.abs(a)))
            worst = max(worst, rel) if not np.isnan(rel) else worst
    return ("fail" if worst > band else "pass"), c.count


def cs231n_sparse(f, loss_fn, params, rng, h=1e-5, band=1e-7, checks=10):
    c = Counted(f, loss_fn)
    p = _params64(params)
    fail = False
    with np.errstate(all="ignore"):
        _, grads = c.grads(p)
        for k, x in p.items():
            a = np.asarray(grads[k], dtype=np.float64)
            if a.shape != x.shape:
                return "fail", c.count
            for _ in range(checks):
                i = tuple(int(rng.integers(s)) for s in x.shape)
                n = _entry_derivative(c, p, x, i, h)
                rel = abs(n - a[i]) / (abs(n) + abs(a[i]))
                fail |= bool(rel > band)  # NaN > band is False: 0/0 passes, as in the original
    return ("fail" if fail else "pass"), c.count


def torch_fast(f, loss_fn, params, rng, eps=1e-6, rtol=1e-3, atol=1e-5):
    c = Counted(f, loss_fn)
    p = _params64(params)
    with np.errstate(all="ignore"):
        _, grads = c.grads(p)
        if any(np.shape(grads.get(k)) != x.shape for k, x in p.items()):
            return "fail", c.count
        v = {k: rng.standard_normal(x.shape) for k, x in p.items()}
        scale = np.sqrt(sum((d * d).sum() for d in v.values()))
        v = {k: d / scale for k, d in v.items()}
        up = c.loss({k: x + eps * v[k] for k, x in p.items()})
        down = c.loss({k: x - eps * v[k] for k, x in p.items()})
        numeric = (up - down) / (2 * eps)
        analytic = sum(float(np.vdot(np.asarray(grads[k], dtype=np.float64), v[k])) for k in p)
        n_params = sum(x.size for x in p.values())
        ok = np.allclose(analytic, numeric, rtol=rtol, atol=atol * np.sqrt(n_params))
    return ("pass" if ok else "fail"), c.count


def nbcheck(f, loss_fn, params, rng, hints=None, seed=0):
    report = check_grad(f, params, loss_fn=loss_fn, seed=seed, **(hints or {}))
    return report.status, report.evaluations, report


def _crash_is_failure(check):
    """A baseline that crashes on the student's output (missing key, wrong shape) has found the bug."""
    def run(f, loss_fn, params, rng):
        try:
            return check(f, loss_fn, params, rng)
        except Exception:  # noqa: BLE001
            return "fail", 1
    return run


BASELINES = {"cs231n full": _crash_is_failure(cs231n_full), "cs231n sparse": _crash_is_failure(cs231n_sparse),
             "torch fast": _crash_is_failure(torch_fast)}
METHODS = ["nbcheck", *BASELINES]


def run_method(method, f, loss_fn, params, rng, hints, seed):
    """Run one checker: (status, evaluations, nbcheck's report or None, seconds)."""
    t0 = time.perf_counter()
    if method == "nbcheck":
        status, evals, report = nbcheck(f, loss_fn, params, rng, hints, seed)
    else:
        (status, evals), report = BASELINES[method](f, loss_fn, params, rng), None
    return status, evals, report, time.perf_counter() - t0


def run_catalogue(seeds: int, bug_seeds: int) -> dict:
    """stats[(method, regime)] → counters; also per-bug diagnosis for nbcheck."""
    stats = defaultdict(lambda: defaultdict(float))
    per_bug = defaultdict(lambda: [0, 0])
    for m in CATALOGUE:
        n_seeds = seeds if m.harmless else bug_seeds
        for regime in regimes_for(m):
            for seed in range(n_seeds):
                if not observable(m, regime, seed):
                    stats[("all", regime)]["unobservable"] += 1
                    continue
                f, loss_fn, params, hints = build(m, regime, seed)
                for method in METHODS:
                    rng = np.random.default_rng(seed)
                    status, evals, report, dt = run_method(method, f, loss_fn, params, rng, hints, seed)
                    s = stats[(method, regime)]
                    kind = "harmless" if m.harmless else "bug"
                    s[f"{kind}_runs"] += 1
                    s[f"{kind}_evals"] += evals
                    s[f"{kind}_time"] += dt
                    if status == "fail":
                        s[f"{kind}_fail"] += 1
                    if status == "inconclusive":
                        s[f"{kind}_inconclusive"] += 1
                    if method == "nbcheck" and not m.harmless and status == "fail":
                        right = bool(m.expect(report))
                        s["diag_right"] += right
                        per_bug[(m.model, m.bug)][0] += right
                        per_bug[(m.model, m.bug)][1] += 1
    return {"stats": stats, "per_bug": per_bug}


def _pct(num: float, den: float) -> str:
    return "—" if den == 0 else f"{100 * num / den:.1f}%"


def catalogue_table(result: dict) -> list[str]:
    stats = result["stats"]
    regimes = sorted({r for (_, r) in stats if _ != "all"}, key=["generic", "near_kink", "exact_kink", "large_logits", "raw_targets", "float32"].index)
    lines = ["| checker | regime | detection | false alarms | diagnosis right | evals (pass) | evals (fail) | ms per check |",
             "|---|---|---|---|---|---|---|---|"]
    for method in METHODS:
        for regime in regimes:
            s = stats[(method, regime)]
            diag = _pct(s["diag_right"], s["bug_fail"]) if method == "nbcheck" else "—"
            runs = s["bug_runs"] + s["harmless_runs"]
            lines.append(
                f"| {method} | {regime} | {_pct(s['bug_fail'], s['bug_runs'])} ({int(s['bug_runs'])}) | "
                f"{_pct(s['harmless_fail'], s['harmless_runs'])} ({int(s['harmless_runs'])}) | {diag} | "
                f"{s['harmless_evals'] / max(s['harmless_runs'], 1):.1f} | {s['bug_evals'] / max(s['bug_runs'], 1):.1f} | "
                f"{1e3 * (s['bug_time'] + s['harmless_time']) / max(runs, 1):.2f} |")
    inc = sum(stats[("nbcheck", r)]["harmless_inconclusive"] + stats[("nbcheck", r)]["bug_inconclusive"] for r in regimes)
    lines.append("")
    lines.append(f"nbcheck inconclusive verdicts: {int(inc)}. Seeds skipped because the bug leaves that point's gradient unchanged: "
                 f"{int(sum(stats[('all', r)]['unobservable'] for r in regimes))}.")
    return lines


def per_bug_table(result: dict) -> list[str]:
    lines = ["| model | bug | nbcheck diagnosis right |", "|---|---|---|"]
    for (model, bug), (right, total) in sorted(result["per_bug"].items()):
        lines.append(f"| {model} | {bug} | {_pct(right, total)} of {total} |")
    return lines


def _call_time(fn, p, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(p)
        best = min(best, time.perf_counter() - t0)
    return best


def _seconds(t: float) -> str:
    return f"{t * 1e3:.0f} ms" if t < 1 else f"{t:.1f} s" if t < 120 else f"{t / 60:.0f} min"


def run_scale(sizes: list[tuple[tuple[int, ...], int, int]]) -> list[str]:
    """MLPs of growing size: false alarms, localised bugs, evaluations, time in units of one f call."""
    lines = ["| MLP (batch) | params | seeds | checker | false alarms | transposed dW2 | skipped last hidden unit | evals (pass) | time (pass) | / one f call |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for shape, batch, n_seeds in sizes:
        rows = {m: defaultdict(float) for m in METHODS}
        for seed in range(n_seeds):
            for bug in ("correct", "transposed_dW2", "skipped_last_hidden_unit"):
                f, loss_fn, params, hints = mlp_model(np.random.default_rng(seed), shape, batch, bug=bug, exact_kink=seed % 2 == 1)
                P = sum(v.size for v in params.values())
                t_f = _call_time(f, params, repeat=5) if bug == "correct" else None
                for method in METHODS:
                    rng = np.random.default_rng(seed)
                    row = rows[method]
                    if method == "cs231n full" and P > 20_000:
                        if bug == "correct":  # estimate: 2P forward calls + one f call
                            t_loss = _call_time(loss_fn, params)
                            row["evals"] += 2 * P + 1
                            row["ratio"] += (2 * P * t_loss + t_f) / t_f
                            row["seconds"] += 2 * P * t_loss + t_f
                            row["estimated"] = 1
                        continue
                    status, evals, _, dt = run_method(method, f, loss_fn, params, rng, hints, seed)
                    if bug == "correct":
                        row["fa"] += status == "fail"
                        row["evals"] += evals
                        row["ratio"] += dt / t_f
                        row["seconds"] += dt
                    else:
                        row[bug] += status == "fail"
        name = "-".join(map(str, shape))
        for method in METHODS:
            row = rows[method]
            est = row.get("estimated")
            fa = "—" if est else f"{int(row['fa'])}/{n_seeds}"
            tr = "—" if est else f"{int(row['transposed_dW2'])}/{n_seeds}"
            sk = "—" if est else f"{int(row['skipped_last_hidden_unit'])}/{n_seeds}"
            lines.append(f"| {name} ({batch}) | {P:,} | {n_seeds} | {method} | {fa} | {tr} | {sk} | "
                         f"{row['evals'] / n_seeds:.0f}{' (est.)' if est else ''} | {_seconds(row['seconds'] / n_seeds)} | "
                         f"{row['ratio'] / n_seeds:.1f}×{' (est.)' if est else ''} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=1000, help="seeds per regime for correct/harmless variants")
    ap.add_argument("--bug-seeds", type=int, default=100, help="seeds per regime for each bug")
    ap.add_argument("--scale-seeds", type=int, default=4, help="seeds for the 1e5 MLP (the 1e3 MLP gets 5x as many)")
    ap.add_argument("--big-seeds", type=int, default=2, help="seeds for the 784-1000-1000-10 MLP")
    ap.add_argument("--quick", action="store_true", help="20/5 seeds, no 1e6 MLP")
    ap.add_argument("--out", type=Path, default=None, help="write the tables as markdown here")
    args = ap.parse_args()
    if args.quick:
        args.seeds, args.bug_seeds, args.scale_seeds, args.big_seeds = 20, 5, 2, 0
    cmd = "python bench/gradcheck.py " + " ".join(sys.argv[1:])
    t0 = time.perf_counter()
    result = run_catalogue(args.seeds, args.bug_seeds)
    lines = [f"Catalogue: {args.seeds} seeds per regime for correct/harmless variants, {args.bug_seeds} per bug.", ""]
    lines += catalogue_table(result) + ["", "Diagnosis per bug (nbcheck, all regimes):", ""] + per_bug_table(result)
    sizes = [((16, 30, 30, 10), 32, args.scale_seeds * 5), ((784, 100, 100, 10), 64, args.scale_seeds)]
    if args.big_seeds:
        sizes.append(((784, 1000, 1000, 10), 64, args.big_seeds))
    lines += ["", "Scale (odd seeds: blank input rows and zero biases, i.e. exact kinks):", ""] + run_scale(sizes)
    lines += ["", f"Total wall time {time.perf_counter() - t0:.0f} s on this machine."]
    text = "\n".join(lines)
    print(text)
    if args.out:
        header = ["# Gradient checker benchmark", "", f"Reproduce with `{cmd}` (from the repository root).", "",
                  "Methods and baselines are described in bench/gradcheck.py; models and bugs in tests/gradcheck_models.py.", "",
                  "Reading the tables: *detection* is the share of buggy runs whose verdict is \"fail\" (in brackets: runs; "
                  "seeds where a bug leaves that point's gradient exactly unchanged are skipped, no checker can see them); "
                  "*false alarms* the share of correct or harmless runs (log(p + 1e-8), ReLU'(0) = 1) that \"fail\"; "
                  "*diagnosis right* the share of nbcheck's failing runs whose cause matches the catalogue's expected cause; "
                  "*evals* count calls of f or loss_fn (nbcheck's include kink retries, the jittered re-check and diagnosis). "
                  "Time ratios divide by the best of five calls of f (loss and gradients) for the same model, "
                  "single-threaded BLAS. The cs231n full check at 1e5 and 1e6 parameters is estimated as 2P forward calls "
                  "+ one f call, not run.", ""]
        args.out.write_text("\n".join(header) + text + "\n")


if __name__ == "__main__":
    main()
