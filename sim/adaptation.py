"""Learning to evade: each operator's obfuscation share rises after its fakes are
removed and decays back to the market's base share when unused.

A day with any removal of an operator's fakes (upload blocks, sweeps, notices, leads)
moves its share ``learn_rate`` of the way to ``max_obfuscation``; a day without moves it
back towards the base with time constant ``decay_days``. Rows are operator ids; a banned
operator who comes back keeps what it learnt, a newcomer starts at the base.
"""

from __future__ import annotations

import numpy as np

from sim.arrays import grown
from sim.scenario_response import Adaptation
from sim.types import FloatArray, IntArray


class Learning:
    """Per-operator obfuscation shares, updated once a day."""

    def __init__(self, config: Adaptation, base_share: float) -> None:
        self.config = config
        self.base = base_share
        self.share = np.zeros(0)
        self.hit = np.zeros(0, dtype=bool)  # removals of its fakes on the day being run
        self._decay = float(np.exp(-1.0 / config.decay_days))

    def _cover(self, n: int) -> None:
        if n > len(self.share):
            cap = max(n, 2 * len(self.share), 256)
            self.share = grown(self.share, cap, self.base)
            self.hit = grown(self.hit, cap, False)

    def shares(self, account: IntArray) -> FloatArray:
        """The obfuscation share of each posting operator."""
        if len(account):
            self._cover(int(account.max()) + 1)
        return self.share[account]

    def removed(self, account: IntArray) -> None:
        """Fakes of ``account`` (one entry each, or fewer) were removed today."""
        if len(account):
            self._cover(int(account.max()) + 1)
            self.hit[account] = True

    def close_day(self) -> None:
        """Learn from the day's removals; let the rest decay towards the base."""
        s, hit = self.share, self.hit
        top = self.config.max_obfuscation
        s[hit] += self.config.learn_rate * np.maximum(top - s[hit], 0.0)
        rest = ~hit
        s[rest] = self.base + (s[rest] - self.base) * self._decay
        hit[:] = False
