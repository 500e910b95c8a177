"""The shared config loader: reading TOML, one line per problem, "did you mean"."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from sim.config import (
    ConfigError,
    Tags,
    closest,
    format_validation_error,
    read_toml,
    suggestion,
    validate,
)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Circle(_Strict):
    form: Literal["circle"] = "circle"
    radius_m: float = Field(default=1.0, gt=0.0)


class Square(_Strict):
    form: Literal["square"] = "square"
    side_m: float = Field(default=1.0, alias="side", gt=0.0)


@dataclass(frozen=True)
class Dot:
    form: Literal["dot"] = "dot"
    weight: float = 1.0


Figure = Annotated[Circle | Square | Dot, Field(discriminator="form")]
FIGURES = Tags(noun="figure", key="form", members={"circle": Circle, "square": Square, "dot": Dot})


class Paint(_Strict):
    colour: str = "red"
    coats: int = Field(default=1, ge=1)


class Drawing(_Strict):
    paint: Paint = Field(default_factory=Paint)
    figure: Figure = Field(default_factory=Circle)
    layers: list[Paint] = Field(default_factory=list)
    extra_figures: dict[str, Figure] = Field(default_factory=dict)


class DrawingError(ConfigError):
    """A drawing could not be loaded."""


def problems(data: dict[str, Any], tags: Tags | None = FIGURES) -> list[str]:
    with pytest.raises(DrawingError) as info:
        validate(Drawing, data, "d.toml", DrawingError, tags)
    return info.value.problems


def write(path: Path, raw: bytes) -> Path:
    path.write_bytes(raw)
    return path


# --------------------------------------------------------------------------- errors


def test_a_config_error_is_its_problems_one_per_line() -> None:
    err = DrawingError(["a: one", "b: two"])
    assert isinstance(err, ValueError)
    assert (str(err), err.problems) == ("a: one\nb: two", ["a: one", "b: two"])


@pytest.mark.parametrize(
    ("word", "choices", "expected"),
    [
        ("colur", ["colour", "coats"], "did you mean 'colour'?"),
        ("zzz", ["colour", "coats"], "allowed: colour, coats"),
        ("zzz", [], "allowed: "),
    ],
)
def test_suggestion(word: str, choices: list[str], expected: str) -> None:
    assert suggestion(word, choices) == expected


def test_closest_and_a_named_fallback() -> None:
    assert closest("defualt", ["default", "soak"]) == "default"
    assert closest("zzz", ["default", "soak"]) is None
    assert suggestion("zzz", ["default", "soak"], fallback="shipped") == "shipped: default, soak"


# --------------------------------------------------------------------------- reading


def test_read_toml_gives_the_tables(tmp_path: Path) -> None:
    path = write(tmp_path / "d.toml", b'[paint]\ncolour = "blue"\ncoats = 2\n')
    assert read_toml(path) == {"paint": {"colour": "blue", "coats": 2}}


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.toml", b"\xef\xbb\xbf[paint]\ncoats = 2\n")
    assert read_toml(path) == {"paint": {"coats": 2}}


@pytest.mark.parametrize(
    ("raw", "tail"),
    [
        (
            b"[paint]\ncoats = 2\ncoats = 3\n",
            "invalid TOML: Cannot overwrite a value (at line 3, column 10)",
        ),
        (
            b"[paint\n",
            "invalid TOML: Expected ']' at the end of a table declaration (at line 1, column 7)",
        ),
        (b"[paint]\ncolour = \xff\n", "not UTF-8 text (byte 17)"),
        (b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n", "invalid TOML: nested too deeply"),
    ],
)
def test_a_bad_file_is_one_line_naming_it(tmp_path: Path, raw: bytes, tail: str) -> None:
    path = write(tmp_path / "bad.toml", raw)
    with pytest.raises(DrawingError) as info:
        read_toml(path, DrawingError)
    assert info.value.problems == [f"{path}: {tail}"]


def test_a_missing_file_or_a_directory_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        read_toml(tmp_path / "gone.toml")
    assert info.value.problems == [f"{tmp_path / 'gone.toml'}: file not found"]
    with pytest.raises(ConfigError) as info:
        read_toml(tmp_path)
    assert info.value.problems == [f"{tmp_path}: is a directory, expected a .toml file"]


# --------------------------------------------------------------------------- validating


def test_validate_gives_the_model() -> None:
    drawing = validate(Drawing, {"figure": {"form": "square", "side": 2.0}}, "d.toml")
    assert drawing.figure == Square(side=2.0)
    assert drawing.paint == Paint()


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ({"paint": {"colur": "x"}}, "d.toml: paint.colur: unknown key; did you mean 'colour'?"),
        ({"pain": {}}, "d.toml: pain: unknown key; did you mean 'paint'?"),
        ({"paint": {"zzz": 1}}, "d.toml: paint.zzz: unknown key; allowed: colour, coats"),
        ({"paint": {"coats": 0}}, "d.toml: paint.coats: bad value 0: Input should be greater"),
        ({"paint": {"coats": "x" * 80}}, "d.toml: paint.coats: bad value '" + "x" * 56 + "...: "),
        ({"layers": [{}, {"coats": 0}]}, "d.toml: layers.1.coats: bad value 0: "),
        ({"layers": [{"colr": "x"}]}, "d.toml: layers.0.colr: unknown key; did you mean 'colour'?"),
        (
            {"figure": {"form": "squar"}},
            "d.toml: figure: bad value {...}: unknown figure 'squar'; did you mean 'square'?",
        ),
        (
            {"figure": {"form": "blob"}},
            "d.toml: figure: bad value {...}: unknown figure 'blob'; allowed: circle, square, dot",
        ),
        (
            {"figure": {"radius_m": 2.0}},
            "d.toml: figure: bad value {...}: a figure needs form = one of circle, square, dot",
        ),
        (
            {"figure": {"form": "circle", "radius": 2.0}},
            "d.toml: figure.radius: unknown key; did you mean 'radius_m'?",
        ),
        (
            {"figure": {"form": "square", "sides": 2.0}},
            "d.toml: figure.sides: unknown key; did you mean 'side'?",
        ),
        (
            {"figure": {"form": "dot", "wieght": 2.0}},
            "d.toml: figure.wieght: unknown key; did you mean 'weight'?",
        ),
        ({"figure": {"form": "circle", "radius_m": -1}}, "d.toml: figure.radius_m: bad value -1: "),
        (
            {"extra_figures": {"a": {"form": "dot", "wieght": 2.0}}},
            "d.toml: extra_figures.a.wieght: unknown key; did you mean 'weight'?",
        ),
        (
            {"extra_figures": {"b": {"form": "sqare"}}},
            "d.toml: extra_figures.b: bad value {...}: unknown figure 'sqare'; did you mean",
        ),
    ],
)
def test_each_problem_is_one_line_naming_file_and_field(data: dict[str, Any], line: str) -> None:
    (got,) = problems(data)
    assert got.startswith(line)


def test_several_problems_keep_their_order() -> None:
    got = problems({"paint": {"coats": 0, "colr": "x"}, "figure": {"form": "blob"}})
    assert [p.split(": ")[1] for p in got] == ["paint.coats", "paint.colr", "figure"]


@pytest.mark.parametrize("where", [(), ("paint",)])
def test_a_key_named_like_a_tag_is_still_named(where: tuple[str, ...]) -> None:
    """Union tags appear in pydantic's locations; a user's key of that name must stay."""
    data: dict[str, Any] = {"circle": 1}
    for part in reversed(where):
        data = {part: data}
    (got,) = problems(data)
    assert got.startswith(f"d.toml: {'.'.join((*where, 'circle'))}: unknown key; ")


def test_without_tags_unions_keep_pydantic_words_and_tags_in_the_path() -> None:
    """The tags are what lets the formatter read pydantic's locations; without them the
    member's tag stays in the path."""
    assert problems({"figure": {"form": "blob"}}, tags=None) == [
        "d.toml: figure: bad value {...}: Input tag 'blob' found using 'form' does not match "
        "any of the expected tags: 'circle', 'square', 'dot'"
    ]
    bad_weight = {"figure": {"form": "dot", "weight": "x"}}
    assert problems(bad_weight, tags=None)[0].startswith("d.toml: figure.dot.weight: ")
    assert problems(bad_weight)[0].startswith("d.toml: figure.weight: bad value 'x': ")


def test_format_validation_error_of_one_error_dict() -> None:
    err = {"type": "extra_forbidden", "loc": ("paint", "colr"), "msg": "Extra", "input": 1}
    line = format_validation_error("d.toml", err, Drawing)
    assert line == "d.toml: paint.colr: unknown key; did you mean 'colour'?"


@given(st.text(min_size=1, max_size=12).filter(lambda s: s.isidentifier()))
def test_unknown_keys_are_always_refused_by_name(key: str) -> None:
    if key in Drawing.model_fields:
        return
    (got,) = problems({key: 1})
    assert got.startswith(f"d.toml: {key}: unknown key; ")
