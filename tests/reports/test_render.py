"""render_report on run, compare and sweep folders: files, self-containment, numbers."""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reports.load import ReportError
from reports.render import render_report
from reports.wording import fmt_diff, fmt_value, headline_metrics

KINDS = ("run", "compare", "sweep")
PLOTS = {
    "run": {"live_fakes", "latency_cdf", "removals_by_channel", "harm_vs_cost",
            "wrongful_removals", "account_managers"},
}  # fmt: skip
PLOTS["compare"] = PLOTS["run"]
PLOTS["sweep"] = PLOTS["run"] | {"sweep"}


class Cells(HTMLParser):
    """Collects every metric cell (<td data-metric ...>) with its attributes and texts."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict[str, str]] = []
        self.imgs: list[dict[str, str]] = []
        self.urls: list[str] = []
        self._cell: dict[str, str] | None = None
        self._span: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.urls += [v for k, v in a.items() if k in {"src", "href", "action", "poster"}]
        if tag == "img":
            self.imgs.append(a)
        if tag == "td" and "data-metric" in a:
            self._cell = a
            self.cells.append(a)
        if tag == "span" and self._cell is not None:
            self._span = a.get("class", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._cell = None
        if tag == "span":
            self._span = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None and self._span:
            self._cell[f"text-{self._span}"] = self._cell.get(f"text-{self._span}", "") + data


def parse(path: Path) -> Cells:
    parser = Cells()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_html_markdown_and_pngs(folders: dict[str, Path], kind: str) -> None:
    folder = folders[kind]
    html = parse(folder / "report.html")
    ids = {img["id"].removeprefix("plot-") for img in html.imgs}
    assert ids == PLOTS[kind]
    for plot_id in ids:
        png = (folder / f"fig_{plot_id}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 5_000
    md = (folder / "summary.md").read_text(encoding="utf-8")
    assert md.startswith("# ") and "## Headline" in md and "## Provenance" in md


@pytest.mark.parametrize("kind", KINDS)
def test_html_is_self_contained(folders: dict[str, Path], kind: str) -> None:
    text = (folders[kind] / "report.html").read_text(encoding="utf-8")
    html = parse(folders[kind] / "report.html")
    assert html.urls, "expected the inline images at least"
    assert all(u.startswith("data:image/png;base64,") for u in html.urls), html.urls
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:)?//", text, re.I)
    assert "@import" not in text and "url(" not in text and "<script" not in text


def _exact(value: object) -> str:
    return repr(float(value)) if isinstance(value, int | float) and math.isfinite(value) else ""


@pytest.mark.parametrize("kind", ["compare", "sweep"])
def test_table_numbers_equal_comparison_json(folders: dict[str, Path], kind: str) -> None:
    folder = folders[kind]
    comparison = json.loads((folder / "comparison.json").read_text())
    cells = parse(folder / "report.html").cells
    assert {c["data-metric"] for c in cells} == set(comparison["metrics"])
    for c in cells:
        metric, label = c["data-metric"], c["data-label"]
        stat = comparison["metrics"][metric][label]
        assert c["data-mean"] == _exact(stat["mean"])
        assert c["data-ci-low"] == _exact(stat["ci_low"])
        assert c["data-ci-high"] == _exact(stat["ci_high"])
        assert c["text-mean"] == fmt_value(metric, stat["mean"])
        diff = comparison["differences"][metric].get(label)
        # the baseline, or no difference to show (e.g. a per-desk metric is NaN for a
        # strategy without dedicated desks)
        if diff is None or diff["mean"] is None:
            assert "data-diff-mean" not in c
            continue
        assert c["data-diff-mean"] == _exact(diff["mean"])
        assert c["text-diff"].startswith(f"Δ {fmt_diff(metric, diff['mean'])}")
        assert ("▲" in c["text-diff"] or "▼" in c["text-diff"] or "◆" in c["text-diff"]) == (
            diff["significant"]
        )


def _close(text: str, value: float, scale: float) -> bool:
    """The rounded text is within half a unit of its last digit of the exact value."""
    found = re.match(r"-?[\d,]+(\.\d+)?", text)
    assert found, text
    number = found.group(0).replace(",", "")
    decimals = len(number.split(".")[1]) if "." in number else 0
    return abs(float(number) - value * scale) <= 0.5 * 10**-decimals + 1e-9


def test_displayed_numbers_round_the_exact_ones(folders: dict[str, Path]) -> None:
    comparison = json.loads((folders["compare"] / "comparison.json").read_text())
    for c in parse(folders["compare"] / "report.html").cells:
        metric, label = c["data-metric"], c["data-label"]
        scale = 100.0 if c["text-mean"].endswith("%") else 1.0
        mean = comparison["metrics"][metric][label]["mean"]
        if mean is None:  # no data (e.g. no dedicated desks): shown as n/a
            assert c["text-mean"] == "n/a"
            continue
        assert _close(c["text-mean"], mean, scale)


def test_markdown_table_matches_comparison_json(folders: dict[str, Path]) -> None:
    folder = folders["compare"]
    comparison = json.loads((folder / "comparison.json").read_text())
    md = (folder / "summary.md").read_text(encoding="utf-8")
    labels = comparison["scenarios"]
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    header = [h.strip() for h in rows[0].strip("|").split("|")]
    assert header[1:] == [f"{labels[0]} (baseline)", *labels[1:]]
    from reports.wording import wording

    by_label = {wording(m).label: m for m in comparison["metrics"]}
    body = [r for r in rows[1:] if r.split("|")[1].strip() in by_label]
    assert [by_label[r.split("|")[1].strip()] for r in body] == [
        m for m in headline_metrics() if m in comparison["metrics"]
    ]
    for row in body:
        cols = [c.strip() for c in row.strip("|").split("|")]
        metric = by_label[cols[0]]
        for label, cell in zip(labels, cols[1:], strict=True):
            stat = comparison["metrics"][metric][label]
            low, high = fmt_value(metric, stat["ci_low"]), fmt_value(metric, stat["ci_high"])
            assert cell.startswith(f"{fmt_value(metric, stat['mean'])} ({low} – {high})")
            diff = comparison["differences"][metric].get(label)
            if diff is not None:
                assert f"Δ {fmt_diff(metric, diff['mean'])}" in cell


def test_verdicts_state_direction_unit_and_ci(synthetic_compare: Path) -> None:
    """The synthetic joint_force is built 10 h faster at p95, with small noise."""
    md = (synthetic_compare / "summary.md").read_text(encoding="utf-8")
    line = next(x for x in md.splitlines() if x.startswith("- ▲ joint_force removes fakes"))
    assert re.fullmatch(
        r"- ▲ joint_force removes fakes [\d.]+ h sooner at p95 compared with standard "
        r"\(95% CI [\d.]+-[\d.]+ h\)\.",
        line,
    ), line


def test_rendering_twice_gives_the_same_bytes(folders: dict[str, Path]) -> None:
    folder = folders["compare"]
    first = (folder / "report.html").read_bytes()
    render_report(folder)
    assert (folder / "report.html").read_bytes() == first


def test_sweep_table_lists_every_point_with_its_parameters(folders: dict[str, Path]) -> None:
    sweep = json.loads((folders["sweep"] / "sweep.json").read_text())
    text = (folders["sweep"] / "report.html").read_text(encoding="utf-8")
    assert 'class="transposed"' in text
    labels = {c["data-label"] for c in parse(folders["sweep"] / "report.html").cells}
    assert labels == {p["label"] for p in sweep["points"]}
    assert "pool_size" in text and "sweep_recall" in text


def test_a_folder_that_is_no_output_is_a_report_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="not a run, compare or sweep folder"):
        render_report(tmp_path)
    with pytest.raises(ReportError, match="no such folder"):
        render_report(tmp_path / "missing")
    (tmp_path / "summary.json").write_text("{not json")
    with pytest.raises(ReportError, match="not readable JSON"):
        render_report(tmp_path)


def test_a_three_parameter_sweep_renders_its_heatmaps(tmp_path: Path) -> None:
    from tests.reports import synthetic

    grid = {
        "account_managers.pool_size": [2, 4],
        "platform.sweep_recall": [0.1, 0.5],
        "platform.upload_recall": [0.6, 0.9],
    }
    synthetic.write_experiment(synthetic.sweep_points(grid), "sweep", tmp_path, reps=1)
    html = parse(render_report(tmp_path))
    assert "sweep" in {img["id"].removeprefix("plot-") for img in html.imgs}
    assert len({c["data-label"] for c in html.cells}) == 8


def test_weighted_cdf_counts_listings_not_notices() -> None:
    """Two notices: 1 listing removed at 2 h, 3 listings at 30 h -> 25% within 24 h."""
    import numpy as np

    from reports.latency_plots import weighted_cdf

    y = weighted_cdf(np.array([30.0, 2.0]), np.array([3.0, 1.0]), np.array([0.0, 2.0, 24.0, 30.0]))
    assert y.tolist() == [0.0, 0.25, 0.25, 1.0]


@pytest.mark.parametrize("df", [1, 2, 5, 29, 30, 31, 45, 200, 5000])
def test_band_t_values_match_the_experiment_statistics(df: int) -> None:
    """The daily bands use a scipy-free t table; it must agree with sim.stats to 1e-4."""
    from reports.plotkit import t975
    from sim.stats import t_quantile

    assert t975(df) == pytest.approx(t_quantile(df), abs=1e-4)


def test_a_one_parameter_sweep_draws_lines_with_bands(tmp_path: Path) -> None:
    from tests.reports import synthetic

    grid = {"account_managers.pool_size": [1, 2, 4, 8]}
    synthetic.write_experiment(synthetic.sweep_points(grid), "sweep", tmp_path, reps=2)
    text = render_report(tmp_path).read_text(encoding="utf-8")
    assert 'id="plot-sweep"' in text
    assert 'class="transposed"' not in text  # four points fit as columns
    md = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "- `account_managers.pool_size`: 1, 2, 4, 8" in md


def test_a_large_sweep_draws_few_lines_but_every_point_in_tables(tmp_path: Path) -> None:
    """Twelve points: time series show the reference, middle and last; tables show all."""
    from reports.load import load
    from reports.plotkit import series_labels
    from tests.reports import synthetic

    grid = {"account_managers.pool_size": [1, 2, 4, 8], "platform.sweep_recall": [0.1, 0.3, 0.5]}
    synthetic.write_experiment(synthetic.sweep_points(grid), "sweep", tmp_path, reps=1)
    html = parse(render_report(tmp_path))
    data = load(tmp_path)
    assert series_labels(data) == [data.labels[0], data.labels[6], data.labels[11]]
    assert len({c["data-label"] for c in html.cells}) == 12
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "only the reference, middle and last are drawn" in text
