"""Named random streams derived from one root seed.

Every actor and mechanism asks for its stream by a stable name, so adding a stream
never shifts another one, and replication ``i`` of two scenarios shares the streams
that draw the marketplace (common random numbers). ``keyed_uniforms`` goes one step
further for draws that must stay in step per row (an account's posting schedule): a
counter-based generator whose draw for a row depends on nothing but its key, row and
counter.
"""

from __future__ import annotations

import hashlib
import secrets

import numpy as np

from sim.types import FloatArray, IntArray


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


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_COUNTER_MIX = np.uint64(0xD1B54A32D192ED03)


def keyed_uniforms(key: int, rows: IntArray, counter: IntArray | int) -> FloatArray:
    """Uniforms in [0, 1), one per row, each a function of (key, row, counter) only.

    A counter-based generator (SplitMix64's finaliser over the mixed counter): drawing
    for some rows never shifts the draws of others, so an account's n-th draw is the
    same whichever other accounts draw, and in whatever order. ``key`` comes from a
    named stream; ``counter`` is one per row or one for all.
    """
    z = np.asarray(counter, dtype=np.int64).astype(np.uint64) * _COUNTER_MIX
    z ^= np.uint64(key)
    z = z + rows.astype(np.uint64) * _GOLDEN
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    z >>= np.uint64(11)
    u = z.astype(np.float64)
    u *= 2.0**-53
    return u
