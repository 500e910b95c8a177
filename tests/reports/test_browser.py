"""report.html in headless Chromium: no console errors, no network, every plot, not blank.

Chromium is Debian's package (``make browser`` installs it). Without it the test skips,
except under CI (env CI set), where a missing browser is a failure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.reports.conftest import open_offline

pytestmark = pytest.mark.browser

PLOT_COUNT = {"run": 6, "compare": 6, "sweep": 7}


@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
def test_report_opens_offline_without_errors(
    browser: Any, folders: dict[str, Path], kind: str, tmp_path: Path
) -> None:
    with open_offline(browser, folders[kind] / "report.html", tmp_path / f"{kind}.png") as opened:
        plots = opened.page.locator("img.plot")
        assert plots.count() == PLOT_COUNT[kind]
        widths = plots.evaluate_all("imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
        assert all(w > 300 for w in widths), widths
        assert opened.page.locator("#headline-table td[data-metric]").count() >= 7


def test_report_prints_to_a_few_a4_pages(browser: Any, folders: dict[str, Path]) -> None:
    """Printable: Chromium's print path lays the comparison out on A4 pages."""
    page = browser.new_page()
    page.goto((folders["compare"] / "report.html").as_uri(), wait_until="load")
    pdf = page.pdf(format="A4", print_background=True)
    page.close()
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pdf.startswith(b"%PDF") and 2 <= pages <= 12, pages
