"""What each role does with one arrival, through the client (never with URLs).

Each behaviour's first, defining request is timed from the arrival's intended start
(``since``): a notice from when the brand meant to file it, a claim from when the
manager meant to look. Preparatory and follow-up requests are timed from their send.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from loadtest import client as api
from loadtest.arrivals import Arrival
from loadtest.draws import Draws
from loadtest.harness import Harness
from loadtest.replay import ReplayNotice

WORDS = ("bag", "watch", "shoe", "wallet", "scarf", "belt", "sneaker", "perfume")


@dataclass
class Actor:
    """One Locust user's means: the client, its random stream and the process's harness
    (``draws``: the same stream's uniforms in blocks, for the shoppers' hot path)."""

    client: api.TakedownClient
    rng: np.random.Generator
    harness: Harness
    draws: Draws = field(init=False)

    def __post_init__(self) -> None:
        self.draws = Draws(self.rng)


def _listing_count(actor: Actor) -> int:
    rh = actor.harness.profile.rights_holder
    return int(min(actor.rng.geometric(1.0 / rh.listings_mean), rh.listings_max))


def _pick_listings(
    actor: Actor, items: list[dict[str, Any]], n: int, valid: bool
) -> list[dict[str, Any]]:
    """``n`` listings, fakes when ``valid`` and the data says which are fakes."""
    flagged = [i for i in items if api.is_fake(i) is valid]
    pool = flagged if len(flagged) >= n else items
    if not pool:
        return []
    idx = actor.rng.choice(len(pool), size=min(n, len(pool)), replace=False)
    chosen = [pool[int(i)] for i in sorted(idx)]
    taken = {id(c) for c in chosen}
    items[:] = [i for i in items if id(i) not in taken]  # others in this process pick others
    return chosen


def _named_before(actor: Actor, brand_id: int, n: int) -> list[int]:
    """Listings of the brand seen before: when its sweep finds nothing new, a brand
    names these again (the service records them as already removed or pending)."""
    known = actor.harness.brand_known.get(brand_id, [])
    if not known:
        return []
    idx = actor.rng.choice(len(known), size=min(n, len(known)), replace=False)
    return sorted(known[int(i)] for i in idx)


def file_notice(actor: Actor, arrival: Arrival, payload: ReplayNotice | None) -> None:
    """A rights holder files a notice and the harness follows its listings to 410."""
    h, rh = actor.harness, actor.harness.profile.rights_holder
    if payload is not None:
        who = h.keys.rights_holder_for(payload.brand_id)
        n, valid = payload.listings, payload.valid
    else:
        own = h.own_rights_holders()  # a brand's notices come from the process that sweeps it
        who = own[int(actor.rng.integers(len(own)))]
        n, valid = _listing_count(actor), bool(actor.rng.random() < rh.precision)
    chosen = _pick_listings(actor, h.brand_listings(who.brand_id), n, valid)
    ids = [int(c["id"]) for c in chosen]
    if len(ids) < n:  # a big notice also names listings the brand saw before
        taken = set(ids)
        ids += [i for i in _named_before(actor, who.brand_id, n) if i not in taken][: n - len(ids)]
    if not ids:
        h.e2e["nothing_to_name"] += 1
        if payload is not None:  # a row of the trace that could not be sent: counted
            h.replay_unnamed.append((payload.row, h.since_start_s()))
        return
    if payload is not None:
        h.replay_sent.append((payload.row, h.since_start_s()))
    reply = actor.client.file_notice(who.key, ids, "counterfeit", "test purchase", arrival.intended)
    if not reply.ok:
        return
    nid = api.notice_id(reply)
    if nid is not None:
        h.filed_notices.append((who.key, nid))
    created = api.notice_created_at(reply)
    program = api.notice_program(reply, who.program)
    for listing_id in api.newly_named(reply, ids)[: h.profile.e2e.per_notice]:
        h.follow(listing_id, program, arrival.intended, created)


def rights_holder(actor: Actor, arrival: Arrival) -> None:
    """File a notice (most arrivals), read the brand's notices, or message about one."""
    h, rh = actor.harness, actor.harness.profile.rights_holder
    if arrival.payload is not None:
        file_notice(actor, arrival, arrival.payload)
        return
    u = actor.rng.random()
    if u < rh.read_share:
        own = h.own_rights_holders()
        who = own[int(actor.rng.integers(len(own)))]
        actor.client.list_notices(who.key, arrival.intended)
    elif u < rh.read_share + rh.message_share and h.filed_notices:
        key, nid = h.filed_notices[int(actor.rng.integers(len(h.filed_notices)))]
        actor.client.post_message(key, nid, "Further evidence attached.", arrival.intended)
    else:
        file_notice(actor, arrival, None)


