"""What one load-test run is: the settings every Locust process reads at start.

The runner writes a ``RunConfig`` as JSON and passes its path to the master and each
worker (``--td-config``); the service's keys file says who may do what.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
UNIT_S = {"ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
MAX_DURATION_S = 24 * 3600.0


@dataclass(frozen=True)
class RunConfig:
    """Profile (as a dict), keys file, duration, workers, replay, where results go, and
    what the load generators need of the SLO file (warm-up, thresholds that abort)."""

    profile: dict[str, Any]
    keys_file: str
    duration_s: float
    workers: int
    out_dir: str
    seed: int
    replay: str | None = None
    speedup: float = 1.0
    warmup_s: float = 0.0  # samples recorded before this are left out of the SLO gates
    slo_text: str | None = None  # the SLO file, for thresholds that abort the run
    worker_wait_s: float = 60.0  # how long the master waits for every worker to connect
    mapping_text: str | None = None  # a service mapping (loadtest.adapters); None: reference API
    adapter: str | None = None  # package.module:Class of a Python adapter (adapters.classes)

    def write(self, path: Path) -> None:
        """Save as JSON (what ``--td-config`` points to)."""
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True))

    @classmethod
    def read(cls, path: str | Path) -> RunConfig:
        """Load a config written by ``write``; relative paths are relative to its folder.

        So a results folder holding run.json, keys.json (and the replayed trace) can be
        copied to another machine and a worker started there with ``--td-config``.
        """
        path = Path(path)
        data = json.loads(path.read_text())
        for key in ("keys_file", "out_dir", "replay"):
            if data.get(key) is not None:
                data[key] = str(path.parent / data[key])
        return cls(**data)


@dataclass(frozen=True)
class RightsHolderKey:
    """A rights holder's API key, brand and programme."""

    key: str
    brand_id: int
    program: str


@dataclass(frozen=True)
class ManagerKey:
    """An account manager's API key and the brands assigned to it."""

    key: str
    brand_ids: tuple[int, ...]


@dataclass(frozen=True)
class SellerKey:
    """A seller's API key and id."""

    key: str
    seller_id: int


@dataclass(frozen=True)
class Keys:
    """Every role's keys, as the service wrote them when it seeded its data."""

    rights_holders: tuple[RightsHolderKey, ...]
    account_managers: tuple[ManagerKey, ...]
    sellers: tuple[SellerKey, ...]

    def brand_ids(self) -> list[int]:
        """Brands that have a rights holder, sorted."""
        return sorted({rh.brand_id for rh in self.rights_holders})

    def rights_holder_for(self, brand_id: int) -> RightsHolderKey:
        """The rights holder standing in for a (simulated) brand id in a replay."""
        ordered = sorted(self.rights_holders, key=lambda r: r.brand_id)
        exact = [r for r in ordered if r.brand_id == brand_id]
        return exact[0] if exact else ordered[brand_id % len(ordered)]


def load_keys(path: str | Path) -> Keys:
    """Read the service's keys JSON; KeyError/ValueError for a malformed file."""
    data = json.loads(Path(path).read_text())
    return Keys(
        tuple(
            RightsHolderKey(str(r["key"]), int(r["brand_id"]), str(r.get("program", "standard")))
            for r in data.get("rights_holders", [])
        ),
        tuple(
            ManagerKey(str(m["key"]), tuple(int(b) for b in m.get("brand_ids", [])))
            for m in data.get("account_managers", [])
        ),
        tuple(SellerKey(str(s["key"]), int(s["seller_id"])) for s in data.get("sellers", [])),
    )


def parse_duration_s(text: str, name: str = "duration") -> float:
    """'60s', '2m', '1h' or plain seconds; ValueError naming the parameter otherwise."""
    match = DURATION.match(text)
    if not match:
        raise ValueError(f"{name} {text!r}: expected e.g. 20s, 5m or 1h")
    value = float(match[1]) * UNIT_S[match[2]]
    if not 1.0 <= value <= MAX_DURATION_S:
        raise ValueError(f"{name} {text!r}: must lie between 1s and 24h")
    return value
