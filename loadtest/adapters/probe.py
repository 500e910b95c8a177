"""The start-up check of a mapping against the running service, before any load.

Each operation is tried once, in the order a notice lives: browse a brand's listings,
read one, file a notice naming it, claim review items. A wrong path, method, field or
key ends the check with lines naming the mapping line and what the service answered,
never a run that fails request by request. The check files one real notice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping as Map
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtest.adapters.mapping import Mapping, MappingError, load_mapping

TIMEOUT_S = 10.0
SHOWN_CHARS = 160


@dataclass(frozen=True)
class RoleKeys:
    """The first rights holder's key and brand, and the first account manager's key."""

    rights_holder: str
    brand: Any
    account_manager: str | None


def role_keys(mapping: Mapping, path: Path) -> RoleKeys:
    """The keys the check uses, read from the keys JSON as the mapping says."""
    km = mapping.spec.keys
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MappingError([f"keys {path}: cannot read as JSON: {exc}"]) from None
    holders = data.get(km.rights_holders) if isinstance(data, dict) else None
    if not isinstance(holders, list) or not holders or not isinstance(holders[0], dict):
        where = mapping.where("keys", "rights_holders")
        raise MappingError([f"{where}: keys.rights_holders {km.rights_holders!r}: "
                            f"no list of entries in {path}"])  # fmt: skip
    first = holders[0]
    for field in ("key", "brand"):
        name = getattr(km, field)
        if name not in first:
            shown = ", ".join(sorted(first))
            raise MappingError([f"{mapping.where('keys', field)}: keys.{field} {name!r}: "
                                f"not a field of {path}'s entries ({shown})"])  # fmt: skip
    managers = data.get(km.account_managers) or []
    manager = managers[0].get(km.key) if managers and isinstance(managers[0], dict) else None
    return RoleKeys(str(first[km.key]), first[km.brand], manager)


def check_mapping(mapping: Mapping, host: str, keys: RoleKeys) -> list[str]:
    """Every problem of the mapping against the service at ``host``, one line each (the
    check stops at the first operation that fails: the later ones build on it)."""
    import httpx

    with httpx.Client(base_url=host, timeout=TIMEOUT_S) as http:
        probe = _Probe(mapping, http, keys)
        try:
            listing_id = probe.browse()
            probe.listing(listing_id)
            probe.file_notice(listing_id)
            probe.claim()
        except _Stop as stop:
            return [stop.line]
        except httpx.HTTPError as exc:
            return [f"{host}: cannot reach the service: {exc}"]
    return []


class _Stop(Exception):
    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


def _shown(resp: Any) -> str:
    text = " ".join(resp.text.split())
    text = text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."
    return f"{resp.status_code} {text}".rstrip()


def _json(resp: Any) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


class _Probe:
    """One try of each operation; ``_Stop`` with the line to blame."""

    def __init__(self, mapping: Mapping, http: Any, keys: RoleKeys) -> None:
        self.m, self.http, self.keys = mapping, http, keys

    def _headers(self, key: str | None) -> dict[str, str]:
        auth = self.m.spec.auth
        return {auth.header: f"{auth.prefix}{key}"} if key else {}

    def _send(self, table: str, key: str | None, fields: tuple[str, ...], **kw: Any) -> Any:
        op = getattr(self.m.spec, table)
        path = op.path.replace("{id}", str(kw.pop("id", "")))
        resp = self.http.request(op.method, path, headers=self._headers(key), **kw)
        if resp.status_code in (401, 403):
            self._fail("auth", "header", f"auth.header {self.m.spec.auth.header!r}", resp)
        if resp.status_code in (404, 405) and not self._gone(table, resp):
            self._fail(table, "path", f"{table}: {op.method} {op.path}", resp)
        if 400 <= resp.status_code < 500 and not self._gone(table, resp):
            named = ", ".join(f"{f} {getattr(op, f)!r}" for f in fields)
            self._fail(table, fields[0] if fields else "path", f"{table}: {named}", resp)
        if resp.status_code >= 300 and not self._gone(table, resp):
            self._fail(table, "path", f"{table}: {op.method} {op.path}", resp)
        return resp

    def _gone(self, table: str, resp: Any) -> bool:
        return table == "listing" and resp.status_code == self.m.spec.listing.gone_status

    def _fail(self, table: str, key: str, what: str, resp: Any) -> None:
        raise _Stop(f"{self.m.where(table, key)}: {what}: the service answered {_shown(resp)}")

    def _field(self, table: str, key: str, body: Any, resp: Any) -> Any:
        name = getattr(getattr(self.m.spec, table), key)
        if not isinstance(body, Map) or name not in body:
            self._fail(table, key, f"{table}.{key} {name!r} not in the answer", resp)
        return body[name]

    def browse(self) -> Any:
        op = self.m.spec.browse
        resp = self._send("browse", None, ("brand",), params={op.brand: self.keys.brand})
        items = self._field("browse", "items", _json(resp), resp)
        if not isinstance(items, list) or not items:
            self._fail("browse", "items", f"browse.items {op.items!r} holds no listings", resp)
        return self._field("browse", "id", items[0], resp)

    def listing(self, listing_id: Any) -> None:
        op = self.m.spec.listing
        resp = self._send("listing", None, (), id=listing_id)
        if op.gone_field is not None and not self._gone("listing", resp):
            self._field("listing", "gone_field", _json(resp), resp)

    def file_notice(self, listing_id: Any) -> None:
        op = self.m.spec.file_notice
        body = {op.listings: [listing_id], op.reason: "counterfeit", op.evidence: "test purchase"}
        resp = self._send(
            "file_notice", self.keys.rights_holder, ("listings", "reason", "evidence"), json=body
        )
        self._field("file_notice", "id", _json(resp), resp)

    def claim(self) -> None:
        if self.keys.account_manager is None:
            return
        op = self.m.spec.claim
        resp = self._send("claim", self.keys.account_manager, ("limit",), json={op.limit: 1})
        self._field("claim", "items", _json(resp), resp)


def startup_problems(mapping_file: Path, host: str, keys_file: Path) -> list[str]:
    """What keeps a run through ``mapping_file`` from starting: the mapping itself, the
    keys, or an operation the service does not answer as mapped (one line each)."""
    try:
        mapping = load_mapping(mapping_file)
        return check_mapping(mapping, host, role_keys(mapping, keys_file))
    except MappingError as exc:
        return exc.problems
