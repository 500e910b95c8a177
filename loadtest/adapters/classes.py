"""An adapter written in Python, for a service a mapping cannot describe.

``--adapter package.module:Class`` names a class the load generators construct with a
``loadtest.client.Transport``; it offers the methods of ``TakedownClient`` (subclass it,
or ``MappedClient``) and answers in the reference shape. Optionally it has ``auth``
(header, text before the key) and a classmethod ``keys(path) -> loadtest.config.Keys``
that reads the service's keys file. The module must be importable where the load
generators run (installed, or on PYTHONPATH).
"""

from __future__ import annotations

import importlib
from typing import Any

from sim.errors import UserError

REQUIRED = ("file_notice", "claim", "decide", "browse", "sweep", "listing", "poll_listing")


class AdapterError(UserError, ValueError):
    """The adapter class cannot be used; one line naming it."""


def load_class(spec: str) -> Any:
    """The class ``package.module:Class`` names; AdapterError saying what is wrong."""
    module_name, sep, name = spec.partition(":")
    if not sep or not module_name or not name:
        raise AdapterError(f"adapter {spec!r}: expected package.module:Class")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise AdapterError(f"adapter {spec!r}: cannot import {module_name}: {exc}") from None
    cls = getattr(module, name, None)
    if not isinstance(cls, type):
        raise AdapterError(f"adapter {spec!r}: {module_name} has no class {name}")
    missing = [m for m in REQUIRED if not callable(getattr(cls, m, None))]
    if missing:
        raise AdapterError(f"adapter {spec!r}: lacks {', '.join(missing)}")
    return cls
