"""Reaching a takedown service that does not speak the reference API.

The harness needs five things of a service: file a notice, read a listing and tell
whether it is gone, claim review items, decide one, and a key per role. The reference
API is the default (``loadtest.client.TakedownClient``); a declarative TOML mapping
(``loadtest.adapters.mapping``) describes any other REST service's paths, methods,
field names, "gone" signal and keys file. ``loadtest.adapters.probe`` checks a mapping
against the running service at start-up, and ``loadtest.adapters.mapped.MappedClient``
is what the Locust users then talk through (``Harness.api_client`` picks the client).
"""
