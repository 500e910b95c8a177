"""Seed the service from a scenario's synthetic market: brands, sellers, listings, keys.

Names come from Faker and every choice from named random streams, so a seed gives
the same market every time; the API keys themselves are fresh random tokens, stored
only as SHA-256 hashes. Returns the keys in the JSON shape the load test reads.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, insert

from loadtest.service import schema as s
from loadtest.service.auth import Role, hash_key, new_key
from sim.rng import Streams
from sim.scenario import PROGRAMMES, Scenario

MAX_SELLERS_PER_KIND = 5_000  # keeps seeding a large scenario to seconds
MAX_FAKES_PER_COUNTERFEITER = 20
PRODUCT_WORDS = ("bag", "watch", "shoe", "wallet", "scarf", "belt", "sneaker", "perfume")


def programme_counts(mix: Mapping[str, float], brands: int) -> dict[str, int]:
    """Brands per programme by largest remainder, at least one per positive share."""
    positive = [p for p in PROGRAMMES if mix.get(p, 0.0) > 0]
    total = sum(mix[p] for p in positive)
    counts: dict[str, int] = {p: 1 if brands >= len(positive) else 0 for p in positive}
    rest = brands - sum(counts.values())
    exact = {p: rest * mix[p] / total for p in positive}
    for p in positive:
        counts[p] += int(exact[p])
    left = brands - sum(counts.values())
    by_remainder = sorted(positive, key=lambda p: (-(exact[p] - int(exact[p])), p))
    for p in by_remainder[:left]:
        counts[p] += 1
    return counts


class _Keys:
    """Creates principals and remembers their plain keys for the keys file."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, role: Role, name: str, brand_id: int | None = None,
            seller_id: int | None = None) -> tuple[int, str]:  # fmt: skip
        key = new_key(role)
        values = {"role": role, "key_hash": hash_key(key), "name": name,
                  "brand_id": brand_id, "seller_id": seller_id}  # fmt: skip
        pid = self.conn.execute(s.principals.insert().values(**values)).inserted_primary_key[0]  # type: ignore[index]
        return int(pid), key


def _brands(conn: Connection, sc: Scenario, streams: Streams, fake: Any) -> list[tuple[int, str]]:
    mix = {str(k): float(v) for k, v in sc.rights_holders.programme_mix.items()}
    counts = programme_counts(mix, sc.market.brands)
    programmes = [p for p in PROGRAMMES for _ in range(counts.get(p, 0))]
    order = streams.get("seed.programmes").permutation(len(programmes))
    out = []
    for i in order:
        name = fake.unique.company()
        bid = conn.execute(s.brands.insert().values(name=name, program=programmes[i]))
        out.append((int(bid.inserted_primary_key[0]), programmes[i]))  # type: ignore[index]
    return out


def _sellers(conn: Connection, kind: str, n: int, fake: Any) -> list[int]:
    ids = []
    for _ in range(min(n, MAX_SELLERS_PER_KIND)):
        row = conn.execute(s.sellers.insert().values(name=fake.unique.user_name(), kind=kind))
        ids.append(int(row.inserted_primary_key[0]))  # type: ignore[index]
    return ids


