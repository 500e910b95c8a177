"""Calibration's refinement step: on metrics that are linear in the parameters, the
local model's best point is the exact fit when it lies within the trust region, and a
step never leaves the trust region or the range. No simulation runs here."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.decide.calibrate_refine import next_radius, propose, to_unit
from sim.decide.space import Parameter, Space
from sim.decide.targets import Target
from tests.hypo import examples

RECALL = Parameter("platform.upload_recall", "float", 0.2, 0.95)
DETECT = Parameter("rights_holders.detection_prob", "float", 0.02, 0.9)
SPACE = Space((RECALL, DETECT))


def metrics(recall: float, detect: float) -> tuple[float, float]:
    """A tilted ridge like smoke's: notice falls with recall and rises with detection."""
    return 1400 * recall + 480, 300 - 560 * recall + 290 * detect


def rows_around(recall: float, detect: float, targets: list[Target]) -> list[dict[str, Any]]:
    rows = []
    for dr, dd in ((0, 0), (0.05, 0), (0, 0.05), (-0.04, 0.03), (0.03, -0.06)):
        r, d = recall + dr, detect + dd
        proactive, notice = metrics(r, d)
        row = {RECALL.path: r, DETECT.path: d, "fake_removed_proactive": proactive,
               "fake_removed_notice": notice}  # fmt: skip
        row["distance"] = targets[0].distance(proactive) + targets[1].distance(notice)
        rows.append(row)
    return rows


def targets_at(recall: float, detect: float) -> list[Target]:
    proactive, notice = metrics(recall, detect)
    return [
        Target("fake_removed_proactive", proactive, 0.06 * proactive),
        Target("fake_removed_notice", notice, 0.06 * notice),
    ]


def test_linear_metrics_are_fitted_exactly_in_one_step() -> None:
    """From trials around (0.6, 0.55), off the ridge, the first proposal is the truth."""
    tgts = targets_at(0.7, 0.4)
    first, *others = propose(rows_around(0.6, 0.55, tgts), SPACE, tgts, 0.25, 4)
    assert first[RECALL.path] == pytest.approx(0.7, abs=1e-4)
    assert first[DETECT.path] == pytest.approx(0.4, abs=1e-4)
    assert len(others) == 3 and all(o != first for o in others)


@given(
    st.floats(0.25, 0.9), st.floats(0.05, 0.85), st.floats(0.25, 0.9), st.floats(0.05, 0.85),
    st.sampled_from([0.02, 0.1, 0.25, 0.5]),
)  # fmt: skip
@settings(max_examples=examples(60))
def test_a_step_stays_in_the_trust_region_and_the_range(
    recall: float, detect: float, true_recall: float, true_detect: float, radius: float
) -> None:
    tgts = targets_at(true_recall, true_detect)
    rows = rows_around(recall, detect, tgts)
    best = min(rows, key=lambda r: r["distance"])
    for cand in propose(rows, SPACE, tgts, radius, 4):
        for p in SPACE.parameters:
            assert p.low <= cand[p.path] <= p.high
            moved = abs(to_unit(p, cand[p.path]) - to_unit(p, best[p.path]))
            assert moved <= 1.5 * radius + 1e-9  # the aim, then half a radius around it


def test_int_and_log_values_map_back_to_themselves() -> None:
    count = Parameter("account_managers.pool_size", "int", 1, 6)
    rate = Parameter("platform.upload_recall", "float", 0.01, 1.0, log=True)
    for v in range(1, 7):
        assert count.from_unit(to_unit(count, v)) == v
    for v in (0.01, 0.05, 0.3, 1.0):
        assert math.isclose(float(rate.from_unit(to_unit(rate, v))), v)  # type: ignore[arg-type]


def test_the_trust_region_grows_on_success_and_shrinks_otherwise() -> None:
    assert next_radius(0.25, True) == 0.5 and next_radius(0.5, True) == 0.5
    assert next_radius(0.25, False) == 0.125 and next_radius(0.001, False) == 0.001


def test_a_round_never_proposes_the_same_values_twice() -> None:
    """With one parameter and a batch of 6, the neighbours go both ways, then nearer."""
    space = Space((DETECT,))
    tgts = [Target("fake_removed_notice", 250.0, 15.0)]
    rows = [{DETECT.path: d, "fake_removed_notice": 100 + 400 * d,
             "distance": tgts[0].distance(100 + 400 * d)} for d in (0.2, 0.3, 0.5)]  # fmt: skip
    cands = [c[DETECT.path] for c in propose(rows, space, tgts, 0.25, 6)]
    assert cands[0] == pytest.approx(0.375, abs=1e-4)
    assert len(set(cands)) == 6
