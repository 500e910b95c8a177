"""What the space and target files share: their error and line numbers for problems."""

from __future__ import annotations

import re
from typing import Any

from sim.config import ConfigError


class SpaceError(ConfigError):
    """A space or target file could not be loaded; one line per problem."""


# --------------------------------------------------------------------------- line numbers


def _line_of(text: str, needle: str, after: int = 0) -> int:
    """The 1-based number of the first line at or after ``after`` that mentions ``needle``
    as a key (quoted, bare or in a table header); the first line when none does."""
    pattern = re.compile(rf"(^|[\s.\[{{,\"']){re.escape(needle)}(\"|'|\s|=|\]|\.|$)")
    lines = text.splitlines()
    for i in range(max(after - 1, 0), len(lines)):
        code = lines[i].split("#", 1)[0]
        if pattern.search(code):
            return i + 1
    return after or 1


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
