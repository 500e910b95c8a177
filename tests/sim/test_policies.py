"""Strategies: one interface, picked per programme from a table."""

from __future__ import annotations

import itertools

import numpy as np

from sim.policies import CONSEQUENCES, POLICIES, consequence, policy_table, route_name
from sim.scenario import PROGRAMMES


class Standing:
    def __init__(self, trusted: list[bool], self_service: list[bool] | None = None) -> None:
        self.trusted = np.asarray(trusted)
        self.self_service = np.asarray(self_service or [False] * len(trusted))


def test_table_covers_every_programme_in_order() -> None:
    assert set(POLICIES) == set(PROGRAMMES)
    assert [p.name for p in policy_table()] == [
        "notice_and_takedown",
        "good_faith",
        "joint_force",
        "project_zero",
        "trusted_flagger",
    ]


def test_remove_first_rules() -> None:
    standing = Standing([True, False])
    assert not POLICIES["standard"].remove_first(0, standing)
    assert POLICIES["good_faith"].remove_first(0, standing)
    assert not POLICIES["good_faith"].remove_first(1, standing)
    assert POLICIES["joint_force"].remove_first(1, standing)
    earned = Standing([True, True], self_service=[True, False])
    assert POLICIES["project_zero"].remove_first(0, earned)
    assert not POLICIES["project_zero"].remove_first(1, earned)
    assert not POLICIES["trusted_flagger"].remove_first(0, earned)  # priority, not removal


def test_only_joint_force_gets_desks_and_leads() -> None:
    assert [p.dedicated_desk for p in policy_table()] == [False, False, True, False, False]
    assert [p.shares_leads for p in policy_table()] == [False, False, True, False, False]


def test_route_name_shows_who_handled_the_notice() -> None:
    gf = POLICIES["good_faith"]
    assert route_name(gf, True) == "good_faith"
    assert route_name(gf, False) == "notice_and_takedown"
    assert route_name(POLICIES["joint_force"], True) == "joint_force"
    assert route_name(POLICIES["project_zero"], True) == "project_zero"
    assert route_name(POLICIES["project_zero"], False) == "notice_and_takedown"
    assert route_name(POLICIES["trusted_flagger"], False) == "trusted_flagger"


def test_consequences_cover_every_decision_validity_and_route() -> None:
    assert set(CONSEQUENCES) == set(itertools.product((True, False), repeat=3))
    assert consequence(True, False, True) is CONSEQUENCES[(True, False, True)]


def test_only_approved_review_first_notices_take_down_on_decision() -> None:
    for (approved, _valid, first), then in CONSEQUENCES.items():
        assert then.take_down == (approved and not first)


def test_approved_fakes_stay_under_notice_and_rejected_listings_are_released() -> None:
    for (approved, valid, _first), then in CONSEQUENCES.items():
        assert then.release == (not approved or not valid)


def test_only_wrongly_approved_notices_are_contested_and_rejected_ones_restored() -> None:
    contested = {k for k, then in CONSEQUENCES.items() if then.contest}
    restored = {k for k, then in CONSEQUENCES.items() if then.restore}
    assert contested == {(True, False, False), (True, False, True)}
    # whatever a remove-first notice took down goes back up when the review rejects it
    assert restored == {(False, False, True), (False, True, True)}
