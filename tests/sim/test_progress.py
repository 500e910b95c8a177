"""The commands' progress display off a terminal: one plain line per step on stderr."""

from __future__ import annotations

import pytest

from sim.cli.progress import stage_progress


def test_off_a_terminal_each_step_is_one_line_and_repeats_are_dropped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with stage_progress("optimize") as show:
        show("trials", 0, 3)
        show("trials", 1, 3)
        show("trials", 1, 3)  # the same step again: not printed twice
        show("race", 1, 2, "raced 1 of 2 candidates")
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "[optimize] trials 0/3",
        "[optimize] trials 1/3",
        "raced 1 of 2 candidates",
    ]
