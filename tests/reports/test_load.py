"""Folder detection and reading: run, compare and sweep folders, and broken ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reports.load import ReportError, detect_kind, load
from reports.plotkit import series_labels, stat
from reports.render import render_report
from reports.tables import flatten, parameter_differences, show_param
from reports.wording import headline_metrics
from sim.experiment.design import DesignPoint
from tests.reports import synthetic


def test_kinds_are_detected(folders: dict[str, Path]) -> None:
    assert {k: detect_kind(p) for k, p in folders.items()} == {
        "run": "run",
        "compare": "compare",
        "sweep": "sweep",
    }


def test_compare_folder_finds_every_run_and_the_first_scenario_as_baseline(
    folders: dict[str, Path],
) -> None:
    data = load(folders["compare"])
    comparison = json.loads((folders["compare"] / "comparison.json").read_text())
    assert data.labels == comparison["scenarios"]
    assert data.baseline == data.labels[0]
    assert len(data.runs) == comparison["reps"] * len(data.labels)
    assert all(not r.daily.empty and not r.notices.empty for r in data.runs)
    assert "compare" in data.provenance["command"]


def test_sweep_points_carry_their_parameters(folders: dict[str, Path]) -> None:
    data = load(folders["sweep"])
    assert list(data.sweep_params) == ["account_managers.pool_size", "platform.sweep_recall"]
    assert data.sweep_params["account_managers.pool_size"] == [1, 2, 4]
    last = data.labels[-1]
    assert data.point_params[last] == {
        "account_managers.pool_size": 4,
        "platform.sweep_recall": 0.4,
    }
    assert data.name(last) == "pool_size=4, sweep_recall=0.4"
    assert len(data.runs) == 2 * 6  # every rep-NNN folder found under its point's name


def test_parameters_that_differ_between_strategies(folders: dict[str, Path]) -> None:
    """The strategy files differ only in their programme mix."""
    rows = parameter_differences(load(folders["compare"]))
    assert rows == [
        (
            "rights_holders.programme_mix",
            [
                "standard=1, good_faith=0, joint_force=0",
                "standard=0, good_faith=1, joint_force=0",
                "standard=0, good_faith=0, joint_force=1",
            ],
        )
    ]


def test_synthetic_strategies_differ_in_pool_size(synthetic_compare: Path) -> None:
    rows = dict(parameter_differences(load(synthetic_compare)))
    assert rows["account_managers.pool_size"] == ["4", "4", "8"]
    assert "scenario.name" not in rows


def test_distributions_show_as_one_value() -> None:
    tree = {"counterfeiters": {"relist_delay_h": {"dist": "exponential", "mean": 12.0}}}
    flat = flatten(tree)
    assert list(flat) == ["counterfeiters.relist_delay_h"]
    assert show_param(flat["counterfeiters.relist_delay_h"]) == "exponential(mean=12)"


def test_one_replication_compare_renders_without_intervals(tmp_path: Path) -> None:
    """With one replication every CI in comparison.json is null: cells show means only."""
    synthetic.write_experiment(synthetic.compare_points()[:2], "compare", tmp_path, reps=1)
    report = render_report(tmp_path)
    text = report.read_text(encoding="utf-8")
    assert "not comparable" in text
    assert 'class="ci"' not in text


def test_runs_without_daily_or_notices_still_render(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    """Plots that need per-run files are left out, the tables stay."""
    folder = tmp_path / "compare"
    shutil.copytree(folders["compare"], folder)
    for extra in folder.glob("runs/*/*/*.csv"):
        extra.unlink()
    text = render_report(folder).read_text(encoding="utf-8")
    assert 'id="plot-live_fakes"' not in text and 'id="plot-latency_cdf"' not in text
    assert 'id="plot-harm_vs_cost"' in text and 'id="headline-table"' in text


def test_an_experiment_without_scenarios_is_a_report_error(tmp_path: Path) -> None:
    (tmp_path / "comparison.json").write_text('{"scenarios": [], "metrics": {}}')
    with pytest.raises(ReportError, match="lists no scenarios"):
        load(tmp_path)


def test_a_summary_without_metrics_is_a_report_error(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text('{"seed": 1}')
    with pytest.raises(ReportError, match="has no 'metrics' object"):
        load(tmp_path)


def test_an_interrupted_experiment_is_flagged(folders: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "compare"
    shutil.copytree(folders["compare"], folder)
    experiment = json.loads((folder / "experiment.json").read_text())
    experiment.update(interrupted=True, runs_finished=5)
    (folder / "experiment.json").write_text(json.dumps(experiment))
    render_report(folder)
    assert "interrupted after 5 runs" in (folder / "report.html").read_text(encoding="utf-8")
    assert "> **Warning:** This experiment was interrupted" in (folder / "summary.md").read_text()


def test_a_run_report_names_its_command_line_and_seed(folders: dict[str, Path]) -> None:
    """takedown run records its command line beside the outputs for the report."""
    md = (folders["run"] / "summary.md").read_text(encoding="utf-8")
    assert "- command line: takedown run " in md and "--seed 11" in md
    assert "- seeds: 11" in md and "- version: " in md


def test_a_run_with_no_notices_and_zero_metrics_renders_without_warnings(tmp_path: Path) -> None:
    """Degenerate but valid: nothing filed, every metric 0 (warnings are errors here)."""
    synthetic.write_run({"scenario": {"name": "quiet"}}, 1, 0.0, tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    summary["metrics"] = dict.fromkeys(summary["metrics"], 0.0)
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    header = (tmp_path / "notices.csv").read_text().splitlines()[0]
    (tmp_path / "notices.csv").write_text(header + "\n")
    text = render_report(tmp_path).read_text(encoding="utf-8")
    assert 'id="plot-latency_cdf"' not in text and 'id="plot-live_fakes"' in text


def test_identical_strategies_render_as_no_difference(tmp_path: Path) -> None:
    """A scenario against its copy: every paired difference is exactly 0 with a 0-wide CI."""
    first = synthetic.compare_points()[0]
    points = [first, DesignPoint("copy", first.scenario, "copy.toml")]
    synthetic.write_experiment(points, "compare", tmp_path, reps=2)
    comparison = json.loads((tmp_path / "comparison.json").read_text())
    comparison["metrics"] = {
        m: {"standard": v["standard"], "copy": v["standard"]}
        for m, v in comparison["metrics"].items()
    }
    zero = {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0, "significant": False}
    comparison["differences"] = {m: {"copy": zero} for m in comparison["metrics"]}
    (tmp_path / "comparison.json").write_text(json.dumps(comparison))
    md = render_report(tmp_path).with_name("summary.md").read_text(encoding="utf-8")
    n = len(headline_metrics())  # the synthetic results carry every metric
    assert f"better on 0, worse on 0, no clear difference on {n} of {n}" in md


def test_the_harm_plot_prices_cost_and_harm_in_money(synthetic_compare: Path) -> None:
    """The cost axis is cost_total_usd and the harm axis consumer_harm_usd; results without
    them fall back to busy hours and fake sales."""
    from reports.plots import harm_vs_cost

    data = load(synthetic_compare)
    fig = harm_vs_cost(data)
    assert fig is not None
    assert fig.axes[0].get_xlabel() == "enforcement cost, all parties: USD (mean, 95% CI)"
    assert fig.axes[0].get_ylabel() == "consumer harm: USD paid by deceived buyers"
    _, y = fig.axes[0].lines[0].get_data()
    label = series_labels(data)[0]  # the first point drawn
    assert y[0] == stat(data, "consumer_harm_usd", label)[0] != stat(data, "fake_sales", label)[0]
    del data.stats["consumer_harm_usd"]
    assert harm_vs_cost(data).axes[0].get_ylabel() == "consumer harm: fake sales"  # type: ignore[union-attr]
    del data.stats["cost_total_usd"]
    older = harm_vs_cost(data)
    assert older is not None and "account-manager busy hours" in older.axes[0].get_xlabel()
    data.stats["am_hours"] = data.stats.pop("am_busy_hours")  # results before the rename
    oldest = harm_vs_cost(data)
    assert oldest is not None and "account-manager busy hours" in oldest.axes[0].get_xlabel()
