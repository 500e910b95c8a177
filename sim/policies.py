"""Enforcement strategies: how a brand's notices are handled.

Each strategy is a small object with the same interface; the model picks one per brand
from the brand's programme with a table (``POLICIES``), never a chain of type checks.
What a review decision then does to a notice's listings depends only on the route the
strategy chose (remove first or review first) and on the notice's validity: a second
table (``CONSEQUENCES``). Proactive intensity and strike ladders are separate settings
that combine with any of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from sim.scenario import PROGRAMMES


class Standing(Protocol):
    """What a strategy may ask about a notifier: its current good-faith status and its
    earned self-service removal (Project Zero)."""

    trusted: np.ndarray
    self_service: np.ndarray


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


@dataclass(frozen=True)
class ProjectZero:
    """Self-service removal while earned: remove on filing, no review first, a sample
    audited afterwards (``sim.programmes``); review first while locked out."""

    name: str = "project_zero"
    dedicated_desk: bool = False
    shares_leads: bool = False

    def remove_first(self, brand: int, standing: Standing) -> bool:
        return bool(standing.self_service[brand])


@dataclass(frozen=True)
class TrustedFlagger:
    """DSA Art. 22: review first, but ahead of other notices when the review queues have
    priority classes (``review_priority``)."""

    name: str = "trusted_flagger"
    dedicated_desk: bool = False
    shares_leads: bool = False

    def remove_first(self, brand: int, standing: Standing) -> bool:
        return False


POLICIES: dict[str, Policy] = {
    "standard": NoticeAndTakedown(),
    "good_faith": GoodFaithTakedown(),
    "joint_force": JointForce(),
    "project_zero": ProjectZero(),
    "trusted_flagger": TrustedFlagger(),
}


def policy_table() -> tuple[Policy, ...]:
    """Policies indexed by programme code (the order of ``PROGRAMMES``)."""
    return tuple(POLICIES[p] for p in PROGRAMMES)


def route_name(policy: Policy, remove_first: bool) -> str:
    """The notice trace's ``channel``: the strategy that actually handled the notice."""
    if policy.name in ("good_faith", "project_zero") and not remove_first:
        return NoticeAndTakedown.name
    return policy.name


@dataclass(frozen=True, slots=True)
class Consequence:
    """What a review decision does to a notice's listings, beyond what filing did.

    A remove-first notice's listings came down when it was filed; a review-first one's
    come down only if it is approved. Listings no longer under a notice are released
    (a later notice may name them again); sellers may counter-notify genuine listings a
    notice wrongly took down, and the counter-notices count against the brand."""

    take_down: bool = False  # the listings come down, at the decision's time
    release: bool = False  # the listings are no longer under notice
    contest: bool = False  # sellers may counter-notify what the notice took down
    restore: bool = False  # listings taken down on filing go back up


# (approved, valid, remove_first) -> its consequence. A valid notice's fakes are never
# released once approved: they are down or come down. Fakes a remove-first notice took
# down go back up when the notice is wrongly rejected, as genuine listings do: the
# review decides, whatever the listing really is.
CONSEQUENCES: dict[tuple[bool, bool, bool], Consequence] = {
    (True, True, False): Consequence(take_down=True),
    (True, True, True): Consequence(),
    (True, False, False): Consequence(take_down=True, release=True, contest=True),
    (True, False, True): Consequence(release=True, contest=True),
    (False, True, False): Consequence(release=True),
    (False, True, True): Consequence(release=True, restore=True),
    (False, False, False): Consequence(release=True),
    (False, False, True): Consequence(release=True, restore=True),
}


def consequence(approved: bool, valid: bool, remove_first: bool) -> Consequence:
    """What deciding a notice does, by the decision, the notice's validity and its route."""
    return CONSEQUENCES[(approved, valid, remove_first)]
