"""Notifiers: bad-faith notifiers' notices, and honest brands' precision per programme and
per brand."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.market import Brands
from sim.model import Model, run
from sim.notifiers import brand_precision
from sim.rng import Streams
from sim.scenario import PROGRAMMES, Scenario, from_dict
from tests.cli_helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.toml"


def tiny(**sections: dict[str, Any]) -> Scenario:
    """A small market reviewed around the clock; each keyword extends one section."""
    base: dict[str, Any] = {
        "scenario": {"name": "tiny", "horizon_days": 20.0, "warmup_days": 0.0},
        "market": {"brands": 4},
        "legit_sellers": {"count": 40, "listings_per_seller": 3},
        "counterfeiters": {"count": 10, "arrivals_per_day": 0.0, "listings_per_day": 5.0},
        "account_managers": {"always_on": True, "evidence_request_prob": 0.0},
        "platform": {"upload_false_positive_rate": 0.0},
    }
    for name, values in sections.items():
        base[name] = {**base.get(name, {}), **values}
    return from_dict(base)


def test_without_abusers_every_notice_is_a_brands_own() -> None:
    n = run(tiny(), 3).notices
    assert len(n["t_h"]) > 0
    assert (n["notifier_id"] == n["brand_id"]).all()


def test_abusers_name_their_rivals_genuine_listings() -> None:
    """With precision 0, every bad-faith notice is invalid, filed under the notifier's own
    id (after the brands) and reviewed first (standard route)."""
    sc = tiny(abusers={"count": 3, "notices_per_day": 4.0, "listings_per_notice": 2})
    n = run(sc, 3, events=True)
    notices = n.notices
    bad = notices["notifier_id"] >= 4
    assert 3 * 4 * 20 * 0.8 < bad.sum() < 3 * 4 * 20 * 1.2  # Poisson(240): 5 sd either side
    assert not notices["valid"][bad].any()
    assert set(notices["channel"][bad]) == {"notice_and_takedown"}
    assert set(np.unique(notices["notifier_id"][bad])) <= {4, 5, 6}
    assert (notices["listings"][bad] <= 2).all()
    # each notifier attacks one rival brand only
    for who in np.unique(notices["notifier_id"][bad]):
        assert len(np.unique(notices["brand_id"][notices["notifier_id"] == who])) == 1
    # the approved ones (approve_invalid_prob 0.2) took genuine listings down
    off = run(tiny(), 3).metrics["genuine_wrongly_removed"]
    assert n.metrics["genuine_wrongly_removed"] > off


def test_abusers_cover_with_real_fakes_at_their_precision() -> None:
    """Brands and the platform find nothing and nobody is banned, so every rival always
    has fakes on show."""
    sc = tiny(
        abusers={"count": 4, "notices_per_day": 3.0, "precision": 0.5},
        rights_holders={"detection_prob": 0.0, "detection_prob_obfuscated": 0.0},
        platform={
            "upload_recall": 0.0,
            "upload_recall_obfuscated": 0.0,
            "sweep_recall": 0.0,
            "strikes": {"ladder": ["warn"]},
        },
    )
    n = run(sc, 5).notices
    bad = n["notifier_id"] >= 4
    share = n["valid"][bad].mean()
    # about 240 notices: a binomial share within 0.12 of 0.5 is over 3.7 sd; the seed is
    # fixed, so the verdict is the same every run
    assert bad.sum() > 150 and 0.38 < share < 0.62


def test_precision_per_programme() -> None:
    """Each valid notice is followed by a geometric number of misses, so a group's valid
    share is its precision; with hundreds of notices per group, 4 binomial standard
    errors either side hold for nearly any seed (and this seed is fixed)."""
    sc = tiny(
        scenario={"horizon_days": 60.0},
        market={"brands": 8},
        legit_sellers={"count": 200},
        counterfeiters={"count": 30},
        rights_holders={
            "programme_mix": {"standard": 0.5, "good_faith": 0.5},
            "notice_precision_by_programme": {"good_faith": 0.5},
            "detection_prob": 0.9,
        },
        platform={"strikes": {"ladder": ["warn"]}},  # nobody banned: the finds keep coming
    )
    model = Model(sc, Streams(2))
    model.simulate()
    n = model.notices.table()
    of_gf = model.brands.programme[n["brand_id"]] == PROGRAMMES.index("good_faith")
    for group, p in ((of_gf, 0.5), (~of_gf, 0.95)):
        k = int(group.sum())
        assert k >= 200
        assert abs(n["valid"][group].mean() - p) < 4 * math.sqrt(p * (1 - p) / k)


def test_brand_precision_spreads_around_the_programme_mean() -> None:
    sc = from_dict(
        {
            "market": {"brands": 4000},
            "rights_holders": {"notice_precision": 0.9, "notice_precision_concentration": 20.0},
        }
    )
    brands = Brands(np.ones(4000), np.zeros(4000, dtype=np.int8), np.zeros(4000, dtype=np.int64))
    p = brand_precision(sc, brands, np.random.default_rng(1))
    assert p is not None
    # Beta(18, 2): mean 0.9, sd 0.065; the mean of 4000 draws is within 0.005 (5 se)
    assert abs(p.mean() - 0.9) < 0.005
    assert 0.05 < p.std() < 0.08
    plain = from_dict({"market": {"brands": 4000}})
    assert brand_precision(plain, brands, np.random.default_rng(1)) is None


@pytest.mark.parametrize(
    ("setting", "field"),
    [
        ("abusers.count=-1", "abusers.count: bad value -1"),
        ("abusers.precision=1.5", "abusers.precision: bad value 1.5"),
        ("abusers.programme='joint_force'", "abusers.programme: bad value 'joint_force'"),
        ("abusers.listings_per_notice=301", "abusers.listings_per_notice: bad value 301"),
        ("abusers.rivals=2", "abusers.rivals: unknown key; did you mean 'rival_brands'?"),
        (
            "rights_holders.notice_precision_by_programme={gold=0.5}",
            "rights_holders.notice_precision_by_programme.gold",
        ),
    ],
)
def test_bad_notifier_settings_exit_2_naming_the_field(
    setting: str, field: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["validate", str(SMOKE), "--set", setting], capsys)
    assert code == 2 and err.count("\n") == 1 and field in err, err
