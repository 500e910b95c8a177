"""Named random streams derived from one root seed.

Every actor and mechanism asks for its stream by a stable name, so adding a stream
never shifts another one, and replication ``i`` of two scenarios shares the streams
that draw the marketplace (common random numbers).
"""

from __future__ import annotations

import hashlib
import secrets

import numpy as np


def draw_seed() -> int:
    """A fresh root seed, drawn at run time (never at import) so it can be recorded."""
    return secrets.randbits(63)


def _name_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


class Streams:
    """Factory of independent ``numpy.random.Generator``s keyed by name."""

    def __init__(self, seed: int) -> None:
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.seed = seed

    def get(self, name: str) -> np.random.Generator:
        """The generator for ``name``; the same name always gives the same sequence."""
        ss = np.random.SeedSequence(entropy=self.seed, spawn_key=(_name_key(name),))
        return np.random.Generator(np.random.PCG64(ss))

    def __repr__(self) -> str:
        return f"Streams(seed={self.seed})"
