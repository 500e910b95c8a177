"""Space files whose choices are lists (working days, working hours): read and checked
like other choices, proposed by Optuna through their TOML text, and written back as
lists in trials.csv and best.toml."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sim.decide import load_space, optimize
from sim.decide.space import SpaceError
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.toml"
SHORT = ("scenario.horizon_days=5", "scenario.warmup_days=1")
WEEK = (0, 1, 2, 3, 4, 5, 6)
SPACE = """\
[parameters]
"account_managers.pool_size" = {low = 1, high = 3}
"account_managers.working_days" = {choices = [[0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5, 6]]}
"""


def test_list_choices_are_read_as_tuples(tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text(SPACE)
    days = load_space(tmp_path / "s.toml", SMOKE).parameters[1]
    assert days.kind == "categorical"
    assert days.choices == ((0, 1, 2, 3, 4), WEEK)
    assert days.labels == ["[0, 1, 2, 3, 4]", "[0, 1, 2, 3, 4, 5, 6]"]
    assert days.decode("[0, 1, 2, 3, 4, 5, 6]") == WEEK
    assert [days.from_unit(0.2), days.from_unit(0.8)] == [(0, 1, 2, 3, 4), WEEK]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('"account_managers.working_days" = {choices = [[0, 1], 3]}',
         "s.toml:3: account_managers.working_days: choices: either every choice is a list "
         "or none is"),
        ('"account_managers.working_days" = {choices = [[0, 1], [0, 1]]}',
         "s.toml:3: account_managers.working_days: choices: a value is repeated"),
        ('"account_managers.working_days" = {choices = [[0, {a = 1}]]}',
         "s.toml:3: account_managers.working_days: choices: only numbers, true/false and "
         "strings, or lists of them"),
        ('"account_managers.working_days" = {choices = [[0, 1], [0, 9]]}',
         "s.toml:3: account_managers.working_days = [0, 9]: bad value 9: "),
    ],
)  # fmt: skip
def test_bad_list_choices_name_the_line(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(f"# a space\n[parameters]\n{body}\n")
    with pytest.raises(SpaceError) as exc:
        load_space(path, SMOKE)
    assert len(exc.value.problems) == 1
    assert exc.value.problems[0].startswith(f"{tmp_path}/{expected}"), exc.value.problems


def test_optimize_over_list_choices_writes_lists(tmp_path: Path) -> None:
    """Every trial's working_days is one of the two lists; trials.csv writes them as TOML
    lists; best.toml sets the winner's list and loads as a scenario."""
    (tmp_path / "s.toml").write_text(SPACE)
    res = optimize(SMOKE, tmp_path / "s.toml", minimize=["am_paid_hours"], trials=6, reps=2,
                   race=2, seed=3, jobs=1, overrides=SHORT, out_dir=tmp_path / "out")  # fmt: skip
    days = [t["account_managers.working_days"] for t in res.trials]
    assert set(days) <= {(0, 1, 2, 3, 4), WEEK} and len(days) == 6
    with (tmp_path / "out" / "trials.csv").open(newline="") as fh:
        written = [row["account_managers.working_days"] for row in csv.DictReader(fh)]
    assert written == ["[" + ", ".join(map(str, d)) + "]" for d in days]
    assert res.best is not None
    best = load_scenario(tmp_path / "out" / "best.toml")
    assert (
        tuple(best.account_managers.working_days)
        == res.best["params"]["account_managers.working_days"]
    )
    assert best.account_managers.pool_size == res.best["params"]["account_managers.pool_size"]
    # paid hours: fewer days and fewer managers pay less, so the winner is the smallest pool
    # on weekdays only
    assert res.best["params"]["account_managers.working_days"] == (0, 1, 2, 3, 4)


def test_a_study_with_list_choices_resumes_from_storage(tmp_path: Path) -> None:
    """A stored study records its space by the choices' TOML text, so a second process
    (or a rerun) with the same space joins it rather than calling it another study."""
    (tmp_path / "s.toml").write_text(SPACE)
    url = f"sqlite:///{tmp_path}/study.db"
    opts = dict(minimize=["am_paid_hours"], reps=2, race=0, seed=3, jobs=1, overrides=SHORT,
                storage=url)  # fmt: skip
    first = optimize(SMOKE, tmp_path / "s.toml", trials=4, **opts)  # type: ignore[arg-type]
    second = optimize(SMOKE, tmp_path / "s.toml", trials=8, **opts)  # type: ignore[arg-type]
    assert len(first.trials) == 4 and len(second.trials) == 8
    assert second.trials[:4] == first.trials
