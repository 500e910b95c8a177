"""The regression gate's error rates, measured on real smoke replications.

One experiment = 8 replications of the smoke scenario (the baseline's count) with seeds
other than the baseline's: a *neutral change* (same model, new draws), as a refactor
that reorders draws would produce. Experiment k takes replications 8k .. 8k+7 of one
other base seed. 100 of them (800 replications, about 0.5 s of CPU each: about 3.5 minutes on
two idle cores, 15 minutes measured on a shared busy machine) give:

- false alarms: the real gate against the committed baseline fails at most 7 of the
  100 (5% nominal; 7 is within the binomial sampling error of 100 trials);
- power: trial k makes a baseline from experiment k, as ``check --update`` would, and
  shifts one headline metric (cycling through all seven, up and down in turn) of
  experiment k + 1 by the margin that baseline states: the gate must fail that metric
  in at least 80 of the 100 trials. The default margin is set where a shift of it
  fails, and half of it passes, with 90% if the spread were known; the spread
  estimated from 8 replications lowers that, which is what this measures;
- half the margin: the same trials with half the shift pass (that metric) in at least
  80 of 100.

Each baseline of the power trials is fresh because the stated power is a property of
the procedure; against the one committed baseline the power also depends on how far its
8-replication means happen to lie from the truth, which is printed per metric as well
(shift of the committed margin, up and down, over the 100 experiments).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from sim.regression import BASE_SEED, compare_values, judge, load_baseline
from sim.regression.baseline import BASELINES_DIR, gate_doc, headline, replicate

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.toml"
TRIALS = 100
Values = Mapping[str, Sequence[float]]


def _failing(doc: Mapping[str, Any], values: Values) -> set[str]:
    checks, _ = compare_values("smoke", doc, values, same_seeds=True)
    return {c.metric for c in judge(checks, 0.05) if c.failed}


def _shifted(values: Values, metric: str, by: float) -> dict[str, list[float]]:
    return {**{m: list(v) for m, v in values.items()}, metric: [x + by for x in values[metric]]}


def _power_trials(
    runs: Sequence[Values], docs: Sequence[Mapping[str, Any]], metric_of: Sequence[str]
) -> tuple[int, int]:
    """(fails at the margin, passes at half the margin): trial k shifts metric_of[k] of
    experiment k + 1 by the margin of the baseline made from experiment k."""
    at_margin = at_half = 0
    for k, metric in enumerate(metric_of):
        doc = docs[k]
        margin = doc["metrics"][metric]["margin"] * (1 if k % 2 else -1)
        new = runs[(k + 1) % len(runs)]
        at_margin += metric in _failing(doc, _shifted(new, metric, margin))
        at_half += metric not in _failing(doc, _shifted(new, metric, margin / 2))
    return at_margin, at_half


@pytest.mark.bench
@pytest.mark.timeout(5400)  # 800 replications: minutes idle, far longer on a busy machine
def test_false_alarms_and_power_over_100_neutral_changes() -> None:
    committed = load_baseline(BASELINES_DIR / "smoke.json")
    reps = int(committed["reps"])
    start = time.perf_counter()
    # experiment k: replications 8k .. 8k+7 of another base seed (one pool of workers)
    pooled = replicate(SMOKE, reps * TRIALS, BASE_SEED + 1, (), 2)
    wall = time.perf_counter() - start
    runs = [{m: v[k * reps : (k + 1) * reps] for m, v in pooled.items()} for k in range(TRIALS)]
    alarms = [_failing(committed, r) for r in runs]
    n_alarms = sum(bool(a) for a in alarms)
    names = headline()
    cycle = [names[k % len(names)] for k in range(TRIALS)]
    docs = [{"scenario_file": "smoke", "reps": reps, **gate_doc(r, reps)} for r in runs]
    at_margin, at_half = _power_trials(runs, docs, cycle)
    print(
        f"\nregression bench: {TRIALS} smoke experiments x {reps} replications in {wall:.0f} s "
        f"({wall / TRIALS:.1f} s each on 2 jobs)\n  false alarms against the committed "
        f"baseline: {n_alarms}/{TRIALS} {[sorted(a) for a in alarms if a]}\n  shift of the "
        f"stated margin failed: {at_margin}/{TRIALS}; half of it passed: {at_half}/{TRIALS}"
    )
    for metric in names:
        fail, half = _power_trials(runs, docs, [metric] * TRIALS)
        entry = committed["metrics"][metric]
        up, down = (
            sum(
                metric in _failing(committed, _shifted(r, metric, s * entry["margin"]))
                for r in runs
            )
            for s in (1, -1)
        )
        print(
            f"  {metric}: fresh baselines {fail}/{TRIALS} fail at margin, {half}/{TRIALS} pass "
            f"at half; committed (margin {entry['margin']}, stated power "
            f"{entry['power_at_margin']:.0%}) fails +margin {up}, -margin {down}"
        )
    assert n_alarms <= 7
    assert at_margin >= 80
    assert at_half >= 80
