"""The platform: the upload classifier, periodic sweeps of live listings, leads shared
with joint-force brands, and the strike ladder.

Every decision is a vectorised draw over a batch of listings; the model applies the
resulting removals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.agents.counterfeiter import Accounts
from sim.arrays import ByteMask, run_bounds
from sim.scenario import Platform as PlatformConfig
from sim.types import BoolArray, FloatArray, IntArray

BLOCK_H = 7 * 24.0  # the "block_7d" rung


@dataclass(frozen=True)
class Screening:
    """Outcome of screening a batch: removed now, or flagged as a low-confidence lead."""

    caught: BoolArray
    lead: BoolArray


@dataclass(frozen=True)
class StrikeOutcome:
    """Accounts banned and blocked by this batch of strikes, with the times."""

    banned: IntArray
    banned_h: FloatArray
    blocked: IntArray
    blocked_h: FloatArray
    struck: IntArray  # every account that took a strike, with its time and rung
    struck_h: FloatArray
    rung: np.ndarray


class Platform:
    """Proactive detection and the strike ladder, with its own random stream."""

    def __init__(self, config: PlatformConfig, rng: np.random.Generator) -> None:
        self.config = config
        # one child stream per mechanism: upload screening draws stay in step across
        # strategies whose sweeps see different numbers of live listings, and across
        # strategies with and without leads (lead draws have streams of their own, used
        # only when there are leads to share)
        (self._rng_upload, self._rng_sweep, self._rng_fp,
         self._rng_upload_lead, self._rng_sweep_lead) = rng.spawn(5)  # fmt: skip
        ratio = (
            config.upload_recall_obfuscated / config.upload_recall if config.upload_recall else 0
        )
        self.sweep_recall_obf = min(1.0, config.sweep_recall * ratio)
        self.ladder = config.strikes.ladder
        self.gap_h = config.strikes.min_gap_days * 24.0
        self._cannot = ByteMask()  # accounts a batch cannot strike (``_could_strike``)

    @property
    def has_leads(self) -> bool:
        """Whether screening shares any leads (else it needs no enrolment flags)."""
        return self.config.lead_share > 0

    def _screen(
        self,
        obfuscated: BoolArray,
        enrolled: BoolArray | None,
        recall: float,
        recall_obf: float,
        rng: np.random.Generator,
        lead_rng: np.random.Generator,
    ) -> Screening:
        n = len(obfuscated)
        caught = rng.random(n) < np.where(obfuscated, recall_obf, recall)
        if not self.has_leads:
            return Screening(caught, np.zeros(n, dtype=bool))
        assert enrolled is not None, "a platform that shares leads needs enrolment flags"
        # among misses, a share is a low-confidence hit, shared as a lead with enrolled brands
        lead = ~caught & enrolled & (lead_rng.random(n) < self.config.lead_share)
        return Screening(caught, lead)

    def screen_uploads(self, obfuscated: BoolArray, enrolled: BoolArray | None) -> Screening:
        """The upload classifier over new fakes (``enrolled``: whether each one's brand
        takes leads; may be None when the platform shares none, see ``has_leads``)."""
        c = self.config
        recall, recall_obf = c.upload_recall, c.upload_recall_obfuscated
        return self._screen(
            obfuscated, enrolled, recall, recall_obf, self._rng_upload, self._rng_upload_lead
        )

    def sweep(self, obfuscated: BoolArray, enrolled: BoolArray | None) -> Screening:
        """A periodic sweep over live fakes (``enrolled`` as in ``screen_uploads``)."""
        recall = self.config.sweep_recall
        return self._screen(
            obfuscated,
            enrolled,
            recall,
            self.sweep_recall_obf,
            self._rng_sweep,
            self._rng_sweep_lead,
        )

    def false_positives(self, k: int) -> IntArray:
        """Which of ``k`` genuine listings (positions, increasing) the classifier wrongly
        flags when it scans them, each with ``upload_false_positive_rate``.

        Drawn as a binomial count and that many distinct positions, the same law as a
        uniform per listing at the cost of the few flagged ones (a full-size sweep
        scans 1.8 million genuine listings to flag about 900)."""
        flagged = int(self._rng_fp.binomial(k, self.config.upload_false_positive_rate))
        return np.sort(self._rng_fp.choice(k, size=flagged, replace=False)).astype(np.int64)

    def strike(self, accounts: Accounts, account: IntArray, t_h: FloatArray) -> StrikeOutcome:
        """Strikes for accounts whose listings were removed at ``t_h``.

        One strike per account per batch when strikes need a gap (batches span an hour);
        every removal is a strike when the gap is zero.
        """
        if self.gap_h > 0 and len(account):
            account, t_h = self._could_strike(accounts, account, t_h)
        if len(account) == 0:
            empty = np.empty(0, dtype=np.int64)
            return StrikeOutcome(empty, np.empty(0), empty, np.empty(0), empty, np.empty(0), empty)
        # per account: its first removal time and how many were removed (the order
        # within an account does not matter, so a plain sort and a min per group)
        order = np.argsort(account)
        acc = account[order]
        starts, ends = run_bounds(acc)
        uniq = acc[starts]
        t0 = np.minimum.reduceat(np.asarray(t_h, dtype=np.float64)[order], starts)
        n_removed = ends - starts
        live = accounts.active[uniq]
        eligible = live & (t0 - accounts.last_strike_h[uniq] >= self.gap_h)
        added = np.where(eligible, n_removed if self.gap_h == 0 else 1, 0)
        before = accounts.strikes[uniq]
        after = before + added
        accounts.strikes[uniq] = after
        accounts.last_strike_h[uniq] = np.where(eligible, t0, accounts.last_strike_h[uniq])
        ban = self._crossed(before, after, "ban")
        block = self._crossed(before, after, "block_7d") & ~ban
        # never shortening a longer block already running (an Art. 23 suspension)
        until = accounts.blocked_until_h[uniq[block]]
        accounts.blocked_until_h[uniq[block]] = np.maximum(until, t0[block] + BLOCK_H)
        got = added > 0
        rung = np.asarray(self.ladder, dtype=object)[np.minimum(after[got], len(self.ladder)) - 1]
        return StrikeOutcome(uniq[ban], t0[ban], uniq[block], t0[block], uniq[got], t0[got], rung)

    def _could_strike(
        self, accounts: Accounts, account: IntArray, t_h: FloatArray
    ) -> tuple[IntArray, FloatArray]:
        """The removals of accounts that this batch can strike: active ones whose every
        removal here is past the gap (the batch's strike is dated by its first one). The
        others gain nothing, and most removals are of accounts struck days ago, so
        dropping them first spares the sort below most of the batch."""
        t = np.broadcast_to(np.asarray(t_h, dtype=np.float64), account.shape)
        ok = accounts.active[account] & (t - accounts.last_strike_h[account] >= self.gap_h)
        if ok.all():
            return account, t
        self._cannot.cover(len(accounts.active))
        keep = ~self._cannot.isin(account, account[~ok])
        return account[keep], t[keep]

    def _crossed(self, before: IntArray, after: IntArray, rung: str) -> BoolArray:
        """Whether going from ``before`` to ``after`` strikes reaches a rung of this kind.

        Strikes past the end of the ladder repeat its last rung.
        """
        steps = [i + 1 for i, r in enumerate(self.ladder) if r == rung]
        hit = np.zeros(len(before), dtype=bool)
        for s in steps:
            hit |= (before < s) & (after >= s)
        if self.ladder[-1] == rung:
            hit |= (after > len(self.ladder)) & (after > before)
        return hit
