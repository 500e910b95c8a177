"""Property tests: the sellers' Art. 23 policy (``[seller_misuse]``) read back from the event
log. The policy's metrics are rebuilt from the seller_warned, seller_suspended and
seller_suspension_ended events; suspensions of one seller never overlap, each follows a
warning at least the grace period old, each served one lasts exactly ``suspension_days``;
no counterfeit account posts while suspended; and every invariant of the plain model still
holds."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model import Model
from sim.rng import Streams
from sim.scenario import from_dict, load_scenario
from tests.hypo import examples
from tests.sim.test_invariants import _check, scenarios

Spell = tuple[float, float, str]  # start, end (inf: still running), how it ended


def seller_spells(events: dict[str, np.ndarray]) -> dict[tuple[bool, int], list[Spell]]:
    """Each seller's suspensions, from the log: (fake, account) -> [(start, end, how)].
    Asserts they alternate: seller_suspended, seller_suspension_ended, seller_suspended, ..."""
    kind = events["kind"]
    rows = np.flatnonzero((kind == "seller_suspended") | (kind == "seller_suspension_ended"))
    spells: dict[tuple[bool, int], list[Spell]] = {}
    for r in rows.tolist():
        key = (bool(events["fake"][r]), int(events["account_id"][r]))
        mine = spells.setdefault(key, [])
        t = float(events["t_h"][r])
        if kind[r] == "seller_suspended":
            assert not mine or mine[-1][1] <= t, f"overlapping suspensions of {key}"
            mine.append((t, np.inf, "running"))
        else:
            assert mine and mine[-1][1] == np.inf, f"suspension ended without starting: {key}"
            mine[-1] = (mine[-1][0], t, str(events["channel"][r]))
    return spells


def check_seller_log(model: Model) -> None:
    """The policy's metrics and rules, rebuilt from the event log of a finished run."""
    assert model.events is not None
    ev = model.events.table()
    sc, m = model.scenario.seller_misuse, model.metrics()
    warm, horizon = model.window.warmup_h, model.window.horizon_h
    spells = seller_spells(ev)
    warned = ev["kind"] == "seller_warned"
    for fake, prefix in ((True, "seller"), (False, "legit_seller")):
        inside = warned & (ev["fake"] == fake) & (ev["t_h"] >= warm) & (ev["t_h"] < horizon)
        assert m[f"{prefix}_warnings"] == np.count_nonzero(inside)
        mine = {k: v for k, v in spells.items() if k[0] == fake}
        started = {k for k, v in mine.items() if any(warm <= s < horizon for s, _, _ in v)}
        assert m[f"{prefix}s_suspended"] == len(started)
        served = sum(
            max(0.0, min(e, horizon) - max(s, warm)) for v in mine.values() for s, e, _ in v
        )
        assert np.isclose(m[f"{prefix}_suspension_days"], served / 24.0, rtol=1e-12, atol=1e-9)
    for (fake, seller), spans in spells.items():
        who = (ev["fake"] == fake) & (ev["account_id"] == seller)
        warns = ev["t_h"][warned & who]
        for (start, end, how), prev in zip(spans, [None, *spans[:-1]], strict=True):
            if how == "served":
                assert end - start == sc.suspension_days * 24.0
            # a warning since the last suspension, at least the grace period before
            since = -np.inf if prev is None else prev[1]
            assert ((warns >= since) & (warns <= start - sc.grace_days * 24.0)).any()
        if fake:
            posted = ev["t_h"][(ev["kind"] == "posted") & who]
            for start, end, _ in spans:
                assert not ((posted >= start) & (posted < end)).any()
    if not sc.enabled:
        assert not spells and not warned.any()


@st.composite
def seller_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A small random scenario (tests/sim/test_invariants.py) with the sellers' Art. 23
    policy drawn at random, the strike ladder on or reduced to warnings."""
    data = draw(scenarios())
    data["seller_misuse"] = {
        "enabled": draw(st.booleans()),
        "window_days": float(draw(st.integers(1, 10))),
        "removals_threshold": draw(st.integers(1, 4)),
        "grace_days": float(draw(st.integers(0, 3))),
        "suspension_days": draw(st.sampled_from([0.5, 1.0, 2.0, 3.0])),
    }
    if draw(st.booleans()):
        data.setdefault("platform", {})["strikes"] = {"ladder": ["warn"]}
    return data


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=seller_scenarios(), seed=st.integers(0, 2**32))
def test_seller_art23_invariants_hold_for_random_scenarios(data: dict[str, Any], seed: int) -> None:
    model = Model(from_dict(data), Streams(seed), events=True)
    model.simulate()
    check_seller_log(model)
    _check(model.result(seed))


def test_both_kinds_suspended_and_the_log_adds_up() -> None:
    """A scenario that suspends counterfeit accounts and honest sellers (mistaken checks
    remove a genuine listing in 50, none contested), with the ladder on: bans end some
    suspensions early. Seed 1."""
    overrides = [
        "scenario.horizon_days=40",
        "scenario.warmup_days=5",
        "legit_sellers.counter_notice_prob=0",
        "platform.upload_false_positive_rate=0.02",
        "seller_misuse.enabled=true",
        "seller_misuse.removals_threshold=2",
        "seller_misuse.grace_days=2.0",
        "seller_misuse.suspension_days=5.0",
    ]
    model = Model(load_scenario("gft_2015", overrides), Streams(1), events=True)
    model.simulate()
    check_seller_log(model)
    m = model.metrics()
    assert m["sellers_suspended"] > 10 and m["legit_sellers_suspended"] > 0
    spells = seller_spells(model.events.table())  # type: ignore[union-attr]
    ends = {how for v in spells.values() for _, _, how in v}
    assert {"served", "ban"} <= ends
    honest = list(itertools.chain.from_iterable(v for k, v in spells.items() if not k[0]))
    assert honest, "no honest seller suspended"
    ev = model.events.table()  # type: ignore[union-attr]
    assert (ev["channel"][ev["kind"] == "sale_lost"] == "suspension").any()
    assert (ev["channel"][ev["kind"] == "hidden"] == "suspension").any()
