"""Report inputs.

``folders``: one run, one comparison and one sweep made by the real commands (``takedown
run``, ``compare``, ``sweep``) on the smoke scenario.

``synthetic_compare``: seeded synthetic outputs with a known effect per strategy, for
checks that need a known answer (tests/reports/synthetic.py).

``browser``: Debian's headless Chromium through Playwright, for the report pages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reports.render import render_report
from tests.reports import synthetic

KINDS = ("run", "compare", "sweep")
SMOKE = Path(__file__).resolve().parents[2] / "scenarios" / "smoke.toml"
PROGRAMMES = ("standard", "good_faith", "joint_force")
SWEEP_GRID = ("account_managers.pool_size=1,2,4", "platform.sweep_recall=0.1,0.4")
SHORTER = ["--set", "scenario.horizon_days=22"]  # smoke's 37 days, cut to save test time
COMMAND_TIMEOUT_S = 240
MAIN = "import sys; from sim.cli import main; main(sys.argv[1:])"


def takedown(args: list[str], cwd: Path) -> str:
    """Run the real ``takedown`` command; fail the test with its stderr if it fails."""
    script = Path(sys.executable).with_name("takedown")
    entry = [str(script)] if script.is_file() else [sys.executable, "-c", MAIN]
    proc = subprocess.run(
        [*entry, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"takedown {' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc.stdout


def mix(programme: str) -> str:
    """A programme_mix giving every brand ``programme`` (tables merge, so zero the rest)."""
    return ", ".join(f"{p} = {1.0 if p == programme else 0.0}" for p in PROGRAMMES)


def strategy_files(folder: Path) -> list[str]:
    """The smoke scenario with every brand in one programme, one file per programme."""
    paths = []
    for programme in PROGRAMMES:
        path = folder / f"{programme}.toml"
        path.write_text(
            f'extends = "{SMOKE.as_posix()}"\n[scenario]\nname = "{programme}"\n'
            f"[rights_holders]\nprogramme_mix = {{ {mix(programme)} }}\n",
            encoding="utf-8",
        )
        paths.append(str(path))
    return paths


@pytest.fixture(scope="session")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """kind -> output folder of the real command with its report rendered.

    ``run`` renders its own report (checked here); compare and sweep are run with
    ``--no-report`` and rendered in this process, which saves two cold imports of the
    plotting stack on a busy 2-core machine.
    """
    base = tmp_path_factory.mktemp("real-outputs")
    out = takedown(["run", str(SMOKE), *SHORTER, "--seed", "11", "--out", "run"], base)
    assert f"report: {Path('run') / 'report.html'}" in out
    common = [
        *SHORTER,
        "--seed",
        "5",
        "--jobs",
        "1",
        "--no-report",
    ]  # workers would re-import the model
    takedown(["compare", *strategy_files(base), "--reps", "3", *common, "--out", "compare"], base)
    grids = [arg for spec in SWEEP_GRID for arg in ("--grid", spec)]
    takedown(["sweep", str(SMOKE), *grids, "--reps", "2", *common, "--out", "sweep"], base)
    for kind in ("compare", "sweep"):
        render_report(base / kind)
    return {k: base / k for k in KINDS}


@pytest.fixture(scope="session")
def synthetic_compare(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic comparison with known effects (joint_force best), rendered."""
    folder = tmp_path_factory.mktemp("synthetic") / "compare"
    synthetic.write_experiment(synthetic.compare_points(), "compare", folder)
    render_report(folder)
    return folder


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """Debian's chromium binary, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (run 'make browser')")
        pytest.skip("chromium is not installed (run 'make browser')")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def pixel_spread(png: Path) -> float:
    """Standard deviation of the screenshot's grey levels (0 for a blank page)."""
    from PIL import Image

    with Image.open(png) as image:
        grey = np.asarray(image.convert("L"), dtype=float)
    return float(grey.std())


@dataclass
class OfflinePage:
    """A report opened in Chromium, with the console errors and requests it made."""

    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@contextmanager
def open_offline(browser: Any, report: Path, shot: Path) -> Iterator[OfflinePage]:
    """Open ``report``; the caller checks the page, then a full-page screenshot goes to
    ``shot`` and the page closes. After the block: no console error, no request but the
    file itself (data: URIs aside), and not a blank page."""
    opened = OfflinePage(browser.new_page(viewport={"width": 1280, "height": 900}))
    page, errors, requests = opened.page, opened.errors, opened.requests
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri(), wait_until="load")
    yield opened
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    assert errors == []
    assert [u for u in requests if not u.startswith("data:")] == [report.as_uri()]
    assert pixel_spread(shot) > 20.0  # a white page is 0; text and plots give about 50
