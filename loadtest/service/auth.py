"""Who is calling: ``Authorization: Bearer <key>`` looked up by its SHA-256.

No, unknown or revoked key answers 401, a known key of the wrong role 403. Tenancy
(which brands or listings a principal may see) is checked by the routers, answering 404.

Keys are cached per process. An admin's revocation or rotation writes a row into
``key_changes``; every process compares the newest row with the one it last saw at
most every ``key_refresh_s`` (on the next request after that), and empties its cache
when it changed, so a revoked key is refused everywhere within that time.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine, func, select
from starlette.concurrency import run_in_threadpool

from loadtest.service import schema as s
from loadtest.service.clock import Clock, system_clock
from loadtest.service.problems import Problem

Role = Literal["rights_holder", "account_manager", "seller", "admin"]
ROLES: tuple[Role, ...] = ("rights_holder", "account_manager", "seller", "admin")
NotifierType = Literal["rights_holder", "trusted_flagger", "other"]
MAX_UNKNOWN = 10_000  # remembered unknown key hashes (LRU): memory stays bounded
BEARER = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`")


@dataclass(frozen=True)
class Principal:
    """An authenticated caller and what it may reach."""

    id: int
    role: Role
    name: str
    brand_id: int | None = None
    seller_id: int | None = None
    brand_ids: frozenset[int] = frozenset()
    email: str | None = None
    notifier_type: str | None = None

    def sees_brand(self, brand_id: int) -> bool:
        """Whether this caller may see a brand's notices and reviews."""
        if self.role == "admin":
            return True
        if self.role == "rights_holder":
            return self.brand_id == brand_id
        return self.role == "account_manager" and brand_id in self.brand_ids


def hash_key(key: str) -> str:
    """How keys are stored: hex SHA-256 (keys are random 32-byte tokens)."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(role: Role) -> str:
    """A fresh random API key, prefixed with its role for readability."""
    return f"td_{role[:2]}_{secrets.token_urlsafe(24)}"


def normalise_bearer(header: str | None) -> str | None:
    """The token of an ``Authorization`` value, whatever the scheme's case or the spacing."""
    if not header:
        return None
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1]


class KeyStore:
    """Key hash -> Principal, cached per process and refreshed on key changes."""

    def __init__(self, engine: Engine, clock: Clock = system_clock, refresh_s: float = 0.5):
        self.engine = engine
        self.clock = clock
        self.refresh_s = refresh_s
        self._known: dict[str, Principal] = {}
        self._unknown: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._seen_change = -1
        self._checked_at = float("-inf")

    def due(self) -> bool:
        """Whether the key-change check is due."""
        return self.clock() - self._checked_at >= self.refresh_s

    def refresh(self, force: bool = False) -> None:
        """Empty the cache if any key changed since the last check (one small query)."""
        with self._refresh_lock:
            if not force and not self.due():
                return
            with self.engine.connect() as conn:
                newest = conn.execute(select(func.max(s.key_changes.c.id))).scalar()
            newest = int(newest or 0)
            with self._lock:
                if newest != self._seen_change:
                    self._known.clear()
                    self._unknown.clear()
                    self._seen_change = newest
                self._checked_at = self.clock()

    def cached(self, key_hash: str) -> tuple[bool, Principal | None]:
        """(hit, principal) without touching the database."""
        with self._lock:
            found = self._known.get(key_hash)
            if found is not None:
                return True, found
            if key_hash in self._unknown:
                self._unknown.move_to_end(key_hash)
                return True, None
        return False, None

    def lookup(self, key_hash: str) -> Principal | None:
        """The principal of a key hash, or None (call from a worker thread)."""
        self.refresh()
        hit, found = self.cached(key_hash)
        if hit:
            return found
        found = self._load(key_hash)
        with self._lock:
            if found is not None:
                self._known[key_hash] = found
            else:
                self._unknown[key_hash] = None
                while len(self._unknown) > MAX_UNKNOWN:
                    self._unknown.popitem(last=False)
        return found

    def sizes(self) -> tuple[int, int]:
        """(known, unknown) cache entries: both bounded."""
        with self._lock:
            return len(self._known), len(self._unknown)

    async def resolve(self, token: str) -> Principal | None:
        """The principal of a bearer token; the database only on a miss or a due check."""
        digest = hash_key(token)
        if not self.due():
            hit, found = self.cached(digest)
            if hit:
                return found
        return await run_in_threadpool(self.lookup, digest)

    def _load(self, key_hash: str) -> Principal | None:
        p = s.principals
        with self.engine.connect() as conn:
            row = conn.execute(
                select(p).where(p.c.key_hash == key_hash, p.c.revoked_at.is_(None))
            ).first()
            if row is None:
                return None
            brand_ids: frozenset[int] = frozenset()
            if row.role == "account_manager":
                mb = s.manager_brands
                ids = conn.execute(select(mb.c.brand_id).where(mb.c.manager_id == row.id))
                brand_ids = frozenset(int(b) for (b,) in ids)
        return Principal(
            id=int(row.id), role=row.role, name=row.name, brand_id=row.brand_id,
            seller_id=row.seller_id, brand_ids=brand_ids, email=row.email,
            notifier_type=row.notifier_type,
        )  # fmt: skip


def bearer(request: Request) -> str | None:
    """The bearer token of a request, or None."""
    return normalise_bearer(request.headers.get("authorization"))


async def principal(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
) -> Principal:
    """The caller, or 401 (the rate limiter may have resolved it already)."""
    found = request.scope.get("state", {}).get("principal")
    if found is None:
        token = bearer(request)
        if token is None:
            raise Problem(401, "missing bearer key", {"WWW-Authenticate": "Bearer"})
        store: KeyStore = request.app.state.keys
        found = await store.resolve(token)
    if found is None:
        raise Problem(401, "unknown or revoked key", {"WWW-Authenticate": "Bearer"})
    assert isinstance(found, Principal)
    return found


def require(who: Principal, *roles: Role) -> Principal:
    """``who`` if its role is one of ``roles``, else 403."""
    if who.role not in roles:
        raise Problem(403, f"role {who.role} may not do this; needs {' or '.join(roles)}")
    return who
