"""Programmes as combinable rules around a notice's route (``sim.policies`` decides the
route itself): earned self-service removal with its loss and lock-out (Project Zero),
audit sampling of remove-first notices, priority classes in the review queues, the
DSA source of each notice (Art. 16 or trusted flagger), complaints by notifiers, and
who may file (the Art. 23 suspensions, ``sim.misuse``).

Each rule is off unless the scenario turns it on, and an off rule draws no random
numbers, so a scenario that uses none of them runs exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sim.agents.rights_holder import TrackRecord
from sim.review_classes import ORDINARY, PRIORITY
from sim.scenario import PROGRAMMES, Scenario
from sim.scenario_notifiers import ProjectZero as ProjectZeroConfig
from sim.traces import EventLog
from sim.types import BoolArray, IntArray

SOURCES = ("article_16", "trusted_flagger")
"""The DSA source of a notice: Art. 16 (anyone) or an Art. 22 trusted flagger."""


def notifier_programmes(scenario: Scenario, brand_programme: NDArray[np.int8]) -> NDArray[np.int8]:
    """Programme code of every notifier: the brands', then the bad-faith notifiers'."""
    abusers = scenario.abusers
    code = PROGRAMMES.index(abusers.programme)
    return np.concatenate([brand_programme, np.full(abusers.count, code, dtype=np.int8)])


class NoticeRules:
    """Per-notifier rules beyond the route, looked up by notifier id."""

    def __init__(
        self, scenario: Scenario, programme: NDArray[np.int8], rng: np.random.Generator
    ) -> None:
        first = [PROGRAMMES.index(p) for p in scenario.review_priority.first]
        self.priority: NDArray[np.int8] = np.where(
            np.isin(programme, first), PRIORITY, ORDINARY
        ).astype(np.int8)
        self.source: NDArray[np.int8] = (programme == PROGRAMMES.index("trusted_flagger")).astype(
            np.int8
        )
        audits = scenario.audits
        self.audit_share = {"project_zero": scenario.project_zero.audit_share} | dict.fromkeys(
            audits.programmes, audits.share
        )
        complaints = scenario.complaints
        self.complaint_prob = complaints.notifier_complaint_prob
        self.reversal_complaint_prob = complaints.audit_reversal_complaint_prob
        self.suspended_until_h = np.zeros(len(programme))
        # children are numbered: a third leaves the first two drawing what they drew before
        self._rng_audit, self._rng_complaint, self._rng_reversal = rng.spawn(3)

    def audits(self, route: str) -> bool:
        """Whether remove-first notices on ``route`` are audited by sampling (project_zero
        always; others when listed in the scenario's ``audits``)."""
        return route in self.audit_share

    def reviewed(self, route: str) -> bool:
        """Whether a remove-first notice on ``route`` is reviewed afterwards: always, but
        on an audited route only when sampled for an audit (else it is final on filing)."""
        share = self.audit_share.get(route)
        return share is None or bool(self._rng_audit.random() < share)

    def complains(self) -> bool:
        """Whether a notifier complains about the rejection of its notice."""
        return self.complaint_prob > 0 and bool(self._rng_complaint.random() < self.complaint_prob)

    def complains_of_reversal(self) -> bool:
        """Whether a notifier complains about an audit's reversal of its notice."""
        p = self.reversal_complaint_prob
        return p > 0 and bool(self._rng_reversal.random() < p)

    def may_file(self, notifiers: IntArray, now_h: float) -> BoolArray:
        """Which of ``notifiers`` are not suspended at ``now_h``."""
        return self.suspended_until_h[notifiers] <= now_h

    @property
    def any_suspended(self) -> bool:
        """Whether any notifier has ever been suspended (else filing needs no check)."""
        return bool(self.suspended_until_h.any())

    def action_key(self, notifier: int) -> str:
        """The aggregate counting the listings this notifier's notices take down."""
        return f"actions_source_{SOURCES[int(self.source[notifier])]}"


@dataclass
class StatusChange:
    """A notifier gaining or losing self-service removal at ``t_h``."""

    t_h: float
    notifier: int
    gained: bool


@dataclass
class EarnedSelfService:
    """Project Zero admission: members start with self-service removal (enrolment), lose it
    when their acceptance rate over the window falls below the bar (with at least
    ``min_decided`` decided notices, audits included), and regain it once the record
    qualifies again and the lock-out is over. Reviewed once a day; each loss and regain
    goes to the event log when one is kept."""

    rules: ProjectZeroConfig
    members: IntArray
    record: TrackRecord
    events: EventLog | None = None
    locked_until_h: np.ndarray = field(init=False)
    changes: list[StatusChange] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.record.self_service[self.members] = True
        self.locked_until_h = np.zeros(len(self.record.self_service))

    def review(self, day: int, now_h: float) -> None:
        """Daily: members below the bar lose self-service removal and are locked out;
        those locked out regain it once the lock-out is over and their record qualifies."""
        m = self.members
        if len(m) == 0:
            return
        window = max(1, round(self.rules.window_days))
        decided = self.record.window_sum("decided", day, window)[m]
        approved = self.record.window_sum("approved", day, window)[m]
        judged = decided >= self.rules.min_decided
        good = approved >= self.rules.min_acceptance_rate * decided
        have = self.record.self_service[m]
        lose = m[have & judged & ~good]
        gain = m[~have & judged & good & (self.locked_until_h[m] <= now_h)]
        self.record.self_service[lose] = False
        self.locked_until_h[lose] = now_h + self.rules.lockout_days * 24.0
        self.record.self_service[gain] = True
        self.changes.extend(StatusChange(now_h, int(n), False) for n in lose)
        self.changes.extend(StatusChange(now_h, int(n), True) for n in gain)
        if self.events is not None:
            self.events.add_notifiers("self_service", now_h, lose, "lost")
            self.events.add_notifiers("self_service", now_h, gain, "regained")
