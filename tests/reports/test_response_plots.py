"""The deterrence and displacement panels: drawn for runs whose counterfeiters respond,
from a real comparison, and shown in headless Chromium; absent otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reports.load import load
from reports.render import render_report
from reports.response_plots import deterrence, displacement
from sim.experiment import compare
from sim.scenario import load_scenario
from tests.reports.conftest import open_offline

SHORT = ["scenario.horizon_days=50", "platform.change.day=40"]
STRICT = ['platform.strikes.ladder=["warn", "ban"]', "platform.strikes.min_gap_days=1.0"]


@pytest.fixture(scope="module")
def responsive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A comparison of the deterrence scenario, shortened, against a strict ladder."""
    out = tmp_path_factory.mktemp("responsive")
    base = load_scenario("deterrence", SHORT)
    strict = load_scenario("deterrence", [*SHORT, *STRICT, "scenario.name=strict"])
    compare([base, strict], 2, seed=7, jobs=1, out_dir=out)
    render_report(out)
    return out


def test_both_panels_are_drawn_for_responsive_counterfeiters(responsive: Path) -> None:
    for plot_id in ("deterrence", "displacement"):
        png = (responsive / f"fig_{plot_id}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 5_000


def test_the_panels_stay_out_of_reports_without_them(folders: dict[str, Path]) -> None:
    data = load(folders["compare"])
    assert deterrence(data) is None and displacement(data) is None


@pytest.mark.browser
def test_the_panels_show_in_the_browser(browser: Any, responsive: Path, tmp_path: Path) -> None:
    with open_offline(browser, responsive / "report.html", tmp_path / "shot.png") as opened:
        for plot_id in ("deterrence", "displacement"):
            img = opened.page.locator(f"#plot-{plot_id}")
            assert img.count() == 1
            assert img.evaluate("i => i.complete ? i.naturalWidth : 0") > 300
