"""The service's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Times are epoch seconds (float) so both databases compare and index them alike;
the API renders them as ISO 8601.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identities
Id = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", Float, nullable=False),
    Column("note", Text, nullable=False),
)

params = Table(
    "params",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Float, nullable=False),
)

brands = Table(
    "brands",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("program", String(16), nullable=False),
    Column("gf_locked_until", Float, nullable=True),
)

sellers = Table(
    "sellers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # legit | counterfeit
)

principals = Table(
    "principals",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("role", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("brand_id", Id, ForeignKey("brands.id"), nullable=True),
    Column("seller_id", Id, ForeignKey("sellers.id"), nullable=True),
    # migration 3: Art. 16 notifier profile, Art. 22 status, Art. 23 misuse, revocation
    Column("email", String(320), nullable=True),
    Column("notifier_type", String(16), nullable=True),  # rights_holder|trusted_flagger|other
    Column("revoked_at", Float, nullable=True),
    Column("warned_at", Float, nullable=True),
    Column("suspended_until", Float, nullable=True),
)

manager_brands = Table(
    "manager_brands",
    metadata,
    Column("manager_id", Id, ForeignKey("principals.id"), primary_key=True),
    Column("brand_id", Id, ForeignKey("brands.id"), primary_key=True),
)

listings = Table(
    "listings",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("seller_id", Id, ForeignKey("sellers.id"), nullable=False),
    Column("brand_id", Id, ForeignKey("brands.id"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("price_usd", Float, nullable=False),
    Column("is_fake", Boolean, nullable=False),
    Column("status", String(16), nullable=False),  # live | removed
    Column("created_at", Float, nullable=False),
    Column("removed_at", Float, nullable=True),
    Column("removed_reason", String(64), nullable=True),
    Column("removed_by_notice", Id, nullable=True),
    Index("ix_listings_brand_status", "brand_id", "status", "id"),
)

notices = Table(
    "notices",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("brand_id", Id, ForeignKey("brands.id"), nullable=False),
    Column("filed_by", Id, ForeignKey("principals.id"), nullable=False),
    Column("program", String(16), nullable=False),
    Column("mode", String(16), nullable=False),  # review_first | remove_first
    Column("status", String(16), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("evidence", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("review_pending", Boolean, nullable=False),
    Column("lease_holder", Id, nullable=True),
    Column("lease_until", Float, nullable=True),
    Column("decision", String(8), nullable=True),
    Column("decided_by", Id, nullable=True),
    Column("decided_at", Float, nullable=True),
    # migration 3: the Art. 16 elements, the source and the queue priority (Art. 22)
    Column("notifier_name", String(200), nullable=True),
    Column("notifier_email", String(320), nullable=True),
    Column("right_relied_on", String(500), nullable=True),
    Column("good_faith", Boolean, nullable=True),
    Column("source_type", String(32), nullable=True),  # SOURCE_ARTICLE_16 | ..._TRUSTED_FLAGGER
    Column("priority", Integer, nullable=True),  # 0 trusted flagger, 1 ordinary
    Column("unfounded", Boolean, nullable=True),  # rejected as manifestly unfounded
    Index("ix_notices_queue", "review_pending", "brand_id", "id"),
    Index("ix_notices_brand", "brand_id", "id"),
)

notice_items = Table(
    "notice_items",
    metadata,
    Column("notice_id", Id, ForeignKey("notices.id"), primary_key=True),
    Column("listing_id", Id, ForeignKey("listings.id"), primary_key=True),
    Column("state_at_filing", String(16), nullable=False),  # live | removed | pending
    Column("url", String(500), nullable=True),  # migration 3: the exact location named
    Index("ix_notice_items_listing", "listing_id"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("notice_id", Id, ForeignKey("notices.id"), nullable=False),
    Column("author_id", Id, ForeignKey("principals.id"), nullable=False),
    Column("author_role", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_messages_notice", "notice_id", "id"),
)

counter_notices = Table(
    "counter_notices",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("listing_id", Id, ForeignKey("listings.id"), nullable=False),
    Column("seller_id", Id, ForeignKey("sellers.id"), nullable=False),
    Column("brand_id", Id, ForeignKey("brands.id"), nullable=False),
    Column("notice_id", Id, nullable=True),
    Column("statement", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending | approved | rejected
    Column("created_at", Float, nullable=False),
    Column("review_pending", Boolean, nullable=False),
    Column("lease_holder", Id, nullable=True),
    Column("lease_until", Float, nullable=True),
    Column("decided_by", Id, nullable=True),
    Column("decided_at", Float, nullable=True),
    Index("ix_counter_queue", "review_pending", "brand_id", "id"),
    Index("ix_counter_listing", "listing_id"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("actor_id", Id, nullable=False),
    Column("actor_role", String(16), nullable=False),
    Column("action", String(16), nullable=False),  # remove | restore
    Column("listing_id", Id, nullable=False),
    Column("brand_id", Id, nullable=False),
    Column("program", String(16), nullable=False),
    Column("notice_id", Id, nullable=True),
    Column("counter_notice_id", Id, nullable=True),
)

idempotency = Table(
    "idempotency",
    metadata,
    Column("principal_id", Id, nullable=False, primary_key=True),
    Column("idem_key", String(255), nullable=False, primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("principal_id", "idem_key", name="uq_idempotency"),
    Index("ix_idempotency_created", "created_at"),
)

events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("actor_id", Id, nullable=False),
    Column("actor_role", String(16), nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("object_type", String(24), nullable=False),
    Column("object_id", Id, nullable=False),
    Column("brand_id", Id, nullable=True),
    Column("detail", Text, nullable=False),  # JSON object
    Index("ix_events_at", "at"),
)

key_changes = Table(
    "key_changes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("principal_id", Id, nullable=False),
)

statements = Table(
    "statements",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("puid", String(64), nullable=False, unique=True),
    # migration 5: optional, since a notifier's suspension restricts no listing or seller
    Column("listing_id", Id, ForeignKey("listings.id"), nullable=True),
    Column("seller_id", Id, ForeignKey("sellers.id"), nullable=True),
    Column("brand_id", Id, ForeignKey("brands.id"), nullable=True),
    Column("notice_id", Id, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("content_created_at", Float, nullable=False),
    Column("source_type", String(32), nullable=False),
    Column("automated_decision", String(40), nullable=False),
    Column("legal_ground", String(500), nullable=False),
    Column("explanation", Text, nullable=False),
    Column("facts", Text, nullable=False),
    Column("ended_at", Float, nullable=True),
    # migration 4: account suspensions (Art. 23) have statements too; their listing is
    # the removal that tipped the suspension, principal_id the suspended account
    Column("restriction", String(24), nullable=False, server_default="listing_removed"),
    Column("restriction_ends_at", Float, nullable=True),
    Column("principal_id", Id, nullable=True),
    Index("ix_statements_seller", "seller_id", "id"),
    Index("ix_statements_created", "created_at"),
    Index("ix_statements_principal", "principal_id", "id"),
)

complaints = Table(
    "complaints",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # seller | notifier
    Column("complainant_id", Id, nullable=False),
    Column("brand_id", Id, nullable=False),
    Column("notice_id", Id, nullable=True),
    Column("statement_id", Id, nullable=True),
    Column("text", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending | upheld | rejected
    Column("first_decider_id", Id, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("decided_by", Id, nullable=True),
    Column("decided_at", Float, nullable=True),
    Index("ix_complaints_status", "status", "brand_id", "id"),
)

# Tables in creation order for migration 1 (the rest of ``metadata`` is later versions).
V1_TABLES = [
    schema_version,
    params,
    brands,
    sellers,
    principals,
    manager_brands,
    listings,
    notices,
    notice_items,
    messages,
    counter_notices,
    audit,
]
V2_TABLES = [idempotency]
V3_TABLES = [events, key_changes, statements, complaints]
# columns migration 3 adds to tables that existed before it
V3_COLUMNS = {
    "principals": ["email", "notifier_type", "revoked_at", "warned_at", "suspended_until"],
    "notices": ["notifier_name", "notifier_email", "right_relied_on", "good_faith",
                "source_type", "priority", "unfounded"],
    "notice_items": ["url"],
}  # fmt: skip
# columns migration 4 adds: restrictions of an account, not only of a listing
V4_COLUMNS = {"statements": ["restriction", "restriction_ends_at", "principal_id"]}
# columns migration 5 makes optional: a notifier's suspension names no listing or seller
V5_OPTIONAL = {"statements": ["listing_id", "seller_id", "brand_id"]}
DATA_TABLES = [t for t in reversed(metadata.sorted_tables) if t.name not in ("schema_version",)]
