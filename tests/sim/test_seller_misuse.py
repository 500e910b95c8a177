"""The sellers' Art. 23 misuse policy (``sim.seller_misuse``): exact logs of its small
mechanisms, its interplay with the strike ladder, validation, and what it must show:
switching it on suspends repeat-infringing counterfeit accounts and cuts fake sales."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sim.agents.counterfeiter import Accounts
from sim.agents.platform import BLOCK_H, Platform
from sim.experiment import compare
from sim.model import Model
from sim.rng import Streams
from sim.scenario import load_scenario
from sim.seller_misuse import SellerSide, StandingRemovals
from tests.cli_helpers import run_cli
from tests.sim.test_invariants_sellers import check_seller_log, seller_spells

ON = (
    "seller_misuse.enabled=true",
    "seller_misuse.removals_threshold=2",
    "seller_misuse.grace_days=2",
    "seller_misuse.suspension_days=3",
)


def test_standing_removals_count_the_window_since_a_fresh_start() -> None:
    r = StandingRemovals(window_days=2)
    r.add(np.array([0, 1, 1]), np.array([10.0, 20.0, 30.0]))
    r.add(np.array([1]), 20.0, -1)  # the removal at 20 h was undone
    assert r.counts(3).tolist() == [1, 1, 0]  # the review at the end of day 1
    r.add(np.array([0]), 40.0)
    assert r.counts(3).tolist() == [2, 1, 0]
    assert r.counts(3).tolist() == [1, 0, 0]  # day 1's removals out of the 2-day window
    r.fresh(np.array([0]), 80.0)
    r.add(np.array([0, 0]), np.array([79.0, 81.0]))  # 79 h: before the fresh start
    assert r.counts(3).tolist() == [1, 0, 0]  # day 2's leaves uncounted: nothing below 0
    assert r.counts(3).tolist() == [1, 0, 0]
    assert r.counts(3).tolist() == [0, 0, 0]


def _model(*overrides: str) -> Model:
    """A smoke model, not run: its policy is driven by hand below."""
    return Model(load_scenario("smoke", [*ON, *overrides]), Streams(1), events=True)


def _log(model: Model) -> list[tuple[str, float, str]]:
    assert model.events is not None
    ev = model.events.table()
    mine = np.isin(ev["kind"], ["seller_warned", "seller_suspended", "seller_suspension_ended"])
    cols = (ev[c][mine].tolist() for c in ("kind", "t_h", "channel"))
    return list(zip(*cols, strict=True))


def _new_account(model: Model) -> tuple[SellerSide, int]:
    side = model.seller_misuse.sides[0]
    (account,) = model.counterfeiters.accounts.open(np.zeros(1)).tolist()  # never posts
    return side, account


def test_warning_then_suspension_after_grace_then_reinstated() -> None:
    model = _model()
    side, a = _new_account(model)
    side.removed(np.array([a, a]), np.array([1.0, 2.0]))
    for day in range(6):
        model.seller_misuse.review(day, (day + 1) * 24.0)
    assert _log(model) == [
        ("seller_warned", 24.0, "art23"),  # two removals in the window: at the threshold
        ("seller_suspended", 72.0, "art23"),  # still there two days (the grace) after the warning
        ("seller_suspension_ended", 144.0, "served"),  # three days later
    ]
    assert model.counterfeiters.accounts.blocked_until_h[a] == 144.0
    (s,) = model.seller_misuse.journal.suspensions
    assert (s.seller, s.fake, s.start_h, s.end_h) == (a, True, 72.0, 144.0)


def test_the_record_starts_afresh_after_a_suspension() -> None:
    """Removals before or during the suspension never count again."""
    model = _model()
    side, a = _new_account(model)
    side.removed(np.array([a, a, a, a]), np.array([1.0, 2.0, 100.0, 110.0]))
    for day in range(10):
        model.seller_misuse.review(day, (day + 1) * 24.0)
    assert [k for k, _, _ in _log(model)] == [
        "seller_warned",
        "seller_suspended",
        "seller_suspension_ended",
    ]


def test_a_ban_ends_a_suspension_and_a_comeback_is_clean() -> None:
    model = _model()
    side, a = _new_account(model)
    side.removed(np.array([a, a]), np.array([1.0, 2.0]))
    for day in range(3):
        model.seller_misuse.review(day, (day + 1) * 24.0)
    model.removals.ban(np.array([a]), np.array([80.0]))
    assert _log(model)[-1] == ("seller_suspension_ended", 80.0, "ban")
    assert model.seller_misuse.journal.suspensions[0].end_h == 80.0
    model.counterfeiters.accounts.active[a] = True  # the owner back under a new account
    side.removed(np.array([a]), 80.0)  # at the ban's time: the closed account's
    for day in range(3, 8):
        model.seller_misuse.review(day, (day + 1) * 24.0)
    assert len(_log(model)) == 3  # no warning: one removal since the fresh start


def test_an_undone_removal_does_not_count() -> None:
    model = _model()
    side, a = _new_account(model)
    side.removed(np.array([a, a]), np.array([1.0, 2.0]))
    side.undone(np.array([a]), 2.0)  # a rejected remove-first notice
    model.seller_misuse.review(0, 24.0)
    assert _log(model) == []


def test_honest_seller_suspended_until_the_period_ends() -> None:
    model = _model("scenario.warmup_days=0")
    side = model.seller_misuse.sides[1]
    side.removed(np.array([0, 0]), np.array([1.0, 2.0]))
    for day in range(3):
        model.seller_misuse.review(day, (day + 1) * 24.0)
    assert _log(model)[-1] == ("seller_suspended", 72.0, "art23")
    assert model.legit.accounts.blocked_until_h[0] == 144.0
    assert model.legit.suspended_until_h[0] == 144.0
    # its lost sales: tests/sim/test_invariants_sellers.py (sale_lost, channel suspension)


def test_a_ladder_block_never_shortens_a_suspension() -> None:
    sc = load_scenario(
        "smoke", ['platform.strikes.ladder=["block_7d"]', "platform.strikes.min_gap_days=0"]
    )
    platform = Platform(sc.platform, np.random.default_rng(0))
    accounts = Accounts()
    accounts.open(np.zeros(2))
    accounts.blocked_until_h[0] = 1000.0  # suspended until then
    out = platform.strike(accounts, np.array([0, 1]), np.array([5.0, 5.0]))
    assert out.blocked.tolist() == [0, 1]
    assert accounts.blocked_until_h[:2].tolist() == [1000.0, 5.0 + BLOCK_H]


def test_bad_setting_exits_2_naming_the_field(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(
        ["validate", "smoke", "--set", "seller_misuse.removals_threshold=0"], capsys
    )
    assert code == 2 and err.count("\n") == 1
    assert "seller_misuse.removals_threshold" in err
    code, _, err = run_cli(["validate", "smoke", "--set", "seller_misuse.grace=1"], capsys)
    assert code == 2 and "grace_days" in err  # the suggestion


def test_suspension_length_honoured_in_a_run() -> None:
    """Every suspension served lasts exactly suspension_days (12.5 here), and the log's
    rules hold (tests/sim/test_invariants_sellers.py). Seed 3."""
    sc = load_scenario(
        "dsa_2024_sellers", ["scenario.horizon_days=60", "seller_misuse.suspension_days=12.5"]
    )
    model = Model(sc, Streams(3), events=True)
    model.simulate()
    check_seller_log(model)
    spells = seller_spells(model.events.table())  # type: ignore[union-attr]
    served = [e - s for v in spells.values() for s, e, how in v if how == "served"]
    assert len(served) > 50 and set(served) == {12.5 * 24.0}


# --------------------------------------------------------------------------- must show

SHORT = ("scenario.horizon_days=50", "scenario.warmup_days=10")


def test_art23_suspends_counterfeiters_and_cuts_fake_sales_fast() -> None:
    """dsa_2024_sellers (Art. 23 the only account sanction; the ladder only warns) on a
    40-day measured window, with the policy off and on, 4 paired reps (seed 1).
    Measured: fake sales 5,279 off (mean of 4), 694 on, difference -4,585 [-5,298, -3,871];
    211-236 accounts suspended per rep. The interval is six half-widths away from 0."""
    off = load_scenario("dsa_2024_sellers", [*SHORT, "seller_misuse.enabled=false"])
    on = load_scenario("dsa_2024_sellers", [*SHORT, "scenario.name=art23"])
    result = compare([off, on], 4, seed=1, jobs=1)
    for metric in ("fake_sales", "fake_exposure_listing_days"):
        diff = result.difference(metric, "art23")
        assert diff.significant and diff.ci_high < 0
    assert min(result.values("sellers_suspended", "art23").values()) > 50
    assert max(result.values("sellers_suspended", "dsa_2024_sellers").values()) == 0


@pytest.mark.slow
def test_art23_cuts_fake_sales_in_ten_paired_reps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The must-show as an analyst runs it: ``takedown compare``, 10 reps, seed 1, the full
    scenario with the policy switched off beside the shipped one."""
    off = tmp_path / "art23_off.toml"
    off.write_text(
        'extends = "dsa_2024_sellers"\n[scenario]\nname = "art23_off"\n'
        "[seller_misuse]\nenabled = false\n",
        encoding="utf-8",
    )
    out = tmp_path / "cmp"
    args = ["compare", str(off), "dsa_2024_sellers", "--reps", "10", "--seed", "1"]
    code, _, err = run_cli([*args, "--jobs", "2", "--out", str(out), "--no-report"], capsys)
    assert code == 0, err
    doc = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    for metric in ("fake_sales", "fake_exposure_listing_days"):
        diff = doc["differences"][metric]["dsa_2024_sellers"]
        assert diff["significant"] and diff["ci_high"] < 0
    assert doc["metrics"]["sellers_suspended"]["dsa_2024_sellers"]["mean"] > 0
