"""The one error type for input a user can fix.

Every library error a user can cause (a bad scenario, design, backend, baseline,
report folder, load profile, trace) is a ``UserError``: it carries every problem
found, one line each naming the parameter or field, and the exit code the command
line ends with. The command line catches it once, in ``sim.cli.main``.
"""

from __future__ import annotations

from collections.abc import Sequence

USAGE = 2  # exit code of a user's mistake


class UserError(Exception):
    """Input the user can fix: ``problems`` (one line each) and the exit ``code``."""

    def __init__(self, problems: str | Sequence[str], code: int = USAGE) -> None:
        lines = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(lines))
        self.problems = lines
        self.code = code
