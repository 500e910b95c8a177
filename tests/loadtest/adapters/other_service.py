"""A second, small takedown service for the adapter tests: other paths, field names,
auth header and "gone" signal than the reference API, so only a mapping can reach it.

    python -m tests.loadtest.adapters.other_service --port P --keys-out keys.json

Offers of brand 1 are taken down on filing; those of brand 2 once a reviewer upholds
the request. A gone offer still answers 200, with ``status = "taken_down"``. With
``--stream PATH`` it also publishes each take-down as a server-sent ``removal`` event
(the reference API's event shape, at a path of its own).
"""

import argparse
import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict

OFFERS_PER_BRAND = 40
INSTANT_BRAND, REVIEWED_BRAND = 1, 2


class TakedownRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    offer_refs: list[int]
    grounds: str
    proof: str


class Pull(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max: int = 1


class Outcome(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["uphold", "dismiss"]


@dataclass
class State:
    """Offers, requests and the review queue, in memory."""

    tokens: dict[str, tuple[str, int]]  # token -> (role, brand)
    offers: dict[int, dict[str, object]]
    requests: dict[int, list[int]] = field(default_factory=dict)
    queue: list[int] = field(default_factory=list)
    removals: list[tuple[int, int, float]] = field(default_factory=list)  # (offer, request, at)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))


def new_state() -> State:
    offers = {
        brand * 1000 + i: {"ref": brand * 1000 + i, "brand": brand, "status": "active"}
        for brand in (INSTANT_BRAND, REVIEWED_BRAND)
        for i in range(OFFERS_PER_BRAND)
    }
    tokens = {"n-1": ("notifier", INSTANT_BRAND), "n-2": ("notifier", REVIEWED_BRAND),
              "r-1": ("reviewer", 0)}  # fmt: skip
    return State(tokens, offers)


def keys_doc(state: State) -> dict[str, object]:
    """The keys file, in this service's own words."""
    by_role = sorted(state.tokens.items())
    return {
        "notifiers": [{"token": t, "brand": b} for t, (r, b) in by_role if r == "notifier"],
        "reviewers": [{"token": t} for t, (r, _) in by_role if r == "reviewer"],
    }


def create_app(state: State, stream: str | None = None) -> FastAPI:
    app = FastAPI()

    def who(x_api_key: Annotated[str | None, Header()] = None) -> tuple[str, int]:
        if x_api_key not in state.tokens:
            raise HTTPException(401, "unknown or missing X-Api-Key")
        return state.tokens[x_api_key]

    def take_down(refs: list[int], request: int) -> None:
        for ref in refs:
            if state.offers[ref]["status"] != "taken_down":
                state.removals.append((ref, request, time.time()))
            state.offers[ref]["status"] = "taken_down"

    async def events() -> AsyncIterator[str]:
        sent = len(state.removals)  # removals from now on
        while True:
            while sent < len(state.removals):
                ref, request, at = state.removals[sent]
                data = {"listing_id": ref, "notice_id": request, "removed_at": at}
                yield f"event: removal\ndata: {json.dumps(data)}\n\n"
                sent += 1
            await asyncio.sleep(0.01)

    if stream is not None:

        @app.get(stream)
        def removals() -> StreamingResponse:
            return StreamingResponse(events(), media_type="text/event-stream")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/v2/offers")
    def offers(brand: int) -> dict[str, object]:
        live = [o for o in state.offers.values() if o["brand"] == brand]
        return {"offers": [o for o in live if o["status"] == "active"]}

    @app.get("/api/v2/offers/{ref}")
    def offer(ref: int) -> dict[str, object]:
        if ref not in state.offers:
            raise HTTPException(404, "no such offer")
        return state.offers[ref]

    @app.post("/api/v2/takedown-requests", status_code=201)
    def file(req: TakedownRequest, me: Annotated[tuple[str, int], Depends(who)]) -> dict[str, int]:
        if me[0] != "notifier" or any(r not in state.offers for r in req.offer_refs):
            raise HTTPException(422, "offer_refs: unknown offer")
        ref = next(state.ids)
        state.requests[ref] = req.offer_refs
        if me[1] == INSTANT_BRAND:
            take_down(req.offer_refs, ref)
        else:
            state.queue.append(ref)
        return {"request_ref": ref}

    @app.post("/api/v2/queue/pull")
    def pull(body: Pull, me: Annotated[tuple[str, int], Depends(who)]) -> dict[str, object]:
        taken, state.queue[:] = state.queue[: body.max], state.queue[body.max :]
        return {"tasks": [{"ref": ref} for ref in taken]}

    @app.put("/api/v2/tasks/{ref}/outcome")
    def decide(ref: int, body: Outcome, me: Annotated[tuple[str, int], Depends(who)]) -> dict:
        if ref not in state.requests:
            raise HTTPException(404, "no such task")
        if body.outcome == "uphold":
            take_down(state.requests[ref], ref)
        return {"ref": ref, "outcome": body.outcome}

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--keys-out", type=Path, required=True)
    parser.add_argument("--stream", help="publish removals as server-sent events at this path")
    args = parser.parse_args()
    state = new_state()
    args.keys_out.write_text(json.dumps(keys_doc(state)), encoding="utf-8")
    uvicorn.run(
        create_app(state, args.stream), host="127.0.0.1", port=args.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
