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
    ],
)
def test_mistakes_name_the_field(data: dict[str, object], needle: str) -> None:
    with pytest.raises(ProfileError, match=needle):
        profile_from_dict(data, "p.toml")


def test_unknown_profile_name_suggests() -> None:
    with pytest.raises(ProfileError, match="did you mean 'default'"):
        load_profile("defualt")
