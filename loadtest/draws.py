"""Random draws on a user's hot path, without numpy's per-call cost.

A numpy ``Generator`` takes its bit generator's lock on every call; under gevent that
lock is a Python-level object, so one scalar draw costs more than the request work
around it. ``Draws`` takes a user's uniforms from its own stream in blocks, in the
stream's order, and ``pick`` chooses from a mix the way ``Generator.choice(p=...)``
does (the same cumulative weights, compared with one uniform), so a seeded run stays
reproducible.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

import numpy as np

BLOCK = 256  # uniforms drawn per call to the generator


class Draws:
    """Uniforms in [0, 1) from ``rng``, ``BLOCK`` at a time."""

    __slots__ = ("_left", "rng")

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._left: list[float] = []

    def uniform(self) -> float:
        """The stream's next uniform."""
        if not self._left:
            self._left = self.rng.random(BLOCK).tolist()[::-1]
        return self._left.pop()

    def index(self, n: int) -> int:
        """A uniform index below ``n`` (n >= 1)."""
        return min(int(self.uniform() * n), n - 1)

    def pick(self, cdf: Sequence[float]) -> int:
        """An index drawn with the weights whose ``mix_cdf`` is ``cdf``."""
        return bisect_right(cdf, self.uniform())


def mix_cdf(weights: Sequence[float]) -> tuple[float, ...]:
    """Cumulative shares of ``weights``, computed as ``Generator.choice`` computes them."""
    p = np.asarray(weights, dtype=float)
    cdf = (p / p.sum()).cumsum()
    cdf /= cdf[-1]
    return tuple(float(x) for x in cdf)
