"""Scenario loading: extends chains, --set overrides, validation messages, properties."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from annotated_types import Ge, Le
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from sim.dists import Exponential, Gamma
from sim.scenario import (
    Scenario,
    ScenarioError,
    apply_overrides,
    from_dict,
    load_scenario,
    parse_override,
    read_toml,
    scenario_dict,
)
from tests.hypo import examples

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problem(exc: pytest.ExceptionInfo[ScenarioError]) -> str:
    """The single problem line of a ScenarioError."""
    assert len(exc.value.problems) == 1, exc.value.problems
    line = exc.value.problems[0]
    assert "\n" not in line
    return line


def sections() -> Iterator[tuple[str, type[BaseModel]]]:
    """(path, model) for every section, nested ones included."""

    def walk(prefix: str, model: type[BaseModel]) -> Iterator[tuple[str, type[BaseModel]]]:
        for name, info in model.model_fields.items():
            ann = info.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                path = f"{prefix}.{name}" if prefix else name
                yield path, ann
                yield from walk(path, ann)

    yield from walk("", Scenario)


PROB_FIELDS = sorted(
    f"{path}.{name}"
    for path, model in sections()
    for name, info in model.model_fields.items()
    if info.annotation is float and Ge(0.0) in info.metadata and Le(1.0) in info.metadata
)


# --------------------------------------------------------------------------- shipped files


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_scenarios_are_valid(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.scenario.name != "unnamed"


def test_defaults_round_trip_through_the_dict() -> None:
    scenario = Scenario()
    again = from_dict(scenario_dict(scenario))
    assert again == scenario
    assert scenario_dict(scenario)["account_managers"]["review_time_h"] == {
        "dist": "exponential",
        "mean": 0.5,
    }


def test_scenarios_are_frozen() -> None:
    with pytest.raises(ValueError, match="frozen"):
        Scenario().market.brands = 3


def test_there_are_probability_fields_to_check() -> None:
    assert "platform.upload_recall" in PROB_FIELDS
    assert "account_managers.approve_invalid_prob" in PROB_FIELDS
    assert len(PROB_FIELDS) >= 20


# --------------------------------------------------------------------------- extends


def test_extends_chain_merges_tables_relative_to_each_file(tmp_path: Path) -> None:
    write(
        tmp_path / "base" / "root.toml",
        '[scenario]\nname = "root"\nhorizon_days = 20.0\n'
        "[market]\nbrands = 3\nproducts_per_brand = 4\n"
        '[account_managers]\nreview_time_h = {dist = "gamma", mean = 2.0, sd = 1.0}\n',
    )
    write(tmp_path / "base" / "mid.toml", 'extends = "root.toml"\n[market]\nbrands = 5\n')
    leaf = write(
        tmp_path / "runs" / "leaf.toml",
        'extends = "../base/mid.toml"\n[scenario]\nname = "leaf"\n'
        '[account_managers]\nreview_time_h = {dist = "exponential", mean = 1.0}\n',
    )
    s = load_scenario(leaf)
    assert (s.scenario.name, s.scenario.horizon_days) == ("leaf", 20.0)
    assert (s.market.brands, s.market.products_per_brand) == (5, 4)
    # a distribution table replaces the parent's whole (no mixing of gamma and exponential)
    assert s.account_managers.review_time_h == Exponential(mean=1.0)


def test_a_child_table_replaces_the_parents_table_but_sections_merge(tmp_path: Path) -> None:
    """A new programme mix in a child is the whole mix (it once kept the parent's other
    programmes); a child's distribution replaces the parent's; sections merge key by key."""
    write(
        tmp_path / "parent.toml",
        "[rights_holders]\nprogramme_mix = {standard = 0.5, good_faith = 0.5}\n"
        "detection_prob = 0.4\n[counterfeiters]\n"
        'relist_delay_h = {dist = "lognormal", mean = 5.0, sd = 2.0}\n',
    )
    write(
        tmp_path / "child.toml",
        'extends = "parent.toml"\n[rights_holders]\nprogramme_mix = {joint_force = 1.0}\n'
        '[counterfeiters]\nrelist_delay_h = {dist = "exponential", mean = 3.0}\n',
    )
    sc = load_scenario(tmp_path / "child.toml")
    assert sc.rights_holders.programme_mix == {"joint_force": 1.0}
    assert sc.rights_holders.detection_prob == 0.4
    assert repr(sc.counterfeiters.relist_delay_h) == "Exponential(mean=3.0)"


def test_extends_cycle_is_reported(tmp_path: Path) -> None:
    write(tmp_path / "a.toml", 'extends = "b.toml"\n')
    write(tmp_path / "b.toml", 'extends = "sub/../a.toml"\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(tmp_path / "a.toml")
    assert "extends: cycle through" in problem(exc)


def test_extends_itself_is_a_cycle(tmp_path: Path) -> None:
    write(tmp_path / "self.toml", 'extends = "self.toml"\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(tmp_path / "self.toml")
    assert problem(exc).endswith("extends: cycle through self.toml")


def test_extends_missing_parent_names_the_child(tmp_path: Path) -> None:
    child = write(tmp_path / "child.toml", 'extends = "gone.toml"\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(child)
    assert problem(exc) == f"{child}: extends: gone.toml: file not found, nor a shipped scenario"


def test_extends_must_be_a_path(tmp_path: Path) -> None:
    child = write(tmp_path / "child.toml", "extends = 3\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(child)
    assert problem(exc) == f"{child}: extends: bad value 3: expected a file path"


def test_a_problem_in_the_parent_names_the_parent(tmp_path: Path) -> None:
    parent = write(tmp_path / "p.toml", "[market\n")
    write(tmp_path / "c.toml", 'extends = "p.toml"\n')
    with pytest.raises(ScenarioError) as exc:
        read_toml(tmp_path / "c.toml")
    assert problem(exc).startswith(f"{parent}: invalid TOML")


# --------------------------------------------------------------------------- --set


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ("market.brands=7", ["market", "brands"], 7),
        ("platform.upload_recall = 0.25", ["platform", "upload_recall"], 0.25),
        ("account_managers.always_on=true", ["account_managers", "always_on"], True),
        ('scenario.name="quoted name"', ["scenario", "name"], "quoted name"),
        ("scenario.name=bare words", ["scenario", "name"], "bare words"),
        ("account_managers.working_days=[0, 2]", ["account_managers", "working_days"], [0, 2]),
        (
            'account_managers.review_time_h={dist="gamma", mean=1.0, sd=0.5}',
            ["account_managers", "review_time_h"],
            {"dist": "gamma", "mean": 1.0, "sd": 0.5},
        ),
        ("scenario.description=a=b", ["scenario", "description"], "a=b"),
    ],
)
def test_parse_override_reads_values_as_toml(text: str, path: list[str], value: Any) -> None:
    assert parse_override(text) == (path, value)


@pytest.mark.parametrize("text", ["market.brands", "=3", "market..brands=3", ".x=1", "x.=1"])
def test_bad_override_syntax_is_one_line(text: str) -> None:
    with pytest.raises(ScenarioError) as exc:
        parse_override(text)
    assert problem(exc) == f"overrides {text!r}: expected dotted.path=value"


def test_overrides_apply_in_order_and_leave_the_input_alone() -> None:
    data: dict[str, Any] = {"market": {"brands": 3, "products_per_brand": 4}}
    out = apply_overrides(data, ["market.brands=5", "market.brands=6", "platform.sweep_recall=0.5"])
    assert out == {
        "market": {"brands": 6, "products_per_brand": 4},
        "platform": {"sweep_recall": 0.5},
    }
    assert data == {"market": {"brands": 3, "products_per_brand": 4}}


def test_overrides_go_through_validation(tmp_path: Path) -> None:
    path = write(tmp_path / "s.toml", "[market]\nbrands = 3\n")
    s = load_scenario(
        path,
        ["market.brands=9", 'account_managers.review_time_h={dist="gamma", mean=1.0, sd=0.5}'],
    )
    assert s.market.brands == 9
    assert s.account_managers.review_time_h == Gamma(mean=1.0, sd=0.5)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path, ["market.brands=ten"])
    assert problem(exc).startswith(f"{path}: market.brands: bad value 'ten'")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path, ["market.brandz=3"])
    assert problem(exc) == f"{path}: market.brandz: unknown key; did you mean 'brands'?"


# --------------------------------------------------------------------------- messages


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (
            {"market": {"brands": "ten"}},
            "market.brands: bad value 'ten': Input should be a valid integer",
        ),
        (
            {"counterfeiters": {"arrivals_per_day": -1}},
            "counterfeiters.arrivals_per_day: bad value -1:",
        ),
        (
            {"platform": {"upload_recall": 1.5}},
            "platform.upload_recall: bad value 1.5: Input should be less",
        ),
        (
            {"platform": {"uplod_recall": 0.5}},
            "platform.uplod_recall: unknown key; did you mean 'upload_recall'?",
        ),
        (
            {"platform": {"strikes": {"lader": []}}},
            "platform.strikes.lader: unknown key; did you mean 'ladder'?",
        ),
        ({"marke": {}}, "marke: unknown key; did you mean 'market'?"),
        (
            {"account_managers": {"review_time_h": {"dist": "exponental", "mean": 1}}},
            "account_managers.review_time_h: bad value {...}: unknown distribution 'exponental'; "
            "did you mean 'exponential'?",
        ),
        (
            {"account_managers": {"review_time_h": {"dist": "exponential", "mean": 1, "sd": 1}}},
            "account_managers.review_time_h.sd: unknown key; allowed: dist, mean",
        ),
        (
            {"account_managers": {"review_time_h": {"mean": 1}}},
            "account_managers.review_time_h: bad value {...}: a distribution needs dist = one of",
        ),
        (
            {"account_managers": {"review_time_h": "fast"}},
            "account_managers.review_time_h: bad value 'fast': expected a number or a table",
        ),
        (
            {"market": {"views_per_listing_day": math.inf}},
            "market.views_per_listing_day: bad value inf:",
        ),
        (
            {"market": {"views_per_listing_day": math.nan}},
            "market.views_per_listing_day: bad value nan:",
        ),
        (
            {"scenario": {"horizon_days": 5, "warmup_days": 5}},
            "scenario: bad value {...}: warmup_days",
        ),
        (
            {"account_managers": {"working_hours": [18, 9]}},
            "working_hours end (9) must be after start",
        ),
        (
            {"account_managers": {"working_days": [7]}},
            "account_managers.working_days.0: bad value 7:",
        ),
        (
            {"rights_holders": {"programme_mix": {"standard": 0.0}}},
            "rights_holders.programme_mix: bad value {...}: shares must sum to 1, got 0",
        ),
        (
            {"rights_holders": {"programme_mix": {"standard": 0.7, "good_faith": 0.7}}},
            "shares must sum to 1, got 1.4 (standard = 0.7, good_faith = 0.7)",
        ),
        ({"market": {"brands": "10"}}, "market.brands: bad value '10': Input should be a valid"),
        (
            {"platform": {"upload_recall": "0.5"}},
            "platform.upload_recall: bad value '0.5': Input should be a valid number",
        ),
        (
            {"counterfeiters": {"relist_delay_h": {"dist": "exponential", "mean": "2"}}},
            "counterfeiters.relist_delay_h.mean: bad value '2': Input should be a valid number",
        ),
        (
            {"rights_holders": {"programme_mix": {"standard": "1"}}},
            "rights_holders.programme_mix.standard: bad value '1'",
        ),
        ({"scenario": {"horizon_days": 1e9}}, "scenario.horizon_days: bad value 1000000000.0:"),
        ({"counterfeiters": {"count": 10**9}}, "less than or equal to 10000000"),
        ({"counterfeiters": {"arrivals_per_day": 1e12}}, "less than or equal to 1000000"),
        (
            {"counterfeiters": {"listings_per_day": 1e9}},
            "counterfeiters.listings_per_day: bad value 1000000000.0: its mean is 1e+09, above "
            "the bound of 100,000 per day",
        ),
        (
            {"counterfeiters": {"count": 1_000_000, "listings_per_day": 50.0}},
            "counterfeiters: bad value {...}: count x mean listings_per_day = 50,000,000 posts "
            "a day, above the bound of 10,000,000",
        ),
        (
            {"market": {"brands": 100_000, "products_per_brand": 1_000}},
            "market: bad value {...}: brands x products_per_brand = 100,000,000 products, above "
            "the bound of 10,000,000",
        ),
        (
            {"legit_sellers": {"count": 10_000_000, "listings_per_seller": 100}},
            "count x listings_per_seller = 1,000,000,000 genuine listings, above the bound",
        ),
        ({"account_managers": {"pool_size": 10**9}}, "account_managers.pool_size: bad value"),
        ({"platform": {"sweep_interval_h": 1e12}}, "platform.sweep_interval_h: bad value"),
        (
            {"rights_holders": {"max_listings_per_notice": 301}},
            "max_listings_per_notice: bad value 301",
        ),
        (
            {"market": {"brands": True}},
            "market.brands: bad value True: expected a number, got true",
        ),
        (
            {"platform": {"sweep_recall": False}},
            "platform.sweep_recall: bad value False: expected a",
        ),
    ],
)
def test_each_mistake_is_one_line_naming_the_field(data: dict[str, Any], line: str) -> None:
    with pytest.raises(ScenarioError) as exc:
        from_dict(data, "f.toml")
    got = problem(exc)
    assert got.startswith("f.toml: ")
    assert line in got


@pytest.mark.parametrize("where", [(), ("market",), ("platform", "strikes")])
def test_an_unknown_key_named_like_a_distribution_is_still_named(where: tuple[str, ...]) -> None:
    """Distribution names are also pydantic's union tags; a user's key must not vanish."""
    data: dict[str, Any] = {"gamma": 1}
    for part in reversed(where):
        data = {part: data}
    with pytest.raises(ScenarioError) as exc:
        from_dict(data, "f.toml")
    assert problem(exc).startswith(f"f.toml: {'.'.join((*where, 'gamma'))}: unknown key; ")


def test_several_mistakes_give_one_line_each() -> None:
    with pytest.raises(ScenarioError) as exc:
        from_dict({"market": {"brands": 0}, "platform": {"sweep_recall": 2.0}}, "f.toml")
    assert [p.split(":")[1].strip() for p in exc.value.problems] == [
        "market.brands",
        "platform.sweep_recall",
    ]


def test_long_bad_values_are_cut_short() -> None:
    with pytest.raises(ScenarioError) as exc:
        from_dict({"scenario": {"horizon_days": "x" * 200}}, "f.toml")
    assert "..." in problem(exc) and len(problem(exc)) < 200


# --------------------------------------------------------------------------- properties


outside_unit = st.one_of(
    st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False),
    st.floats(min_value=1.0 + 1e-9, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=examples(150), deadline=None)
@given(st.sampled_from(PROB_FIELDS), outside_unit)
def test_any_probability_outside_0_1_is_refused_by_name(field: str, value: float) -> None:
    section, _, name = field.rpartition(".")
    data: dict[str, Any] = {}
    node = data
    for part in section.split("."):
        node = node.setdefault(part, {})
    node[name] = value
    with pytest.raises(ScenarioError) as exc:
        from_dict(data, "p.toml")
    assert problem(exc).startswith(f"p.toml: {field}: bad value ")


@settings(max_examples=examples(100), deadline=None)
@given(st.sampled_from(PROB_FIELDS), st.floats(0.0, 1.0))
def test_any_probability_inside_0_1_is_accepted(field: str, value: float) -> None:
    """Set through --set (so the override path is exercised too) and read back."""
    obj: Any = from_dict(apply_overrides({}, [f"{field}={value!r}"]))
    for part in field.split("."):
        obj = getattr(obj, part)
    assert obj == value


@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,11}", fullmatch=True))
def test_unknown_keys_are_always_refused(key: str) -> None:
    if key in Scenario.model_fields or key == "extends":
        return
    with pytest.raises(ScenarioError) as exc:
        from_dict({key: 1}, "k.toml")
    assert problem(exc).startswith(f"k.toml: {key}: unknown key; ")


@settings(max_examples=examples(60), deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_give_a_scenario_or_one_line_per_problem(
    tmp_path_factory: Any, raw: bytes
) -> None:
    path = tmp_path_factory.mktemp("bytes") / "x.toml"
    path.write_bytes(raw)
    try:
        load_scenario(path)
    except ScenarioError as exc:
        assert exc.problems and all(p.startswith(f"{path}: ") for p in exc.problems)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf[market]\nbrands = 3\n")
    assert load_scenario(path).market.brands == 3


def test_bool_keys_still_take_bools() -> None:
    assert from_dict({"account_managers": {"always_on": True}}).account_managers.always_on
