"""The harness's client for a service described by a mapping.

``MappedClient`` offers the operations of ``loadtest.client.TakedownClient`` that a
mapping covers, and answers in the reference API's shape (``id``, ``items``, 410 for a
gone listing), so the roles, the e2e followers, the gates and loadtest.json work
unchanged. Requests keep the reference names (``POST /v1/notices``, ...), so one SLO
file serves both. Operations a mapping does not cover (reading a brand's notices,
messages, search, a seller's listings) are not sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping as Map
from pathlib import Path
from typing import Any

from loadtest import client as api
from loadtest.adapters.mapping import MappingSpec
from loadtest.config import Keys, ManagerKey, RightsHolderKey

NOT_SENT = api.Reply(0, None, False)


def _get(body: Any, name: str) -> Any:
    return body.get(name) if isinstance(body, Map) else None


class MappedClient:
    """The operations a mapping covers, over any Transport."""

    def __init__(self, spec: MappingSpec, transport: api.Transport) -> None:
        self.spec = spec
        self.t = transport

    def _path(self, path: str, item_id: Any) -> str:
        return path.replace("{id}", str(item_id))

    # -- rights holders
    def file_notice(
        self, key: str, listing_ids: list[int], reason: str, evidence: str, since: float | None
    ) -> api.Reply:
        op = self.spec.file_notice
        body = {op.listings: listing_ids, op.reason: reason, op.evidence: evidence}
        reply = self.t.send(op.method, op.path, name=api.NOTICE_CREATE, key=key, json=body,
                            expect=range(200, 300), since=since)  # fmt: skip
        return api.Reply(reply.status, {"id": _get(reply.body, op.id)}, reply.ok)

    def list_notices(self, key: str, since: float | None) -> api.Reply:
        return NOT_SENT

    def post_message(self, key: str, notice_id: int, text: str, since: float | None) -> api.Reply:
        return NOT_SENT

    # -- account managers
    def claim(self, key: str, limit: int, since: float | None) -> api.Reply:
        op = self.spec.claim
        reply = self.t.send(op.method, op.path, name=api.CLAIM, key=key, json={op.limit: limit},
                            expect=range(200, 300), since=since)  # fmt: skip
        items = _get(reply.body, op.items)
        ids = [_get(i, op.id) for i in items] if isinstance(items, list) else []
        return api.Reply(reply.status, {"items": [{"id": i} for i in ids if i is not None]},
                         reply.ok)  # fmt: skip

    def decide(self, key: str, item: dict[str, Any], approve: bool) -> api.Reply:
        op = self.spec.decide
        body = {op.field: op.approve if approve else op.reject}
        path = self._path(op.path, item.get("id"))
        return self.t.send(op.method, path, name=api.DECIDE, key=key, json=body,
                           expect=(*range(200, 300), 409))  # fmt: skip

    # -- shoppers and sweeps
    def _browse(self, name: str, brand_id: int, since: float | None) -> api.Reply:
        op = self.spec.browse
        reply = self.t.send(op.method, op.path, name=name, params={op.brand: brand_id},
                            since=since)  # fmt: skip
        items = _get(reply.body, op.items)
        listed = [{**i, "id": i[op.id]} for i in items or [] if isinstance(i, Map) and op.id in i]
        return api.Reply(reply.status, {"items": listed}, reply.ok)

    def browse(self, brand_id: int, limit: int, since: float | None) -> api.Reply:
        return self._browse(api.LISTING_BROWSE, brand_id, since)

    def sweep(self, brand_id: int, limit: int) -> api.Reply:
        return self._browse(api.LISTING_SWEEP, brand_id, None)

    def search(self, query: str, limit: int, since: float | None) -> api.Reply:
        return NOT_SENT

    def _look(self, name: str, listing_id: int, since: float | None) -> api.Reply:
        op = self.spec.listing
        expect = (200,) if op.gone_status is None else (200, op.gone_status)
        path = self._path(op.path, listing_id)
        reply = self.t.send(op.method, path, name=name, expect=expect, since=since)
        gone = reply.status == op.gone_status if op.gone_status is not None else (
            reply.ok and op.gone_field is not None
            and _get(reply.body, op.gone_field) == op.gone_value
        )  # fmt: skip
        return api.Reply(410 if gone else reply.status, reply.body, reply.ok)

    def listing(self, listing_id: int, since: float | None) -> api.Reply:
        return self._look(api.LISTING_GET, listing_id, since)

    def poll_listing(self, listing_id: int) -> api.Reply:
        return self._look(api.LISTING_POLL, listing_id, None)

    # -- sellers
    def create_listing(self, key: str, fields: dict[str, Any], since: float | None) -> api.Reply:
        return NOT_SENT

    def counter_notice(
        self, key: str, listing_id: int, text: str, since: float | None
    ) -> api.Reply:
        return NOT_SENT


def mapped_keys(spec: MappingSpec, path: str | Path) -> Keys:
    """A keys file in the service's own words, as the harness's Keys."""
    km = spec.keys
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    holders = tuple(
        RightsHolderKey(str(r[km.key]), int(r[km.brand]), "mapped")
        for r in data.get(km.rights_holders, [])
    )
    managers = tuple(ManagerKey(str(m[km.key]), ()) for m in data.get(km.account_managers, []))
    return Keys(holders, managers, ())