def _listings(
    conn: Connection, sc: Scenario, streams: Streams, brand_ids: list[int], legit: list[int],
    fakes: list[int], now: float,
) -> int:  # fmt: skip
    rng = streams.get("seed.listings")
    ranks = np.arange(1, len(brand_ids) + 1, dtype=float)
    weights = ranks**-sc.market.popularity_zipf_s
    weights /= weights.sum()
    per_fake = int(np.clip(round(sc.counterfeiters.listings_per_day.mean), 1,
                           MAX_FAKES_PER_COUNTERFEITER))  # fmt: skip
    owners = [(sid, False) for sid in legit for _ in range(sc.legit_sellers.listings_per_seller)]
    owners += [(sid, True) for sid in fakes for _ in range(per_fake)]
    brands = rng.choice(len(brand_ids), size=len(owners), p=weights)
    words = rng.integers(len(PRODUCT_WORDS), size=len(owners))
    models = rng.integers(sc.market.products_per_brand, size=len(owners))
    prices = sc.market.genuine_price_usd.sample(rng, len(owners))
    rows = [
        {
            "seller_id": sid, "brand_id": brand_ids[int(b)],
            "title": f"{PRODUCT_WORDS[int(w)]} model {int(m) + 1}",
            "price_usd": round(max(float(p) * (1 - sc.market.fake_price_discount if fake_ else 1),
                                   0.01), 2),
            "is_fake": fake_, "status": "live", "created_at": now,
        }
        for (sid, fake_), b, w, m, p in zip(owners, brands, words, models, prices, strict=True)
    ]  # fmt: skip
    for start in range(0, len(rows), 5_000):
        conn.execute(insert(s.listings), rows[start : start + 5_000])
    return len(rows)


def _managers(conn: Connection, sc: Scenario, brands: list[tuple[int, str]], keys: _Keys,
              fake: Any) -> list[dict[str, Any]]:  # fmt: skip
    """Pool members share the non-enrolled brands; each joint_force brand gets its own."""
    pool_brands = [b for b, p in brands if p != "joint_force"]
    groups: list[list[int]] = []
    if pool_brands:
        groups += [pool_brands] * max(sc.account_managers.pool_size, 1)
    for b, p in brands:
        if p == "joint_force":
            groups += [[b]] * max(sc.account_managers.dedicated_per_enrolled_brand, 1)
    out = []
    for group in groups:
        pid, key = keys.add("account_manager", fake.name())
        conn.execute(s.manager_brands.insert(), [{"manager_id": pid, "brand_id": b} for b in group])
        out.append({"key": key, "brand_ids": sorted(group)})
    return out


def _params(conn: Connection, sc: Scenario) -> None:
    gf, day_s = sc.good_faith, 86400.0
    values = {
        "gf_min_success_rate": gf.min_success_rate,
        "gf_max_counter_notice_rate": gf.max_counter_notice_rate,
        "gf_window_s": sc.rights_holders.track_record_window_days * day_s,
        "gf_lockout_s": gf.lockout_days * day_s,
    }
    conn.execute(s.params.insert(), [{"name": k, "value": v} for k, v in values.items()])


def seed_market(engine: Engine, sc: Scenario, seed: int) -> dict[str, Any]:
    """Fill an empty, migrated database; returns the keys document."""
    from faker import Faker

    streams = Streams(seed)
    fake = Faker()
    fake.seed_instance(int(streams.get("seed.names").integers(2**31)))
    now = time.time()
    with engine.begin() as conn:
        keys = _Keys(conn)
        _params(conn, sc)
        brands = _brands(conn, sc, streams, fake)
        legit = _sellers(conn, "legit", sc.legit_sellers.count, fake)
        fakes = _sellers(conn, "counterfeit", sc.counterfeiters.count, fake)
        _listings(conn, sc, streams, [b for b, _ in brands], legit, fakes, now)
        _, admin_key = keys.add("admin", "admin")
        holders = []
        for bid, program in brands:
            _, key = keys.add("rights_holder", f"brand {bid}", brand_id=bid)
            holders.append({"key": key, "brand_id": bid, "program": program})
        managers = _managers(conn, sc, brands, keys, fake)
        sellers = []
        for sid, kind in [(i, "legit") for i in legit] + [(i, "counterfeit") for i in fakes]:
            _, key = keys.add("seller", f"seller {sid}", seller_id=sid)
            sellers.append({"key": key, "seller_id": sid, "kind": kind})
    return {
        "admin": {"key": admin_key},
        "rights_holders": holders,
        "account_managers": managers,
        "sellers": sellers,
    }


def write_keys(path: Path, keys: dict[str, Any]) -> None:
    """Write the keys file readable by its owner only, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(keys, fh, indent=1)
    os.replace(tmp, path)
