"""The installed package's version, as recorded in every output's provenance."""

from __future__ import annotations

from importlib import metadata


def package_version() -> str:
    """``takedown-lab``'s version, or ``0+unknown`` when it is not installed."""
    try:
        return metadata.version("takedown-lab")
    except metadata.PackageNotFoundError:  # pragma: no cover - not installed
        return "0+unknown"
