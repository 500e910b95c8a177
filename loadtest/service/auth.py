"""Who is calling: ``Authorization: Bearer <key>`` looked up by its SHA-256.

No or unknown key answers 401, a known key of the wrong role 403. Tenancy (which
brands or listings a principal may see) is checked by the routers, answering 404.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from typing import Literal

from fastapi import Request
from sqlalchemy import Engine, select
from starlette.concurrency import run_in_threadpool

from loadtest.service import schema as s
from loadtest.service.problems import Problem

Role = Literal["rights_holder", "account_manager", "seller", "admin"]
ROLES: tuple[Role, ...] = ("rights_holder", "account_manager", "seller", "admin")


@dataclass(frozen=True)
class Principal:
    """An authenticated caller and what it may reach."""

    id: int
    role: Role
    name: str
    brand_id: int | None = None
    seller_id: int | None = None
    brand_ids: frozenset[int] = frozenset()

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


class KeyStore:
    """Key hash -> Principal, cached per app (keys are never edited while serving)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: dict[str, Principal | None] = {}
        self._lock = threading.Lock()

    def lookup(self, key_hash: str) -> Principal | None:
        """The principal of a key hash, or None."""
        with self._lock:
            if key_hash in self._cache:
                return self._cache[key_hash]
        found = self._load(key_hash)
        with self._lock:
            if found is not None or len(self._cache) < 100_000:
                self._cache[key_hash] = found
        return found

    def cached(self, key_hash: str) -> tuple[bool, Principal | None]:
        """(hit, principal) without touching the database."""
        with self._lock:
            if key_hash in self._cache:
                return True, self._cache[key_hash]
        return False, None

    def _load(self, key_hash: str) -> Principal | None:
        p = s.principals
        with self.engine.connect() as conn:
            row = conn.execute(select(p).where(p.c.key_hash == key_hash)).first()
            if row is None:
                return None
            brand_ids: frozenset[int] = frozenset()
            if row.role == "account_manager":
                mb = s.manager_brands
                ids = conn.execute(select(mb.c.brand_id).where(mb.c.manager_id == row.id))
                brand_ids = frozenset(int(b) for (b,) in ids)
        return Principal(
            id=int(row.id),
            role=row.role,
            name=row.name,
            brand_id=row.brand_id,
            seller_id=row.seller_id,
            brand_ids=brand_ids,
        )


def bearer(request: Request) -> str | None:
    """The bearer token of a request, or None."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def principal(request: Request) -> Principal:
    """The caller, or 401."""
    token = bearer(request)
    if token is None:
        raise Problem(401, "missing bearer key", {"WWW-Authenticate": "Bearer"})
    store: KeyStore = request.app.state.keys
    digest = hash_key(token)
    hit, found = store.cached(digest)
    if not hit:
        found = await run_in_threadpool(store.lookup, digest)
    if found is None:
        raise Problem(401, "unknown or revoked key", {"WWW-Authenticate": "Bearer"})
    return found


def require(who: Principal, *roles: Role) -> Principal:
    """``who`` if its role is one of ``roles``, else 403."""
    if who.role not in roles:
        raise Problem(403, f"role {who.role} may not do this; needs {' or '.join(roles)}")
    return who
