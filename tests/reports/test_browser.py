"""report.html in headless Chromium: no console errors, no network, every plot, not blank.

Chromium is Debian's package (``make browser`` installs it). Without it the test skips,
except under CI (env CI set), where a missing browser is a failure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.reports.conftest import pixel_spread

pytestmark = pytest.mark.browser

PLOT_COUNT = {"run": 6, "compare": 6, "sweep": 7}


@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
def test_report_opens_offline_without_errors(
    browser: Any, folders: dict[str, Path], kind: str, tmp_path: Path
) -> None:
    report = folders[kind] / "report.html"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri(), wait_until="load")

    plots = page.locator("img.plot")
    assert plots.count() == PLOT_COUNT[kind]
    widths = plots.evaluate_all("imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
    assert all(w > 300 for w in widths), widths
    assert page.locator("#headline-table td[data-metric]").count() >= 7
    shot = tmp_path / f"{kind}.png"
    page.screenshot(path=str(shot), full_page=True)
    page.close()

    assert errors == []
    assert [u for u in requests if not u.startswith("data:")] == [report.as_uri()]
    assert pixel_spread(shot) > 20.0  # a white page is 0; text and plots give about 50


def test_report_prints_to_a_few_a4_pages(browser: Any, folders: dict[str, Path]) -> None:
    """Printable: Chromium's print path lays the comparison out on A4 pages."""
    page = browser.new_page()
    page.goto((folders["compare"] / "report.html").as_uri(), wait_until="load")
    pdf = page.pdf(format="A4", print_background=True)
    page.close()
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pdf.startswith(b"%PDF") and 2 <= pages <= 12, pages
