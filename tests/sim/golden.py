"""Fingerprints of shipped scenarios' runs, kept in ``golden_runs.json``: every metric's
value, and a digest of each column of the daily series, the notice trace and the event
log (the event log per kind, so a new kind of event that only a new policy logs leaves
the others' digests alone).

A change meant to keep results identical is checked against the file; a change meant to
alter them rewrites it on purpose: ``.venv/bin/python -m tests.sim.golden``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from sim import shipped
from sim.model import run
from sim.scenario import Scenario, load_scenario

FILE = Path(__file__).with_name("golden_runs.json")
SEED = 1
SHORT = ("scenario.horizon_days=40", "scenario.warmup_days=5")
"""Every shipped scenario runs 40 days (5 of warm-up): long enough for suspensions,
complaints and audits to happen, short enough for the fast suite."""
SKIPPED = ("alibaba_2015_full",)
"""Full-size markets: too big for the fast suite even for 40 days."""
VARIANTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "project_zero_lockout": (
        "project_zero",
        (
            "project_zero.window_days=10",
            "project_zero.min_decided=2",
            "project_zero.lockout_days=5",
        ),
    ),
}
"""Shipped scenarios with a few settings changed so that rare steps happen in 40 days
(self-service lost and regained)."""


def cases() -> dict[str, Scenario]:
    """The scenarios fingerprinted, by case name."""
    out = {name: load_scenario(name, SHORT) for name in shipped.names() if name not in SKIPPED}
    for case, (name, extra) in VARIANTS.items():
        out[case] = load_scenario(name, (*SHORT, *extra))
    return out


def digest(values: np.ndarray) -> str:
    """A digest of one column: its numbers' bytes, or its labels' text."""
    arr = np.asarray(values)
    data = "\x1f".join(map(str, arr.tolist())).encode() if arr.dtype == object else arr.tobytes()
    return hashlib.sha256(arr.dtype.str.encode() + data).hexdigest()[:16]


def fingerprint(scenario: Scenario) -> dict[str, Any]:
    """One run's fingerprint (seed ``SEED``, event log kept)."""
    result = run(scenario, SEED, events=True)
    assert result.events is not None
    kinds = result.events["kind"]
    events = {
        str(kind): {
            col: digest(values[kinds == kind]) for col, values in sorted(result.events.items())
        }
        for kind in sorted(set(kinds.tolist()))
    }
    return {
        "metrics": {k: repr(float(v)) for k, v in sorted(result.metrics.items())},
        "daily": {k: digest(v) for k, v in sorted(result.daily.items())},
        "notices": {k: digest(v) for k, v in sorted(result.notices.items())},
        "events": events,
    }


def main() -> None:
    """Rewrite the golden file from the current code."""
    data = {case: fingerprint(sc) for case, sc in cases().items()}
    FILE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
