"""What changed in a scenario since its baseline was made, setting by setting.

A baseline records the resolved scenario (every setting, defaults included). Comparing
that record with today's resolution names the settings whose values moved; settings the
code gained since (at their defaults, which leave a run as it was) are listed apart, so
growing the schema does not read as a changed scenario.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SHOWN = 3
"""Settings named in one note; the rest are counted."""


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted paths (as ``--set`` names them) to leaf values; lists stay whole."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, f"{path}."))
        else:
            out[path] = value
    return out


def _named(paths: list[str]) -> str:
    more = f" (+{len(paths) - SHOWN} more)" if len(paths) > SHOWN else ""
    return ", ".join(paths[:SHOWN]) + more


def drift_notes(name: str, before: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """Notes on how ``now`` (today's resolved scenario) differs from ``before`` (the
    baseline's): changed or dropped settings, then settings added since."""
    old, new = flatten(before), flatten(now)
    changed = [p for p in old if p in new and old[p] != new[p]]
    dropped = [p for p in old if p not in new]
    added = sorted(p for p in new if p not in old)
    notes = []
    if changed or dropped:
        moves = [f"{p} {old[p]!r} -> {new[p]!r}" for p in changed] + [
            f"{p} removed" for p in dropped
        ]
        notes.append(f"{name}: scenario differs from the baseline's: {_named(moves)}")
    if added:
        notes.append(
            f"{name}: settings added since the baseline, at today's values: {_named(added)}"
        )
    return notes
