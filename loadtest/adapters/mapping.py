"""A declarative mapping of a REST takedown service onto the harness's operations.

One TOML file says, per operation, the method, the path (``{id}`` for the object's id)
and the field names, how a gone listing looks (a status code, or a JSON field's value)
and where each role's keys sit in the keys file. Every entry remembers its line, so a
problem found at start-up names ``mapping.toml:LINE``::

    [auth]
    header = "X-Api-Key"        # the header carrying a role's key
    prefix = ""                 # text before the key ("Bearer " for the reference API)

    [keys]                      # the keys JSON: one array per role
    rights_holders = "notifiers"
    account_managers = "reviewers"
    key = "token"               # each entry's key field
    brand = "brand"             # a rights holder's brand field

    [browse]                    # a brand's live listings (no key)
    path = "/api/v2/offers"
    brand = "brand"
    items = "offers"
    id = "ref"

    [listing]                   # one listing, and how "gone" looks
    path = "/api/v2/offers/{id}"
    gone_field = "status"
    gone_value = "taken_down"   # or: gone_status = 410

    [file_notice]
    path = "/api/v2/takedown-requests"
    listings = "offer_refs"
    reason = "grounds"
    evidence = "proof"
    id = "request_ref"          # the new notice's id in the answer

    [claim]
    path = "/api/v2/queue/pull"
    limit = "max"
    items = "tasks"
    id = "ref"

    [decide]
    method = "PUT"
    path = "/api/v2/tasks/{id}/outcome"
    field = "outcome"
    approve = "uphold"
    reject = "dismiss"

    [removals]                  # optional: the removal events, if the service has them
    path = "/v1/removals/stream"
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import model_validator

from sim.config import ConfigError, StrictSection, parse_toml, read_text, validate

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


class MappingError(ConfigError):
    """A mapping could not be read, or does not fit the service; one line per problem."""


class Auth(StrictSection):
    """How a role's key travels."""

    header: str = "Authorization"
    prefix: str = "Bearer "


class KeysMap(StrictSection):
    """Where each role's keys sit in the keys JSON."""

    rights_holders: str = "rights_holders"
    account_managers: str = "account_managers"
    key: str = "key"
    brand: str = "brand_id"


class Operation(StrictSection):
    """One request: its method and path (``{id}`` stands for the object's id)."""

    method: Method = "GET"
    path: str


class Browse(Operation):
    """A brand's live listings."""

    brand: str = "brand_id"
    items: str = "items"
    id: str = "id"


class Listing(Operation):
    """One listing; gone when the status is ``gone_status``, or ``gone_field`` holds
    ``gone_value``."""

    gone_status: int | None = None
    gone_field: str | None = None
    gone_value: str | int | bool | None = None

    @model_validator(mode="after")
    def _one_signal(self) -> Listing:
        by_field = self.gone_field is not None and self.gone_value is not None
        if (self.gone_status is None) == (not by_field):
            raise ValueError("give gone_status, or gone_field and gone_value (one of the two)")
        return self


class FileNotice(Operation):
    """File a notice naming listings."""

    method: Method = "POST"
    listings: str = "listing_ids"
    reason: str = "reason"
    evidence: str = "evidence"
    id: str = "id"


class Claim(Operation):
    """Lease review items."""

    method: Method = "POST"
    limit: str = "limit"
    items: str = "items"
    id: str = "id"


class Decide(Operation):
    """Approve or reject a claimed item."""

    method: Method = "POST"
    field: str = "decision"
    approve: str = "approve"
    reject: str = "reject"


class Removals(StrictSection):
    """The service's removal events (server-sent ``removal`` events whose JSON data has
    ``listing_id``, ``notice_id`` and ``removed_at``, as the reference API's). A service
    without them answers 404 there, and each notice's listing is polled instead."""

    path: str = "/v1/removals/stream"


class MappingSpec(StrictSection):
    """A whole mapping file."""

    auth: Auth = Auth()
    keys: KeysMap = KeysMap()
    browse: Browse
    listing: Listing
    file_notice: FileNotice
    claim: Claim
    decide: Decide
    removals: Removals = Removals()


@dataclass(frozen=True)
class Mapping:
    """A validated mapping, its file, and the line of each ``table.key``."""

    spec: MappingSpec
    source: str
    lines: dict[str, int]

    def where(self, table: str, key: str) -> str:
        """``file:LINE`` of ``table.key`` (of the table's header when the key is a default)."""
        line = self.lines.get(f"{table}.{key}", self.lines.get(table, 1))
        return f"{self.source}:{line}"


def key_lines(text: str) -> dict[str, int]:
    """``table`` and ``table.key`` -> 1-based line, for a flat file of tables and keys."""
    lines: dict[str, int] = {}
    table = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            table = line.strip("[] ")
            lines.setdefault(table, number)
        elif "=" in line and table:
            key = line.split("=", 1)[0].strip().strip("\"'")
            lines.setdefault(f"{table}.{key}", number)
    return lines


def parse_mapping(text: str, source: str = "<mapping>") -> MappingSpec:
    """A mapping's text, validated (what the load generators read from the run config)."""
    return validate(MappingSpec, parse_toml(text, source, MappingError), source, MappingError)


def load_mapping(path: Path) -> Mapping:
    """Read and validate a mapping; MappingError with one line per problem."""
    text = read_text(path, MappingError)
    data = parse_toml(text, str(path), MappingError)
    spec = validate(MappingSpec, data, str(path), MappingError)
    return Mapping(spec, str(path), key_lines(text))
