"""The load-test report: rendered from a real run's folder, read back, and opened in
headless Chromium (every plot, no network, no console errors).

One short run of the real harness against the reference service it starts (the smoke
profile for 4 s, one local runner) serves every test here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reports.loadtest_data import SPECTRUM_Q, load_loadtest
from reports.loadtest_plots import CATALOGUE
from reports.render import render_report
from tests.reports.conftest import open_offline

pytestmark = pytest.mark.timeout(240)
REPO = Path(__file__).resolve().parents[2]
MAIN = "import sys; from sim.cli import main; main(sys.argv[1:])"
SLO = """\
[thresholds]
"arrivals" = ["count > 0"]
"e2e_takedown" = ["p50 < 1us"]
"""


def takedown(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-c", MAIN, *args],
        cwd=REPO, capture_output=True, text=True, timeout=200, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def loadtest_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real load test's results (one gate held, one breached), with its report."""
    base = tmp_path_factory.mktemp("loadtest-report")
    slo = base / "slo.toml"
    slo.write_text(SLO)
    out = base / "out"
    run = takedown(
        "loadtest", "--profile", "smoke", "--duration", "4s",
        "--seed", "3", "--slo", str(slo), "--out", str(out),
    )  # fmt: skip
    assert run.returncode == 3, run.stderr[-2000:]  # the p50 < 1us gate is breached
    # rendered in this process (the command's own path is render_report too; the
    # error test below runs the command): saves a cold import of the plotting stack
    assert render_report(out) == out / "report.html"
    return out


def _doc(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "loadtest.json").read_text())


def test_report_files_and_summary_follow_the_results(loadtest_folder: Path) -> None:
    doc = _doc(loadtest_folder)
    for plot_id, *_ in CATALOGUE:
        assert (loadtest_folder / f"fig_{plot_id}.png").stat().st_size > 5000
    md = (loadtest_folder / "summary.md").read_text()
    assert "**FAILED: 1 of 3 gate(s) breached (exit 3).**" in md
    assert "| `e2e_takedown` | p50 < 1us |" in md and "**BREACH**" in md
    assert (
        f"| dropped arrivals | {doc['arrivals']['dropped']} of {doc['arrivals']['scheduled']} |"
        in md
    )
    html = (loadtest_folder / "report.html").read_text()
    assert html.count('class="plot"') == len(CATALOGUE)
    assert "http://" not in html and "https://" not in html  # self-contained


def test_spectrum_is_the_run_s_own_histogram(loadtest_folder: Path) -> None:
    """The decoded histograms give the same percentiles loadtest.json states."""
    doc = _doc(loadtest_folder)
    data = load_loadtest(loadtest_folder)
    e2e = data.spectra["e2e_takedown"]
    assert e2e.count == doc["e2e_takedown"]["count"] > 0
    for q, key in ((50.0, "p50_s"), (95.0, "p95_s"), (99.0, "p99_s")):
        assert e2e.values_s[SPECTRUM_Q.index(q)] == pytest.approx(
            doc["e2e_takedown"][key], abs=1e-4
        )
    assert list(e2e.values_s) == sorted(e2e.values_s)
    timeline = doc["timeline"]
    assert sum(timeline["arrivals"]["scheduled"]) == doc["arrivals"]["scheduled"]
    assert sum(timeline["series"]["e2e_takedown"]["count"]) == doc["e2e_takedown"]["count"]


def test_a_folder_with_a_broken_loadtest_json_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "loadtest.json").write_text('{"arrivals": {}, "histograms": {"x": "no"}}')
    run = takedown("report", str(tmp_path))
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'loadtest.json'}: histograms.x: not an HDR histogram: "
        + run.stderr.split("not an HDR histogram: ", 1)[1].strip()
    ]
    assert "Traceback" not in run.stderr


@pytest.mark.browser
def test_loadtest_report_opens_offline_without_errors(
    browser: Any, loadtest_folder: Path, tmp_path: Path
) -> None:
    report, shot = loadtest_folder / "report.html", tmp_path / "loadtest.png"
    with open_offline(browser, report, shot) as opened:
        plots = opened.page.locator("img.plot")
        assert plots.count() == len(CATALOGUE)
        widths = plots.evaluate_all("imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
        assert all(w > 300 for w in widths), widths
        assert opened.page.locator("#gate-list li.worse").count() == 1
        assert opened.page.locator("#request-table tbody tr").count() >= 5
