"""Request and response bodies of the API (pydantic), shared by routers and the OpenAPI spec."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

ListingId = Annotated[int, Field(ge=1, le=2**53)]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]
NoticeStatus = Literal["pending_review", "removed", "approved", "rejected"]
Program = Literal["standard", "good_faith", "joint_force"]


def iso(t: float | None) -> str | None:
    """Epoch seconds as ISO 8601 UTC text."""
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat()


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoticeIn(_In):
    """A takedown notice: 1-300 listings of the brand's own catalogue."""

    listing_ids: Annotated[list[ListingId], Field(min_length=1, max_length=300)]
    reason: Text200
    evidence: Annotated[str, Field(min_length=1, max_length=10_000)]


class MessageIn(_In):
    """A message on a notice's thread."""

    body: Annotated[str, Field(min_length=1, max_length=5_000)]


class ClaimIn(_In):
    """How many review items to lease."""

    limit: Annotated[int, Field(ge=1, le=100)] = 10


class DecisionIn(_In):
    """An account manager's decision on a review item."""

    decision: Literal["approve", "reject"]
    note: Annotated[str, Field(max_length=2_000)] = ""


class ListingIn(_In):
    """A seller's new listing."""

    brand_id: ListingId
    title: Text200
    price_usd: Annotated[float, Field(gt=0, le=1_000_000)]


class CounterNoticeIn(_In):
    """A seller's statement contesting a removal."""

    statement: Annotated[str, Field(min_length=1, max_length=5_000)]


class Listing(BaseModel):
    """A live listing as shoppers see it (``is_fake`` is the seed data's ground truth)."""

    id: int
    brand_id: int
    seller_id: int
    title: str
    price_usd: float
    is_fake: bool
    status: Literal["live", "removed"]
    created_at: str


class ListingPage(BaseModel):
    """A page of live listings; pass ``next_cursor`` back for the next page."""

    items: list[Listing]
    next_cursor: str | None


class NoticeItem(BaseModel):
    """One listing named in a notice and its state when the notice was filed."""

    listing_id: int
    state_at_filing: Literal["live", "removed", "pending"]


class Notice(BaseModel):
    """A notice and where it stands."""

    id: int
    brand_id: int
    program: Program
    mode: Literal["review_first", "remove_first"]
    status: NoticeStatus
    reason: str
    evidence: str
    created_at: str
    review_pending: bool
    decision: Literal["approve", "reject"] | None
    decided_at: str | None
    items: list[NoticeItem]


class NoticePage(BaseModel):
    """A page of notices, newest first."""

    items: list[Notice]
    next_cursor: str | None


class Message(BaseModel):
    """One message on a notice's thread."""

    id: int
    notice_id: int
    author_role: str
    body: str
    created_at: str


class MessagePage(BaseModel):
    """A notice's messages, oldest first."""

    items: list[Message]
    next_cursor: str | None


class ReviewItem(BaseModel):
    """A leased item of the review queue."""

    kind: Literal["notice", "counter_notice"]
    id: int
    brand_id: int
    lease_until: str
    notice_id: int | None = None
    counter_notice_id: int | None = None


class ClaimOut(BaseModel):
    """The items leased to the caller."""

    items: list[ReviewItem]


class CounterNotice(BaseModel):
    """A seller's counter-notice and its outcome."""

    id: int
    listing_id: int
    brand_id: int
    notice_id: int | None
    statement: str
    status: Literal["pending", "approved", "rejected"]
    created_at: str
    decided_at: str | None


class AuditEntry(BaseModel):
    """Who removed or restored which listing, when, and why."""

    id: int
    at: str
    actor_id: int
    actor_role: str
    action: Literal["remove", "restore"]
    listing_id: int
    brand_id: int
    program: str
    notice_id: int | None
    counter_notice_id: int | None


class AuditPage(BaseModel):
    """A page of the audit log, oldest first."""

    items: list[AuditEntry]
    next_cursor: str | None


class Health(BaseModel):
    """Liveness and the schema version."""

    status: Literal["ok"]
    schema_version: int
    database: str
