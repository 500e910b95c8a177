"""A Python adapter for the second test service (``--adapter``): what a class covers
that a mapping does not would go here; this one builds on the mapped client."""

from __future__ import annotations

from pathlib import Path

from loadtest.adapters.mapped import MappedClient, mapped_keys
from loadtest.adapters.mapping import load_mapping
from loadtest.client import Transport
from loadtest.config import Keys

SPEC = load_mapping(Path(__file__).with_name("other.toml")).spec


class OtherServiceClient(MappedClient):
    """The second service's API, in code."""

    auth = ("X-Api-Key", "")

    def __init__(self, transport: Transport) -> None:
        super().__init__(SPEC, transport)

    @classmethod
    def keys(cls, path: str | Path) -> Keys:
        """The service's keys file: notifiers and reviewers with tokens."""
        return mapped_keys(SPEC, path)


class StreamingOtherServiceClient(OtherServiceClient):
    """The same, for the second service started with ``--stream /api/v2/removals``."""

    removal_stream = "/api/v2/removals"
