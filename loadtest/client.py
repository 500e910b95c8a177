"""The takedown API as the load test sees it: the one place that knows URLs and payloads.

Role users call ``TakedownClient`` methods; a ``Transport`` carries the requests. A
service with another API is reached through a mapping (``loadtest.adapters``), whose
client offers the same methods; never change the users.

``LocustTransport`` reports each request to Locust under a stable name and into the
harness's HDR recorder, measuring the first request of an arrival from the
arrival's intended start (``since``) rather than from when it was sent.
"""

from __future__ import annotations

import json as json_module
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

from loadtest.service.models import notice_elements

# Stable request names: Locust's stats rows, the HDR series and SLO metric keys.
NOTICE_CREATE = "POST /v1/notices"
NOTICE_LIST = "GET /v1/notices"
NOTICE_GET = "GET /v1/notices/{id}"
MESSAGE_POST = "POST /v1/notices/{id}/messages"
MESSAGE_LIST = "GET /v1/notices/{id}/messages"
CLAIM = "POST /v1/review-queue/claim"
DECIDE = "POST /v1/notices/{id}/decision"
COUNTER_DECIDE = "POST /v1/counter-notices/{id}/decision"
LISTING_BROWSE = "GET /v1/listings"
LISTING_SEARCH = "GET /v1/listings?q"
LISTING_SWEEP = "GET /v1/listings (brand sweep)"
LISTING_GET = "GET /v1/listings/{id}"
LISTING_POLL = "GET /v1/listings/{id} (e2e poll)"
LISTING_CREATE = "POST /v1/listings"
COUNTER_CREATE = "POST /v1/listings/{id}/counter-notices"
REMOVAL_STREAM = "GET /v1/removals/stream (e2e stream)"
REMOVAL_STREAM_PATH = "/v1/removals/stream"
REQUEST_NAMES = (
    NOTICE_CREATE,
    NOTICE_LIST,
    NOTICE_GET,
    MESSAGE_POST,
    MESSAGE_LIST,
    CLAIM,
    DECIDE,
    COUNTER_DECIDE,
    LISTING_BROWSE,
    LISTING_SEARCH,
    LISTING_SWEEP,
    LISTING_GET,
    LISTING_POLL,
    LISTING_CREATE,
    COUNTER_CREATE,
    REMOVAL_STREAM,
)


class Reply:
    """Status and parsed JSON body (None when not JSON) of one request.

    A reply built from a response's raw bytes (``Reply.of_bytes``) parses them on the
    first look at ``body``: most replies of a load test are never read.
    """

    __slots__ = ("_body", "_raw", "ok", "status")

    def __init__(self, status: int, body: Any, ok: bool) -> None:
        self.status, self._body, self.ok = status, body, ok
        self._raw: bytes | None = None

    @classmethod
    def of_bytes(cls, status: int, raw: bytes | None, ok: bool) -> Reply:
        """A reply whose body is ``raw`` JSON, parsed when first read."""
        reply = cls(status, None, ok)
        reply._raw = raw or None
        return reply

    @property
    def body(self) -> Any:
        """The JSON body (None when empty or not JSON)."""
        if self._raw is not None:
            raw, self._raw = self._raw, None
            try:
                self._body = json_module.loads(raw)
            except ValueError:
                self._body = None
        return self._body

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Reply):
            return NotImplemented
        return (self.status, self.body, self.ok) == (other.status, other.body, other.ok)

    __hash__ = None  # type: ignore[assignment]  # mutable (its body is parsed lazily)

    def __repr__(self) -> str:
        return f"Reply(status={self.status!r}, body={self.body!r}, ok={self.ok!r})"


class Transport(Protocol):
    """Sends one request; ``since`` (perf_counter s) is when the arrival meant to start."""

    def send(
        self,
        method: str,
        path: str,
        *,
        name: str,
        key: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        expect: Iterable[int] = (200,),
        since: float | None = None,
    ) -> Reply: ...


Record = Callable[[str, float, bool], None]
Check = Callable[[str, int, "Reply", float], None]  # (name, status, reply, seconds)


