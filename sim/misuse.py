"""The DSA Art. 23 misuse policy: notifiers who often file manifestly unfounded notices
are warned, then suspended for a period.

Once a day, every notifier not suspended is judged on the notices decided in the window
(at least ``min_decided`` of them; a rejected notice counts as unfounded). Above the
threshold, a notifier not yet warned is warned; one warned at least ``grace_days`` ago
is suspended for ``suspension_days``. A suspension clears the warning, and the
notifier's record starts afresh on the day it ends. Warnings, suspensions and their ends
go to the event log when one is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.agents.rights_holder import TrackRecord
from sim.metrics import Aggregates
from sim.programmes import NoticeRules
from sim.scenario_notifiers import Misuse as MisuseConfig
from sim.traces import EventLog


@dataclass(frozen=True)
class Suspension:
    """One suspension: the notifier may not file in ``[start_h, end_h)``."""

    notifier: int
    start_h: float
    end_h: float


@dataclass
class Misuse:
    """Warnings and suspensions of notifiers; ``suspensions`` lists them in order."""

    config: MisuseConfig
    record: TrackRecord
    rules: NoticeRules
    agg: Aggregates
    suspensions: list[Suspension] = field(default_factory=list)
    warnings: int = 0

    def __post_init__(self) -> None:
        n = len(self.rules.suspended_until_h)
        self.warned_h = np.full(n, np.nan)
        self.since_day = np.zeros(n, dtype=np.int64)
        self._counted: set[int] = set()  # notifiers already counted as suspended

    @property
    def events(self) -> EventLog | None:
        """The run's event log, if kept."""
        return self.agg.events

    def review(self, day: int, now_h: float) -> None:
        """Daily: warn and suspend the notifiers whose unfounded share is too high."""
        cfg = self.config
        if not cfg.enabled:
            return
        decided, approved = self._window(day)
        free = self.rules.suspended_until_h <= now_h
        judged = decided >= cfg.min_decided
        over = free & judged & (decided - approved > cfg.unfounded_share_threshold * decided)
        with np.errstate(invalid="ignore"):
            due = over & (self.warned_h <= now_h - cfg.grace_days * 24.0)
        warn = over & np.isnan(self.warned_h)
        self.warned_h[warn] = now_h
        self.warnings += int(warn.sum())
        if self.events is not None:
            self.events.add_notifiers("notifier_warned", now_h, np.flatnonzero(warn), "misuse")
        for notifier in np.flatnonzero(due).tolist():
            self._suspend(notifier, now_h)

    def _window(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Decided and approved notices per notifier in the window, from its fresh start."""
        window = max(1, round(self.config.window_days))
        decided = self.record.window_sum("decided", day, window)
        approved = self.record.window_sum("approved", day, window)
        for n in np.flatnonzero(self.since_day > day - window + 1).tolist():
            lo = int(self.since_day[n])
            decided[n] = self.record.counts("decided")[n, lo : day + 1].sum()
            approved[n] = self.record.counts("approved")[n, lo : day + 1].sum()
        return decided, approved

    def _suspend(self, notifier: int, now_h: float) -> None:
        end_h = now_h + self.config.suspension_days * 24.0
        self.rules.suspended_until_h[notifier] = end_h
        self.suspensions.append(Suspension(notifier, now_h, end_h))
        if self.events is not None:
            one = np.array([notifier])
            self.events.add_notifiers("notifier_suspended", now_h, one, "misuse")
            if end_h <= self.agg.window.horizon_h:
                self.events.add_notifiers("notifier_suspension_ended", end_h, one, "misuse")
        self.warned_h[notifier] = np.nan
        self.since_day[notifier] = math.ceil(end_h / 24.0)
        if notifier not in self._counted and now_h >= self.agg.window.warmup_h:
            self._counted.add(notifier)
            self.agg.add("notifiers_suspended", now_h, 1.0)
