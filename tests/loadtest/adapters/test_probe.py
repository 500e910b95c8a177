"""A mapping is checked against the running service at start-up: a wrong path, field,
header or "gone" signal is one line naming the mapping line and what the service said."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest.adapters.mapping import key_lines, load_mapping
from tests.cli_helpers import run_cli
from tests.loadtest.adapters.conftest import MAPPING


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = MAPPING.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "mapping.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line(path: Path, key: str) -> int:
    return key_lines(path.read_text(encoding="utf-8"))[key]


def test_the_mapping_of_the_second_service_passes(
    other_service: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, keys = other_service
    args = ["check-mapping", str(MAPPING), "--host", url, "--keys", str(keys)]
    code, out, err = run_cli(args, capsys)
    assert (code, err) == (0, "")
    assert out == f"{MAPPING}: browse, listing, file_notice and claim answered as mapped\n"


@pytest.mark.parametrize(
    ("old", "new", "key", "said"),
    [
        ('"/api/v2/takedown-requests"', '"/api/v2/takedowns"', "file_notice.path",
         'file_notice: POST /api/v2/takedowns: the service answered 404 {"detail":"Not Found"}'),
        ('"offer_refs"', '"offers"', "file_notice.listings",
         "file_notice: listings 'offers', reason 'grounds', evidence 'proof': "
         'the service answered 422 {"detail":[{"type":"missing","loc":["body","offer_refs"]'),
        ('gone_field = "status"', 'gone_field = "state"', "listing.gone_field",
         "listing.gone_field 'state' not in the answer: the service answered 200 {"),
        ('"X-Api-Key"', '"Authorization"', "auth.header",
         "auth.header 'Authorization': the service answered 401 "
         '{"detail":"unknown or missing X-Api-Key"}'),
        ('items = "tasks"', 'items = "jobs"', "claim.items",
         "claim.items 'jobs' not in the answer: the service answered 200 {\"tasks\":"),
    ],
)  # fmt: skip
def test_a_wrong_mapping_names_its_line_and_the_answer(
    old: str, new: str, key: str, said: str,
    other_service: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    url, keys = other_service
    path = _variant(tmp_path, old, new)
    code, out, err = run_cli(
        ["check-mapping", str(path), "--host", url, "--keys", str(keys)], capsys
    )
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1
    assert err.startswith(f"error: {path}:{_line(path, key)}: {said}"), err


def test_a_mapping_with_two_gone_signals_fails_before_any_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _variant(tmp_path, 'gone_value = "taken_down"', 'gone_value = "x"\ngone_status = 410')
    code, _, err = run_cli(["check-mapping", str(path), "--host", "http://127.0.0.1:9",
                            "--keys", str(path)], capsys)  # fmt: skip
    assert code == 2
    assert err == (
        f"error: {path}: listing: bad value {{...}}: "
        "give gone_status, or gone_field and gone_value (one of the two)\n"
    )


def test_the_lines_are_those_of_the_file() -> None:
    mapping = load_mapping(MAPPING)
    text = MAPPING.read_text(encoding="utf-8").splitlines()
    assert text[mapping.lines["decide.method"] - 1] == 'method = "PUT"'
    approve = text.index('approve = "uphold"') + 1
    assert mapping.where("decide", "approve") == f"{MAPPING}:{approve}"
    assert mapping.where("claim", "method") == f"{MAPPING}:{text.index('[claim]') + 1}"
