"""``takedown report`` on optimize, sensitivity and calibrate folders draws the page the
command drew, from the folder's files alone; the pages open in headless Chromium with no
console error, no request and every figure; a broken folder exits 2 naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sim.cli import main
from tests.cli_helpers import run_cli
from tests.reports.conftest import open_offline

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.toml"
SHORT = [w for s in ("scenario.horizon_days=5", "scenario.warmup_days=1") for w in ("--set", s)]
SPACE = """\
[parameters]
"platform.upload_recall" = {low = 0.3, high = 0.95}
"account_managers.working_days" = {choices = [[0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5, 6]]}
"market.fake_price_discount" = {low = 0.2, high = 0.8}
"""
TARGETS = "[targets.fake_removed_proactive]\nvalue = 30.0\ntolerance = 10.0\n"
KINDS = ("optimize", "sensitivity", "calibrate")
# what each page must show: its headings, how many figures and how many tables
EXPECTED = {
    "optimize": (["Best against the input", "Trials", "Parameter importances"], 2, 2),
    "sensitivity": (["fake_exposure_listing_days", "mu_star"], 1, 0),
    "calibrate": (["fake_removed_proactive", "Targets (band) against the fit"], 1, 2),
}


def _takedown(args: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code in (0, None), args


@pytest.fixture(scope="module")
def decide_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """kind -> the folder the real command wrote (its report.html included)."""
    base = tmp_path_factory.mktemp("decide")
    (base / "space.toml").write_text(SPACE)
    (base / "targets.toml").write_text(TARGETS)
    common = ["--seed", "3", "-j", "1", *SHORT]
    space = ["--space", str(base / "space.toml")]
    _takedown(["optimize", str(SMOKE), *space, "--minimize", "am_busy_hours", "--constraint",
               "notices_within_24h_share >= 0.8", "--trials", "4", "--reps", "2", "--race", "2",
               *common, "--out", str(base / "optimize")])  # fmt: skip
    _takedown(["sensitivity", str(SMOKE), *space, "--samples", "3", "--metric",
               "fake_exposure_listing_days", *common,
               "--out", str(base / "sensitivity")])  # fmt: skip
    _takedown(["calibrate", str(SMOKE), *space, "--targets", str(base / "targets.toml"),
               "--trials", "4", "--reps", "2", "--race", "1", *common,
               "--out", str(base / "calibrate")])  # fmt: skip
    return {k: base / k for k in KINDS}


@pytest.mark.parametrize("kind", KINDS)
def test_report_redraws_the_page_the_command_drew(
    decide_folders: dict[str, Path], kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    page = decide_folders[kind] / "report.html"
    drawn = page.read_text(encoding="utf-8")
    page.unlink()
    code, out, err = run_cli(["report", str(decide_folders[kind])], capsys)
    assert code == 0, err
    assert out.strip() == str(page)
    assert page.read_text(encoding="utf-8") == drawn  # the figures' PNG bytes included
    headings, images, _ = EXPECTED[kind]
    assert all(h in drawn for h in headings), kind
    assert drawn.count("data:image/png;base64,") == images


def test_optimize_page_shows_list_choices_as_lists(decide_folders: dict[str, Path]) -> None:
    page = (decide_folders["optimize"] / "report.html").read_text(encoding="utf-8")
    best = json.loads((decide_folders["optimize"] / "optimize.json").read_text())["best"]
    days = best["params"]["account_managers.working_days"]
    assert f"<td>{days}</td>" in page  # [0, 1, ...] as in best.toml, not a tuple


def test_report_on_a_broken_decision_folder_names_the_file(
    decide_folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    summary = json.loads((decide_folders["optimize"] / "optimize.json").read_text())
    del summary["versus_input"]
    (folder / "optimize.json").write_text(json.dumps(summary))
    code, _, err = run_cli(["report", str(folder)], capsys)
    assert code == 2
    expected = f"error: {folder / 'optimize.json'}: missing versus_input"
    assert err.strip().splitlines() == [expected]
    assert not (folder / "report.html").exists()


@pytest.mark.browser
@pytest.mark.parametrize("kind", KINDS)
def test_decision_pages_open_offline_without_errors(
    browser: Any, decide_folders: dict[str, Path], kind: str, tmp_path: Path
) -> None:
    report = decide_folders[kind] / "report.html"
    with open_offline(browser, report, tmp_path / f"{kind}.png") as opened:
        images = opened.page.locator("img")
        widths = images.evaluate_all("imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
        assert len(widths) == EXPECTED[kind][1] and all(w > 300 for w in widths), widths
        assert opened.page.locator("table").count() == EXPECTED[kind][2]
        assert opened.page.locator("h1").inner_text().startswith(kind)


def test_report_draws_a_page_for_an_interrupted_sensitivity_run(
    decide_folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C leaves design.csv and sensitivity.json (interrupted, every metric skipped)
    but no indices.csv: the page says why each metric has no indices."""
    folder = tmp_path / "cut"
    folder.mkdir()
    doc = json.loads((decide_folders["sensitivity"] / "sensitivity.json").read_text())
    reason = "interrupted before the design finished"
    doc.update(interrupted=True, ranking={}, skipped={m: reason for m in doc["metrics"]})
    (folder / "sensitivity.json").write_text(json.dumps(doc))
    code, _, err = run_cli(["report", str(folder)], capsys)
    assert code == 0, err
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert f"skipped: {reason}" in page and "data:image/png" not in page