class LocustTransport:
    """Transport over a Locust ``FastHttpSession``, reporting to Locust and an HDR recorder
    (and to ``check``, which runs the SLO file's content checks on each response)."""

    def __init__(
        self,
        session: Any,
        record: Record | None = None,
        check: Check | None = None,
        auth: tuple[str, str] = ("Authorization", "Bearer "),  # (header, text before the key)
    ):
        self.session = session
        self.record = record
        self.check = check
        self.auth = auth

    def send(
        self,
        method: str,
        path: str,
        *,
        name: str,
        key: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        expect: Iterable[int] = (200,),
        since: float | None = None,
    ) -> Reply:
        headers = {self.auth[0]: f"{self.auth[1]}{key}"} if key else None
        start = time.perf_counter() if since is None else since
        url = path if not params else f"{path}?{query(params)}"
        with self.session.request(
            method, url, name=name, json=json, headers=headers, catch_response=True
        ) as resp:
            elapsed_s = time.perf_counter() - start
            status = int(resp.status_code or 0)
            ok = status in expect
            reply = Reply.of_bytes(status, resp.content, ok)
            # Locust's own tables then show the same from-intended-start latency
            resp.request_meta["response_time"] = elapsed_s * 1000.0
            if ok:
                resp.success()
            else:
                resp.failure(f"HTTP {status}")
        if self.record is not None:
            self.record(name, elapsed_s, ok)
        if self.check is not None:
            self.check(name, status, reply, elapsed_s)
        return reply


def query(params: dict[str, Any]) -> str:
    """A query string; whole numbers go as they are, other values URL-encoded."""
    from urllib.parse import quote_plus

    return "&".join(
        f"{k}={v}" if type(v) is int else f"{quote_plus(str(k))}={quote_plus(str(v))}"
        for k, v in params.items()
        if v is not None
    )


