"""The calibrated scenarios against the public figures of CALIBRATION.md.

Targets (mean over seeds): gft_2015 proactive:notice ratio in 7-9; joint_force_2017
ratio in 24-30, at least 95% of notices handled within 24 hours, at least 96% of
platform removals before a first sale.

Tolerances: across seeds the per-run sd is about 0.29 for the gft ratio and about 3.6
for the Joint-Force ratio (measured over seeds 1000-1009 after blocks began to hide
listings and rejected remove-first notices to restore fakes), so a 10-seed mean has sd
about 0.09 and 1.1; the calibrated means (7.93 and 26.4) sit over 10 and about 2.1 sds
inside the targets. The cheap 3-seed version in ``make test`` widens each band by two
sds of a 3-seed mean: 4.2 for Joint-Force (3.6 / sqrt(3) = 2.1) and 0.34 for gft;
the 3-seed means are 7.89 and 28.8. The shares vary little (sd below 0.01 per run). Seeds
are fixed, so the tests are exact repeats; the tolerances say how much a model change
may move the means before they fail.

Re-measured after listing popularity became heavy-tailed and sales drawn counts (the
first-sale times now follow each listing's own popularity): 10-seed means 7.95 (sd per
run 0.14) and 26.3 (sd 4.0), 3-seed means 7.86 and 29.7; Joint-Force's 24-hour share
0.996 and share before a first sale 0.991. No parameter needed to move.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.model import run
from sim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def mean_metrics(name: str, seeds: int) -> dict[str, float]:
    scenario = load_scenario(SCENARIOS / f"{name}.toml")
    runs = [run(scenario, 1000 + s).metrics for s in range(seeds)]
    return {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}


def check(seeds: int, widen: float) -> None:
    gft = mean_metrics("gft_2015", seeds)
    jf = mean_metrics("joint_force_2017", seeds)
    assert 7.0 - widen * 0.34 <= gft["proactive_to_notice_ratio"] <= 9.0 + widen * 0.34
    assert 24.0 - widen * 4.2 <= jf["proactive_to_notice_ratio"] <= 30.0 + widen * 4.2
    assert jf["notices_within_24h_share"] >= 0.95
    assert jf["removed_before_first_sale_share"] >= 0.96
    # notices per brand fall as Joint-Force takes over (down 42% in 2017)
    assert jf["notices_filed"] < gft["notices_filed"]
    # and remove-on-notice is what moves the 24-hour share
    assert gft["notices_within_24h_share"] < jf["notices_within_24h_share"]


def test_calibration_three_seeds() -> None:
    check(3, widen=1.0)


@pytest.mark.slow
def test_calibration_ten_seeds() -> None:
    check(10, widen=0.0)
