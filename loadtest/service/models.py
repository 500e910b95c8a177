"""Request and response bodies of the API (pydantic), shared by routers and the OpenAPI spec."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ListingId = Annotated[int, Field(ge=1, le=2**53)]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]
NoticeStatus = Literal["pending_review", "removed", "approved", "rejected"]
Program = Literal["standard", "good_faith", "joint_force"]


def iso(t: float | None) -> str | None:
    """Epoch seconds as ISO 8601 UTC text."""
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat()


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


Email = Annotated[str, Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Url = Annotated[str, Field(min_length=8, max_length=500, pattern=r"^https?://[^\s/]+/\S*$")]
NotifierType = Literal["rights_holder", "trusted_flagger", "other"]


class NoticeIn(_In):
    """A takedown notice with the elements of DSA Art. 16(2): 1-300 listings of the
    brand's own catalogue, each with its exact location (URL ending ``/listings/{id}``),
    the explanation of reasons (``evidence``), the notifier's name and email, the right
    relied on, and the statement of good faith (must be true)."""

    listing_ids: Annotated[list[ListingId], Field(min_length=1, max_length=300)]
    urls: Annotated[list[Url], Field(min_length=1, max_length=300)]
    reason: Text200
    evidence: Annotated[str, Field(min_length=1, max_length=10_000)]
    notifier_name: Text200
    notifier_email: Email
    right_relied_on: Annotated[str, Field(min_length=1, max_length=500)]
    good_faith_statement: Literal[True]

    @model_validator(mode="after")
    def _one_url_per_listing(self) -> NoticeIn:
        if len(self.urls) != len(self.listing_ids):
            raise ValueError(
                f"urls: {len(self.urls)} given for {len(self.listing_ids)} listing_ids; "
                "one URL per listing, in the same order"
            )
        for i, (lid, url) in enumerate(zip(self.listing_ids, self.urls, strict=True)):
            if not url.rstrip("/").endswith(f"/listings/{lid}"):
                raise ValueError(f"urls[{i}]: {url!r} is not the location of listing {lid}")
        return self


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
    manifestly_unfounded: bool = False  # a rejection that counts towards misuse (Art. 23)


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
    """One listing named in a notice, where it is, and its state when the notice was filed."""

    listing_id: int
    state_at_filing: Literal["live", "removed", "pending"]
    url: str | None


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
    notifier_name: str | None
    notifier_email: str | None
    right_relied_on: str | None
    good_faith: bool | None
    source_type: str | None
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


class EventEntry(BaseModel):
    """One state change: who, what, on which object, in which request."""

    id: int
    at: str
    actor_id: int
    actor_role: str
    request_id: str
    action: str
    object_type: str
    object_id: int
    brand_id: int | None
    detail: dict[str, Any]


class EventPage(BaseModel):
    """A page of the audit events, oldest first."""

    items: list[EventEntry]
    next_cursor: str | None


class NotifierIn(_In):
    """An admin sets a notifier's type (trusted flagger status, Art. 22)."""

    notifier_type: NotifierType


class PrincipalOut(BaseModel):
    """A principal as the admin sees it (never its key)."""

    id: int
    role: str
    name: str
    notifier_type: str | None
    revoked: bool
    warned_at: str | None
    suspended_until: str | None


class RotatedKey(BaseModel):
    """A rotated principal's new key, shown once."""

    id: int
    key: str


class Statement(BaseModel):
    """A statement of reasons (Art. 17) for a removal, a seller's account suspension or
    the suspension of a notifier's notices, as the affected party reads it;
    ``restriction_ends_at`` is a suspension's planned end, ``principal_id`` the suspended
    account's, ``notice_id`` the notice removed on or whose rejection tipped a notifier's
    suspension."""

    id: int
    listing_id: int | None
    seller_id: int | None
    brand_id: int | None
    notice_id: int | None
    principal_id: int | None
    created_at: str
    ended_at: str | None
    restriction: Literal["listing_removed", "account_suspended", "notices_suspended"]
    restriction_ends_at: str | None
    ground: Literal["illegal_content", "terms"]
    legal_ground: str
    explanation: str
    facts: str
    source_type: str
    automated_detection: bool
    automated_decision: bool
    redress: str
    transparency_database: dict[str, Any]


class StatementPage(BaseModel):
    """A page of statements of reasons, oldest first."""

    items: list[Statement]
    next_cursor: str | None


class ComplaintIn(_In):
    """An internal complaint (Art. 20): a seller's against a statement of reasons, a
    notifier's against the rejection of its notice or against its suspension's statement;
    exactly one of the two ids."""

    statement_id: ListingId | None = None
    notice_id: ListingId | None = None
    text: Annotated[str, Field(min_length=1, max_length=5_000)]

    @model_validator(mode="after")
    def _one_target(self) -> ComplaintIn:
        if (self.statement_id is None) == (self.notice_id is None):
            raise ValueError("statement_id or notice_id: give exactly one")
        return self


class ComplaintDecisionIn(_In):
    """A second reviewer's decision on a complaint."""

    decision: Literal["uphold", "reject"]


class Complaint(BaseModel):
    """A complaint and its outcome."""

    id: int
    kind: Literal["seller", "notifier"]
    brand_id: int
    notice_id: int | None
    statement_id: int | None
    text: str
    status: Literal["pending", "upheld", "rejected"]
    created_at: str
    decided_at: str | None


class Transparency(BaseModel):
    """The Art. 15/24 counts over a period."""

    model_config = ConfigDict(extra="allow")

    period: dict[str, str]
    notices: dict[str, Any]
    actions: dict[str, Any]
    median_time_to_action_s: float | None
    automated_decisions: int
    complaints: dict[str, Any]
    suspensions: int


class Health(BaseModel):
    """Liveness and the schema version."""

    status: Literal["ok"]
    schema_version: int
    database: str


def notice_elements(
    listing_ids: list[int], base_url: str = "https://marketplace.example",
    notifier_name: str = "Brand legal team", notifier_email: str = "legal@brand.example",
    right_relied_on: str = "EU trade mark of the notifying brand",
) -> dict[str, object]:  # fmt: skip
    """The Art. 16 fields a notice needs besides ``listing_ids``, ``reason`` and
    ``evidence`` (for clients such as the load harness)."""
    return {
        "urls": [f"{base_url.rstrip('/')}/listings/{i}" for i in listing_ids],
        "notifier_name": notifier_name,
        "notifier_email": notifier_email,
        "right_relied_on": right_relied_on,
        "good_faith_statement": True,
    }
