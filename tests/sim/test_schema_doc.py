"""The scenario reference: generated from the schema, and the committed copy is current."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sim.dists import DIST_CLASSES
from sim.scenario import AccountManagers, Scenario, from_dict
from sim.schema_doc import default_text, main, render, sections, toml_value, type_name

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "scenario-reference.md"


def test_committed_reference_is_current() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(), (
        "docs/scenario-reference.md is out of date with sim/scenario.py: "
        "run 'python -m sim.schema_doc' and commit the result"
    )


def test_every_table_and_key_is_documented() -> None:
    text = render()
    for path, model in sections():
        assert f"## `[{path}]`" in text
        for name, info in model.model_fields.items():
            assert f"| `{info.alias or name}` |" in text, f"{path}.{name}"
            assert info.description, f"{path}.{name} has no docstring"
    for kind in DIST_CLASSES:
        assert f"### `{kind}`" in text


def test_rows_show_type_default_bounds_and_meaning() -> None:
    text = render()
    assert (
        "| `upload_recall` | number | `0.8` | 0 <= x <= 1 | "
        "Probability that the upload classifier catches a fake. |" in text
    )
    assert '| `review_time_h` | distribution | `{dist = "exponential", mean = 0.5}` |' in text
    assert "| `working_days` | list of integer | `[0, 1, 2, 3, 4]` | each 0 <= x <= 6 |" in text
    assert "| `max_listings_per_notice` | integer | `300` | 1 <= x <= 300 |" in text
    assert "- warmup_days must be less than horizon_days." in text


def test_type_names_and_toml_values() -> None:
    fields = AccountManagers.model_fields
    assert type_name(fields["working_hours"].annotation) == "pair of integer"
    assert type_name(fields["always_on"].annotation) == "bool"
    assert toml_value(Scenario().market.genuine_price_usd) == "80.0"
    assert toml_value({"a": [1, True], "b": "x"}) == '{a = [1, true], b = "x"}'


def test_the_documented_defaults_are_valid_toml_for_the_same_scenario() -> None:
    """Write every default back as a scenario file; it must load to the default scenario."""
    data: dict[str, dict[str, object]] = {}
    for path, model in sections():
        for name in model.model_fields:
            shown = default_text(model, name)
            if shown != "(table)":
                value = tomllib.loads(f"v = {shown.strip('`')}")["v"]
                node = data
                for part in path.split("."):
                    node = node.setdefault(part, {})  # type: ignore[assignment]
                node[name] = value
    assert from_dict(data) == Scenario()


def test_main_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "docs" / "ref.md"
    assert main(["--check", str(out)]) == 1
    assert "out of date; run 'python -m sim.schema_doc'" in capsys.readouterr().err
    assert main([str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render()
    assert main(["--check", str(out)]) == 0
    out.write_text("stale\n", encoding="utf-8")
    assert main(["--check", str(out)]) == 1
