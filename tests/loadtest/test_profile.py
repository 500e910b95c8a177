"""Load profiles: the shipped ones load; mistakes name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest.profile import PROFILES_DIR, ProfileError, load_profile, profile_from_dict
from loadtest.shapes import Spike


@pytest.mark.parametrize("path", sorted(PROFILES_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_profiles_load(path: Path) -> None:
    profile = load_profile(str(path))
    assert profile.rate_of("shopper") >= 0
    assert profile.pool_of("rights_holder") >= 1


def test_profile_by_name_and_shape() -> None:
    profile = profile_from_dict({"shape": {"kind": "spike", "peak": 4.0}})
    assert isinstance(profile.shape, Spike) and profile.shape.peak == 4.0
    assert load_profile("default").profile.name == "default"


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"rates": {"shoppers": 1.0}}, "rates.shoppers: unknown key"),
        ({"rates": {"shopper": -1.0}}, "rates.shopper: bad value -1.0"),
        ({"shape": {"kind": "wave"}}, "unknown shape"),
        ({"rights_holder": {"listings_max": 301}}, "rights_holder.listings_max"),
        # as strict as a scenario: finite numbers, no true/false for a number
        ({"rates": {"shopper": float("inf")}}, "rates.shopper: .*finite"),
        ({"rates": {"shopper": float("nan")}}, "rates.shopper: .*finite"),
        ({"pool": {"seller": True}}, "pool.seller: .*expected a number, got true"),
        # shapes that would divide by zero or make no rate
        ({"shape": {"kind": "ramp", "ramp": 0.0}}, "shape.ramp: .*greater than 0"),
        ({"shape": {"kind": "step", "steps": 0}}, "shape.steps: .*greater than or equal to 1"),
        ({"shape": {"kind": "constant", "level": -1.0}}, "shape.level: .*greater than or equal"),
        ({"shape": {"kind": "spike", "at": 1.0}}, "shape.at: .*less than 1"),
        ({"shape": {"kind": "spike", "peak": float("inf")}}, "shape.peak: .*finite"),
    ],
)
def test_mistakes_name_the_field(data: dict[str, object], needle: str) -> None:
    with pytest.raises(ProfileError, match=needle):
        profile_from_dict(data, "p.toml")


def test_unknown_profile_name_suggests() -> None:
    with pytest.raises(ProfileError, match="did you mean 'default'"):
        load_profile("defualt")


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (
            {"rates": {"shoppers": 1.0}},
            "p.toml: rates.shoppers: unknown key; did you mean 'shopper'?",
        ),
        ({"profil": {"name": "x"}}, "p.toml: profil: unknown key; did you mean 'profile'?"),
        (
            {"e2e": {"poll_backof": 2.0}},
            "p.toml: e2e.poll_backof: unknown key; did you mean 'poll_backoff'?",
        ),
        (
            {"shape": {"kind": "spike", "peek": 4.0}},
            "p.toml: shape.peek: unknown key; did you mean 'peak'?",
        ),
        (
            {"rates": {"zzz": 1.0}},
            "p.toml: rates.zzz: unknown key; allowed: rights_holder, account_manager, shopper, "
            "seller",
        ),
        (
            {"shape": {"kind": "spik"}},
            "p.toml: shape: bad value {...}: unknown shape 'spik'; did you mean 'spike'?",
        ),
        (
            {"shape": {"level": 2.0}},
            "p.toml: shape: bad value {...}: a shape needs kind = one of constant, soak, ramp, "
            "step, spike",
        ),
    ],
)
def test_unknown_keys_and_shapes_suggest_what_was_meant(data: dict[str, object], line: str) -> None:
    with pytest.raises(ProfileError) as info:
        profile_from_dict(data, "p.toml")
    assert info.value.problems == [line]


def test_a_top_level_key_named_like_a_shape_is_still_named() -> None:
    """Shape kinds are also pydantic's union tags; a user's key must not vanish from the path."""
    with pytest.raises(ProfileError) as info:
        profile_from_dict({"step": {}}, "p.toml")
    assert info.value.problems[0].startswith("p.toml: step: unknown key; allowed: profile, ")


def test_a_profile_file_names_itself_in_each_problem(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[profile]\nname = "mine"\n[rates]\nshoppers = 3.0\n', encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(str(path))
    assert info.value.problems == [f"{path}: rates.shoppers: unknown key; did you mean 'shopper'?"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[rates\n", "invalid TOML: Expected ']' at the end of a table declaration (at line 1"),
        ("[rates]\nshopper = 1.0\nshopper = 2.0\n", "(at line 3, column 14)"),
    ],
)
def test_malformed_profile_names_the_file_and_line(tmp_path: Path, text: str, line: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(str(path))
    (problem,) = info.value.problems
    assert problem.startswith(f"{path}: invalid TOML: ") and line in problem


def test_missing_profile_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as info:
        load_profile(str(tmp_path / "gone.toml"))
    assert info.value.problems == [f"{tmp_path / 'gone.toml'}: file not found"]
