"""The scenarios that ship with takedown-lab, found by name wherever it is installed.

In a checkout they are the repository's ``scenarios/`` folder; an installed wheel carries
them under ``<prefix>/share/takedown-lab/scenarios`` (``data-files`` in pyproject.toml).
A name is a file's stem: ``smoke`` is ``smoke.toml``.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

SUFFIX = ".toml"


DISTRIBUTION = "takedown-lab"
DATA_DIR = ("share", "takedown-lab", "scenarios")


def scenario_dir() -> Path:
    """The folder of the shipped scenarios: the checkout's, else the installed copy."""
    checkout = Path(__file__).resolve().parents[1] / "scenarios"
    if (checkout / f"smoke{SUFFIX}").is_file():
        return checkout
    return _installed() or Path(sys.prefix, *DATA_DIR)


def _installed() -> Path | None:
    """Where the installer put the scenarios, from the distribution's record of its files:
    under the environment's prefix, or the user's (``pip install --user``) or another
    ``--prefix``, wherever the package itself landed."""
    from importlib import metadata

    try:
        files = metadata.distribution(DISTRIBUTION).files or []
    except metadata.PackageNotFoundError:
        return None
    tail = "/".join((*DATA_DIR, f"smoke{SUFFIX}"))
    for file in files:
        if file.as_posix().endswith(tail):
            return Path(str(file.locate())).resolve().parent
    return None


def names() -> list[str]:
    """Every shipped scenario's name, sorted."""
    return sorted(p.stem for p in scenario_dir().glob(f"*{SUFFIX}"))


def is_name(text: str) -> bool:
    """Whether ``text`` could name a shipped scenario: no folder part, at most ``.toml``."""
    return "/" not in text and "\\" not in text and Path(text).suffix in ("", SUFFIX)


def path_of(name: str) -> Path | None:
    """The file of the shipped scenario ``name`` (``smoke`` or ``smoke.toml``), or None."""
    if not is_name(name):
        return None
    path = scenario_dir() / f"{Path(name).stem}{SUFFIX}"
    return path if path.is_file() else None


def description(name: str) -> str:
    """A shipped scenario's ``description`` (empty when it has none or cannot be read)."""
    path = path_of(name)
    if path is None:
        return ""
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8")).get("scenario", {})
    except (OSError, tomllib.TOMLDecodeError):
        return ""
    text = meta.get("description", "") if isinstance(meta, dict) else ""
    return text if isinstance(text, str) else ""
