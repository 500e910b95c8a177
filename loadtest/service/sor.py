"""Statements of reasons (DSA Art. 17) and their export to the Transparency Database.

A statement is written in the same transaction as every removal of a listing: the
facts relied on, the ground (illegal content: the right the notice relied on), whether
detection and decision were automated, the source (an Art. 16 notice or a trusted
flagger's) and the redress open to the seller. A seller's account suspension for
repeated infringement (Art. 23) gets one too: ground the terms (the repeat-infringer
rule), source the platform's own initiative, decided automatically by the rule. So does
a notifier's suspension (Art. 23(2)): the processing of its notices is suspended, a
partial suspension of the service, on the same terms ground.
``tdb_record`` renders one in the field names and enumeration keys of the Transparency
Database's statement submission API; ``tdb_statement.schema.json`` is the JSON Schema
every exported line meets.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from loadtest.service.events import Act

SOURCE_ARTICLE_16 = "SOURCE_ARTICLE_16"
SOURCE_TRUSTED_FLAGGER = "SOURCE_TRUSTED_FLAGGER"
SOURCE_VOLUNTARY = "SOURCE_VOLUNTARY"  # the platform's own initiative
LISTING_REMOVED = "listing_removed"
ACCOUNT_SUSPENDED = "account_suspended"
NOTICES_SUSPENDED = "notices_suspended"  # a notifier's: its notices are not processed
SUSPENSIONS = (ACCOUNT_SUSPENDED, NOTICES_SUSPENDED)
NOTIFIER_GROUND = (
    "Terms of service, misuse of the notice mechanism: a notifier whose notices are "
    "rejected as manifestly unfounded in at least {share:.0%} of at least {least} decided "
    "notices within the period is warned, and on the next such rejection its notices are "
    "not processed for a period (DSA Art. 23(2))."
)
TERMS_GROUND = (
    "Terms of service, repeat infringers: an account whose listings are removed for "
    "infringement {strikes} times within the period is suspended (DSA Art. 23(1))."
)
FULLY = "AUTOMATED_DECISION_FULLY"
NOT_AUTOMATED = "AUTOMATED_DECISION_NOT_AUTOMATED"
REDRESS = (
    "Internal complaint (DSA Art. 20): POST /v1/complaints with this statement's id within "
    "six months; out-of-court dispute settlement (Art. 21); judicial redress."
)


def _date(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d")


def rows_for(act: Act, listings: Sequence[Any], notice: Any, automated_decision: str
             ) -> list[dict[str, Any]]:  # fmt: skip
    """Statement rows for ``listings`` (id, seller_id, brand_id, created_at) removed
    on ``notice`` (id, source_type, right_relied_on, evidence, created_at)."""
    source = notice.source_type or SOURCE_ARTICLE_16
    who = "a trusted flagger" if source == SOURCE_TRUSTED_FLAGGER else "the rights holder"
    how = "at once on receipt, before review" if automated_decision == FULLY else "after review"
    return [
        {
            "puid": f"sor-{uuid.uuid4().hex}", "listing_id": r.id, "seller_id": r.seller_id,
            "brand_id": r.brand_id, "notice_id": notice.id, "created_at": act.now,
            "content_created_at": r.created_at, "source_type": source,
            "automated_decision": automated_decision,
            "legal_ground": notice.right_relied_on or "trade mark of the notifying brand",
            "explanation": notice.evidence,
            "facts": (f"Notice {notice.id} from {who} named listing {r.id} as infringing its "
                      f"trade mark; the listing was removed {how}."),
        }
        for r in listings
    ]  # fmt: skip


def suspension_row(act: Act, seller: Any, listing: Any, until: float,
                   strikes: Sequence[int]) -> dict[str, Any]:  # fmt: skip
    """The statement row of ``seller``'s (a principals row) account suspension until
    ``until``, tipped by the removal of ``listing``; ``strikes`` are the statement ids of
    the removals that stood."""
    shown = ", ".join(str(i) for i in strikes[:20])
    return {
        "puid": f"sor-{uuid.uuid4().hex}", "listing_id": listing.id,
        "seller_id": seller.seller_id, "brand_id": listing.brand_id, "notice_id": None,
        "created_at": act.now, "content_created_at": listing.created_at,
        "source_type": SOURCE_VOLUNTARY, "automated_decision": FULLY,
        "legal_ground": TERMS_GROUND.format(strikes=len(strikes) + 1),
        "explanation": (f"{len(strikes)} removals for trade mark infringement stood "
                        f"(statements {shown}) and listing {listing.id} was removed after "
                        "the warning."),
        "facts": (f"Seller {seller.seller_id} was warned after repeated removals for trade mark "
                  f"infringement; the removal of listing {listing.id} suspended the account "
                  f"until {_date(until)}: no new listings meanwhile."),
        "restriction": ACCOUNT_SUSPENDED, "restriction_ends_at": until,
        "principal_id": seller.id,
    }  # fmt: skip


def notifier_suspension_row(act: Act, notifier: Any, notice: Any, until: float, ground: str,
                            decided: int, unfounded: int) -> dict[str, Any]:  # fmt: skip
    """The statement row of ``notifier``'s (a principals row) suspension until ``until``
    under Art. 23(2), tipped by the rejection of ``notice`` as manifestly unfounded."""
    return {
        "puid": f"sor-{uuid.uuid4().hex}", "listing_id": None, "seller_id": None,
        "brand_id": notifier.brand_id, "notice_id": notice.id, "created_at": act.now,
        "content_created_at": notice.created_at, "source_type": SOURCE_VOLUNTARY,
        "automated_decision": FULLY, "legal_ground": ground,
        "explanation": (f"{unfounded} of {decided} decided notices were rejected as manifestly "
                        f"unfounded and notice {notice.id} was so rejected after the warning."),
        "facts": (f"Notifier {notifier.id} was warned after notices rejected as manifestly "
                  f"unfounded; the rejection of notice {notice.id} suspended the processing "
                  f"of its notices until {_date(until)}."),
        "restriction": NOTICES_SUSPENDED, "restriction_ends_at": until,
        "principal_id": notifier.id,
    }  # fmt: skip


def _ends(row: Any) -> str:
    return _date(min(row.restriction_ends_at, row.ended_at or row.restriction_ends_at))


def _terms_fields(row: Any) -> dict[str, Any]:
    return {
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": row.legal_ground[:500],
        "incompatible_content_explanation": row.explanation[:2000],
    }


def _notifier_fields(row: Any) -> dict[str, Any]:
    """A notifier's suspension: partial suspension of the service (its notices), for
    terms, about notices (text) that are not illegal content."""
    return {
        "decision_provision": "DECISION_PROVISION_PARTIAL_SUSPENSION",
        "end_date_service_restriction": _ends(row),
        **_terms_fields(row),
        "incompatible_content_illegal": "No",
        "content_type": ["CONTENT_TYPE_TEXT"],
        "category": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    }


def _account_fields(row: Any) -> dict[str, Any]:
    return {
        "decision_account": "DECISION_ACCOUNT_SUSPENDED",
        "end_date_account_restriction": _ends(row),
        **_terms_fields(row),
        "incompatible_content_illegal": "Yes",
    }


def _listing_fields(row: Any) -> dict[str, Any]:
    fields = {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
        "illegal_content_legal_ground": row.legal_ground[:500],
        "illegal_content_explanation": row.explanation[:2000],
    }
    if row.ended_at is not None:
        fields["end_date_visibility_restriction"] = _date(row.ended_at)
    return fields


def _product_fields(row: Any) -> dict[str, Any]:
    """A listing's removal or its seller's suspension: a product, trade mark infringement."""
    suspended = row.restriction == ACCOUNT_SUSPENDED
    return {
        **(_account_fields(row) if suspended else _listing_fields(row)),
        "content_type": ["CONTENT_TYPE_PRODUCT"],
        "category": "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        "category_specification": ["KEYWORD_TRADEMARK_INFRINGEMENT"],
    }


def _url(row: Any, base_url: str) -> str | None:
    """The restricted content's page: the listing, the suspended seller's page (not the
    listing that tipped it), none for a notifier (its notices have no public page)."""
    base = base_url.rstrip("/")
    if row.restriction == NOTICES_SUSPENDED:
        return None
    if row.restriction == ACCOUNT_SUSPENDED:
        return f"{base}/sellers/{row.seller_id}"
    return f"{base}/listings/{row.listing_id}"


def tdb_record(row: Any, base_url: str) -> dict[str, Any]:
    """One statement in the Transparency Database submission API's fields and keys."""
    notifier = row.restriction == NOTICES_SUSPENDED
    url = _url(row, base_url)
    return {
        **(_notifier_fields(row) if notifier else _product_fields(row)),
        "account_type": "ACCOUNT_TYPE_BUSINESS",
        "application_date": _date(row.created_at),
        "content_date": _date(row.content_created_at),
        "decision_facts": row.facts[:5000],
        "source_type": row.source_type,
        "automated_detection": "No",
        "automated_decision": row.automated_decision,
        "puid": row.puid,
        **({"url": url} if url else {}),
    }


def statement_json(row: Any, base_url: str) -> dict[str, Any]:
    """The API view a seller reads: the statement, its TDB form and the redress open."""
    from loadtest.service.models import iso

    return {
        "id": row.id, "listing_id": row.listing_id, "seller_id": row.seller_id,
        "brand_id": row.brand_id, "notice_id": row.notice_id,
        "created_at": iso(row.created_at), "ended_at": iso(row.ended_at),
        "restriction": row.restriction, "restriction_ends_at": iso(row.restriction_ends_at),
        "ground": "terms" if row.restriction in SUSPENSIONS else "illegal_content",
        "legal_ground": row.legal_ground, "explanation": row.explanation,
        "facts": row.facts, "source_type": row.source_type, "principal_id": row.principal_id,
        "automated_detection": False,
        "automated_decision": row.automated_decision == FULLY,
        "redress": REDRESS, "transparency_database": tdb_record(row, base_url),
    }  # fmt: skip


def schema() -> dict[str, Any]:
    """The JSON Schema an exported statement meets."""
    text = resources.files("loadtest.service").joinpath("tdb_statement.schema.json").read_text()
    return dict(json.loads(text))
