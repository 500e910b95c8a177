"""Running the real ``takedown`` entry point in-process, for the CLI tests."""

from __future__ import annotations

import pytest

from sim.cli import main


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``takedown args``: (exit code as the shell would see it, stdout, stderr)."""
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    code = exc.value.code
    if code is None or isinstance(code, int):
        return code or 0, out, err
    return 1, out, err  # sys.exit("message") exits 1