def parse_time(value: Any) -> float | None:
    """A service timestamp (ISO 8601 text or epoch seconds) as epoch seconds."""
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def _items(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return [i for i in body["items"] if isinstance(i, dict)]
    if isinstance(body, list):
        return [i for i in body if isinstance(i, dict)]
    return []


class TakedownClient:
    """The API's operations, one method each, over any Transport."""

    def __init__(self, transport: Transport) -> None:
        self.t = transport

    # -- rights holders
    def file_notice(
        self, key: str, listing_ids: list[int], reason: str, evidence: str, since: float | None
    ) -> Reply:
        """File a notice naming ``listing_ids`` (1..300)."""
        body: dict[str, object] = {
            "listing_ids": listing_ids,
            "reason": reason,
            "evidence": evidence,
            **notice_elements(listing_ids),
        }
        return self.t.send(
            "POST", "/v1/notices", name=NOTICE_CREATE, key=key, json=body, expect=(200, 201),
            since=since,
        )  # fmt: skip

    def list_notices(self, key: str, since: float | None) -> Reply:
        """The rights holder's own notices, newest first."""
        return self.t.send(
            "GET", "/v1/notices", name=NOTICE_LIST, key=key, params={"limit": 20}, since=since
        )

    def post_message(self, key: str, notice_id: int, text: str, since: float | None) -> Reply:
        """A message on a notice's thread (rights holder or account manager)."""
        path = f"/v1/notices/{notice_id}/messages"
        return self.t.send(
            "POST", path, name=MESSAGE_POST, key=key, json={"body": text}, expect=(200, 201),
            since=since,
        )  # fmt: skip

    # -- account managers
    def claim(self, key: str, limit: int, since: float | None) -> Reply:
        """Lease up to ``limit`` pending review items of the manager's brands."""
        return self.t.send(
            "POST", "/v1/review-queue/claim", name=CLAIM, key=key, json={"limit": limit},
            expect=(200, 201), since=since,
        )  # fmt: skip

    def decide(self, key: str, item: dict[str, Any], approve: bool) -> Reply:
        """Approve or reject a claimed item (a notice or a counter-notice)."""
        decision = {"decision": "approve" if approve else "reject"}
        kind, item_id = claimed_kind(item)
        if kind == "counter_notice":
            path, name = f"/v1/counter-notices/{item_id}/decision", COUNTER_DECIDE
        else:
            path, name = f"/v1/notices/{item_id}/decision", DECIDE
        return self.t.send("POST", path, name=name, key=key, json=decision, expect=(200, 409))

    # -- shoppers (public reads)
    def browse(self, brand_id: int, limit: int, since: float | None) -> Reply:
        """Live listings of one brand."""
        params = {"brand_id": brand_id, "limit": limit}
        return self.t.send("GET", "/v1/listings", name=LISTING_BROWSE, params=params, since=since)

    def sweep(self, brand_id: int, limit: int) -> Reply:
        """A brand's monitoring sweep over its live listings (runs in the background)."""
        params = {"brand_id": brand_id, "limit": limit}
        return self.t.send("GET", "/v1/listings", name=LISTING_SWEEP, params=params)

    def search(self, query: str, limit: int, since: float | None) -> Reply:
        """Live listings matching a text query."""
        params = {"q": query, "limit": limit}
        return self.t.send("GET", "/v1/listings", name=LISTING_SEARCH, params=params, since=since)

    def listing(self, listing_id: int, since: float | None) -> Reply:
        """One listing: 200 while live, 410 once removed (both expected)."""
        path = f"/v1/listings/{listing_id}"
        return self.t.send("GET", path, name=LISTING_GET, expect=(200, 410), since=since)

    def poll_listing(self, listing_id: int) -> Reply:
        """The e2e poller's look at a named listing (its own request name)."""
        path = f"/v1/listings/{listing_id}"
        return self.t.send("GET", path, name=LISTING_POLL, expect=(200, 410))

    # -- sellers
    def create_listing(self, key: str, fields: dict[str, Any], since: float | None) -> Reply:
        """A new listing of the seller's."""
        return self.t.send(
            "POST", "/v1/listings", name=LISTING_CREATE, key=key, json=fields, expect=(200, 201),
            since=since,
        )  # fmt: skip

    def counter_notice(self, key: str, listing_id: int, text: str, since: float | None) -> Reply:
        """Contest the removal of one of the seller's listings."""
        path = f"/v1/listings/{listing_id}/counter-notices"
        return self.t.send(
            "POST", path, name=COUNTER_CREATE, key=key, json={"statement": text},
            expect=(200, 201, 409), since=since,
        )  # fmt: skip


def listing_items(reply: Reply) -> list[dict[str, Any]]:
    """The listings of a list/search reply."""
    return _items(reply.body) if reply.ok else []


def claimed_items(reply: Reply) -> list[dict[str, Any]]:
    """The review items a claim leased."""
    return _items(reply.body) if reply.ok else []


def claimed_kind(item: dict[str, Any]) -> tuple[str, int]:
    """(kind, id) of a review item: kind is 'notice' or 'counter_notice'."""
    if "counter" in str(item.get("kind") or item.get("type") or "notice"):
        return "counter_notice", int(item.get("counter_notice_id") or item.get("id") or 0)
    return "notice", int(item.get("notice_id") or item.get("id") or 0)


def notice_id(reply: Reply) -> int | None:
    """The id of a filed notice."""
    body = reply.body if isinstance(reply.body, dict) else {}
    value = body.get("id", body.get("notice_id"))
    return int(value) if value is not None else None


def newly_named(reply: Reply, listing_ids: list[int]) -> list[int]:
    """Listings the notice found live at filing (others were already removed or pending)."""
    body = reply.body if isinstance(reply.body, dict) else {}
    items = body.get("items")
    if not isinstance(items, list):
        return listing_ids
    live = {int(i["listing_id"]) for i in items if i.get("state_at_filing", "live") == "live"}
    return [i for i in listing_ids if i in live]


def notice_program(reply: Reply, default: str) -> str:
    """The programme the service applied to a notice."""
    body = reply.body if isinstance(reply.body, dict) else {}
    return str(body.get("program") or default)


def notice_created_at(reply: Reply) -> float | None:
    """The service's filing time of a notice, as epoch seconds."""
    body = reply.body if isinstance(reply.body, dict) else {}
    return parse_time(body.get("created_at") or body.get("filed_at"))


def removed_at(reply: Reply) -> float | None:
    """The service's removal time from a 410 listing reply, as epoch seconds."""
    body = reply.body if isinstance(reply.body, dict) else {}
    return parse_time(body.get("removed_at"))


def is_fake(listing: dict[str, Any]) -> bool | None:
    """Whether a listing is counterfeit, when the service's seed data says so."""
    for key in ("counterfeit", "is_fake", "fake"):
        if key in listing:
            return bool(listing[key])
    return None