def account_manager(actor: Actor, arrival: Arrival) -> None:
    """Claim review items, then decide each after some thought."""
    import gevent

    h, am = actor.harness, actor.harness.profile.account_manager
    if not h.keys.account_managers:
        return
    who = h.keys.account_managers[int(actor.rng.integers(len(h.keys.account_managers)))]
    items = api.claimed_items(actor.client.claim(who.key, am.claim_limit, arrival.intended))
    for item in items:
        gevent.sleep(am.think_s)
        actor.client.decide(who.key, item, bool(actor.rng.random() < am.approve_share))


def shopper(actor: Actor, arrival: Arrival) -> None:
    """Browse a brand, search, or view a listing seen before (the read load)."""
    h, draws = actor.harness, actor.draws
    kind = draws.pick(h.shopper_cdf)
    if kind == 2 and h.seen_listings:
        listing_id = h.seen_listings[draws.index(len(h.seen_listings))]
        actor.client.listing(listing_id, arrival.intended)
        return
    if kind == 1:
        reply = actor.client.search(WORDS[draws.index(len(WORDS))], 20, arrival.intended)
    else:
        brands = h.brand_list
        reply = actor.client.browse(brands[draws.index(len(brands))], 20, arrival.intended)
    if h.shoppers_view:  # keep what they saw, for the views
        h.seen_listings.extend(int(i["id"]) for i in api.listing_items(reply) if "id" in i)


def seller(actor: Actor, arrival: Arrival) -> None:
    """List something new, or check an own listing and contest its removal."""
    h = actor.harness
    if not h.keys.sellers:
        return
    who = h.keys.sellers[int(actor.rng.integers(len(h.keys.sellers)))]
    own = h.own_listings.setdefault(who.key, deque(maxlen=50))
    if own and actor.rng.random() < h.profile.seller.counter_share:
        listing_id = own[int(actor.rng.integers(len(own)))]
        reply = actor.client.listing(listing_id, arrival.intended)
        if reply.status == 410:
            actor.client.counter_notice(
                who.key, listing_id, "Genuine item, invoice attached.", None
            )
        return
    brands = h.keys.brand_ids() or [1]
    fields = {
        "brand_id": brands[int(actor.rng.integers(len(brands)))],
        "title": f"{actor.rng.choice(WORDS)} {int(actor.rng.integers(1000, 9999))}",
        "price_usd": round(float(actor.rng.uniform(5, 500)), 2),
    }
    reply = actor.client.create_listing(who.key, fields, arrival.intended)
    body = reply.body if isinstance(reply.body, dict) else {}
    if reply.ok and "id" in body:
        own.append(int(body["id"]))


BEHAVIOURS: dict[str, Callable[[Actor, Arrival], None]] = {
    "rights_holder": rights_holder,
    "account_manager": account_manager,
    "shopper": shopper,
    "seller": seller,
}


def defining_request(h: Harness, arrival: Arrival, rng: np.random.Generator) -> str:
    """The request name an arrival's behaviour would have started with, drawn with the
    profile's mix (for an arrival that was dropped before any user could perform it)."""
    prof, role = h.profile, arrival.role
    if role == "rights_holder":
        if arrival.payload is not None:
            return api.NOTICE_CREATE
        u = rng.random()
        rh = prof.rights_holder
        if u < rh.read_share:
            return api.NOTICE_LIST
        if u < rh.read_share + rh.message_share and h.filed_notices:
            return api.MESSAGE_POST
        return api.NOTICE_CREATE
    if role == "account_manager":
        return api.CLAIM
    if role == "shopper":
        mix = prof.shopper
        weights = np.array([mix.browse, mix.search, mix.view])
        kind = int(rng.choice(3, p=weights / weights.sum()))
        if kind == 2 and h.seen_listings:
            return api.LISTING_GET
        return api.LISTING_SEARCH if kind == 1 else api.LISTING_BROWSE
    if role == "seller":
        return api.LISTING_GET if rng.random() < prof.seller.counter_share else api.LISTING_CREATE
    raise ValueError(f"unknown role {role!r}")


def perform(actor: Actor, role: str, arrival: Arrival) -> float:
    """Run one arrival of ``role``; returns the start lag (s) from its intended time."""
    lag_s = time.perf_counter() - arrival.intended
    BEHAVIOURS[role](actor, arrival)
    return lag_s
