"""Golden digests of the shipped scenarios' outputs: metrics, daily series, notice trace and
event log of a short run (seed 1). A change that should leave the model's draws and steps
as they were (a new setting that defaults to off) must keep every digest; a change that
alters a run on purpose updates them here, in its own commit, saying why.

The metrics digest covers the metrics named in ``DIGESTED_METRICS`` only, so a new
metric (zero where its setting is off) leaves it alone. alibaba_2015_full is gft_2015
grown about 1780 times and too big for a fast test; it runs through the same code.

To print the digests of the code in the tree: ``python -m tests.sim.test_outputs_unchanged``.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from sim.contract_sellers import SELLER_METRICS
from sim.model import run
from sim.scenario import load_scenario

SHORT = ("scenario.horizon_days=20", "scenario.warmup_days=5")
# the seller Art. 23 policy ([seller_misuse]) is off in every digest, dsa_2024's included
OFF = ("seller_misuse.enabled=false",)


# metrics added since the digests were taken (zero while their settings are off)
NEW_METRICS = frozenset(row[0] for row in SELLER_METRICS)

GOLDEN: dict[str, str] = {  # main at 4ef9df2
    "deterrence": "747c198b187b28aa55b64f40",
    "dsa_2024": "4db37f58d215aca572917629",
    "gft_2015": "e2d246f547b2dc9ea7a20b21",
    "joint_force_2017": "27568b4980c25653ea2625b6",
    "notice_abuse": "14e90474571ff0cc1d3c6275",
    "notice_abuse_art23": "fda35d145fcd7f302fc59e44",
    "notice_only": "a243987e6cae8a06f0afbe74",
    "proactive_heavy": "8344c975008f59ea777ea052",
    "project_zero": "079a3543bbf16d3cdff603f0",
    "smoke": "bc24b1e51b8270d7a656ad82",
    "strikes_strict": "a67343dd95bf0456e13547e1",
}


def _update(h: hashlib._Hash, table: dict[str, np.ndarray]) -> None:
    for name in sorted(table):
        col = np.asarray(table[name])
        h.update(name.encode())
        if col.dtype == object:
            h.update("\x1f".join(map(str, col.tolist())).encode())
        else:
            h.update(np.ascontiguousarray(col).tobytes())


def digest(name: str, overrides: tuple[str, ...] = OFF) -> str:
    """One hex digest of a short seeded run of a shipped scenario, all outputs at once."""
    result = run(load_scenario(name, [*SHORT, *overrides]), 1, events=True)
    h = hashlib.sha256()
    metrics = {k: v for k, v in result.metrics.items() if k not in NEW_METRICS}
    h.update(json.dumps(metrics, sort_keys=True).encode())
    for table in (result.daily, result.notices, result.events):
        assert table is not None
        _update(h, table)
    return h.hexdigest()[:24]


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_shipped_scenarios_unchanged_with_seller_art23_off(name: str) -> None:
    assert digest(name) == GOLDEN[name]


if __name__ == "__main__":
    from sim.shipped import scenario_dir

    for path in sorted(scenario_dir().glob("*.toml")):
        if path.stem != "alibaba_2015_full":
            print(f'    "{path.stem}": "{digest(path.stem, ())}",')
