"""A baseline names the settings that moved since it was made; settings the code gained
since, at their defaults, do not read as a changed scenario."""

from __future__ import annotations

import copy

from sim.regression.drift import drift_notes, flatten
from sim.scenario import Scenario, scenario_dict


def _smoke_tree() -> dict[str, object]:
    return scenario_dict(Scenario.model_validate({"scenario": {"name": "drift"}}))


def test_flatten_names_settings_as_set_does() -> None:
    tree = {"platform": {"strikes": {"ladder": ["warn", "ban"]}, "upload_recall": 0.8}, "a": {}}
    assert flatten(tree) == {
        "platform.strikes.ladder": ["warn", "ban"],
        "platform.upload_recall": 0.8,
        "a": {},
    }


def test_the_same_scenario_gives_no_note() -> None:
    tree = _smoke_tree()
    assert drift_notes("s.toml", tree, copy.deepcopy(tree)) == []


def test_settings_added_since_are_listed_apart_from_changes() -> None:
    """A baseline made before a section existed: today's tree has more settings, none moved."""
    now = _smoke_tree()
    before = copy.deepcopy(now)
    del before["misuse"]  # as if the baseline predated the Art. 23 section
    notes = drift_notes("s.toml", before, now)
    assert len(notes) == 1 and "settings added since the baseline" in notes[0]
    assert "misuse.enabled" in notes[0] and "differs" not in notes[0]


def test_moved_and_dropped_settings_are_named() -> None:
    now = _smoke_tree()
    before = copy.deepcopy(now)
    before["platform"]["upload_recall"] = 0.5  # type: ignore[index]
    before["old_section"] = {"knob": 1}
    (note,) = drift_notes("s.toml", before, now)
    assert note.startswith("s.toml: scenario differs from the baseline's: ")
    assert "platform.upload_recall 0.5 -> 0.8" in note and "old_section.knob removed" in note


def test_many_changes_are_counted_not_all_listed() -> None:
    before = {"x": {f"k{i}": i for i in range(5)}}
    now = {"x": {f"k{i}": i + 1 for i in range(5)}}
    (note,) = drift_notes("s.toml", before, now)
    assert note.count(" -> ") == 3 and note.endswith("(+2 more)")
