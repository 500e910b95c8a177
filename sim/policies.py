"""Enforcement strategies: how a brand's notices are handled.

Each strategy is a small object with the same interface; the model picks one per brand
from the brand's programme with a table (``POLICIES``), never a chain of type checks.
Proactive intensity and strike ladders are separate settings that combine with any of
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from sim.scenario import PROGRAMMES


class Standing(Protocol):
    """What a strategy may ask about a brand: its current good-faith status."""

    trusted: np.ndarray


class Policy(Protocol):
    """How notices of a brand in this programme are handled."""

    @property
    def name(self) -> str: ...

    @property
    def dedicated_desk(self) -> bool: ...

    @property
    def shares_leads(self) -> bool: ...

    def remove_first(self, brand: int, standing: Standing) -> bool:
        """True: remove the listings on filing and review afterwards."""
        ...


@dataclass(frozen=True)
class NoticeAndTakedown:
    """Review first; remove only once an account manager approves."""

    name: str = "notice_and_takedown"
    dedicated_desk: bool = False
    shares_leads: bool = False

    def remove_first(self, brand: int, standing: Standing) -> bool:
        return False


@dataclass(frozen=True)
class GoodFaithTakedown:
    """Brands with a qualifying track record get remove-first, review-later."""

    name: str = "good_faith"
    dedicated_desk: bool = False
    shares_leads: bool = False

    def remove_first(self, brand: int, standing: Standing) -> bool:
        return bool(standing.trusted[brand])


@dataclass(frozen=True)
class JointForce:
    """Dedicated account manager, immediate removal on notice, review afterwards, and
    low-confidence proactive hits shared with the brand as leads."""

    name: str = "joint_force"
    dedicated_desk: bool = True
    shares_leads: bool = True

    def remove_first(self, brand: int, standing: Standing) -> bool:
        return True


POLICIES: dict[str, Policy] = {
    "standard": NoticeAndTakedown(),
    "good_faith": GoodFaithTakedown(),
    "joint_force": JointForce(),
}


def policy_table() -> tuple[Policy, ...]:
    """Policies indexed by programme code (the order of ``PROGRAMMES``)."""
    return tuple(POLICIES[p] for p in PROGRAMMES)


def route_name(policy: Policy, remove_first: bool) -> str:
    """The notice trace's ``channel``: the strategy that actually handled the notice."""
    if policy.name == "good_faith" and not remove_first:
        return NoticeAndTakedown.name
    return policy.name
