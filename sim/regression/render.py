"""The gate's results as table cells, a Markdown summary for a pull request, and JUnit
XML with one test case per scenario x metric."""

from __future__ import annotations

import math
from xml.etree import ElementTree as ET

from sim.regression.gate import CheckReport, MetricCheck

COLUMNS = (
    "scenario", "metric", "verdict", "test", "shift [90% CI]", "p (Holm)", "margin",
    "power at margin",
)  # fmt: skip
EXPLAIN_COLUMNS = (
    "scenario", "metric", "reps", "margin", "power at margin", "shift failed 80%",
    "reps for 80% at margin",
)  # fmt: skip


EXPLANATION = (
    "power at margin: probability that a shift of the margin fails when the draws change "
    "(Welch test at alpha / family size, Holm's first step; higher when draws are shared "
    "and the test is paired). shift failed 80%: the smallest shift failed 4 times in 5. "
    "A smaller margin needs more replications: takedown check --update --reps N --margin "
    "METRIC=SHIFT."
)


def fmt(value: float | None) -> str:
    """Four significant digits; '-' for a missing value."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.4g}"


def _p(value: float) -> str:
    if not math.isfinite(value):
        return "-"
    return "<0.0001" if value < 1e-4 else f"{value:.4f}"


def cells(c: MetricCheck) -> tuple[str, ...]:
    """One metric's row of the gate's table."""
    shift = f"{fmt(c.shift)} [{fmt(c.ci_low)}, {fmt(c.ci_high)}]"
    power = f"{c.power:.0%}" if math.isfinite(c.power) else "-"
    return (
        c.scenario, c.metric, c.verdict, c.test, shift, _p(c.p_adjusted), fmt(c.margin), power
    )  # fmt: skip


def explain_cells(c: MetricCheck) -> tuple[str, ...]:
    """One metric's row of ``--explain``: what the stored replications can detect."""
    power = f"{c.power:.0%}" if math.isfinite(c.power) else "-"
    need = str(c.reps_for_margin) if c.reps_for_margin else "-"
    return (
        c.scenario, c.metric, str(c.reps), fmt(c.margin), power, fmt(c.detectable_shift), need
    )  # fmt: skip


def summary(report: CheckReport) -> str:
    """One line: passed or failed, how many metrics, at which family-wise level."""
    word = "passed" if report.passed else "failed"
    bad = "" if report.passed else f", {len(report.failed)} failing"
    return (
        f"check {word}: {len(report.checks)} headline metrics{bad}; family-wise false-alarm "
        f"rate {report.alpha:.0%} (Holm), fail = significant and not shown within the margin"
    )


def markdown(report: CheckReport) -> str:
    """The gate as a Markdown summary for a pull request."""
    lines = [f"**{summary(report)}** ({report.wall_s:.1f} s)", ""]
    lines.append("| " + " | ".join(COLUMNS) + " |")
    lines.append("|" + "---|" * len(COLUMNS))
    for c in report.checks:
        row = list(cells(c))
        if c.failed:
            row[2] = f"**{row[2]}**"
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", *(f"- note: {n}" for n in report.notes)]
    return "\n".join(lines).rstrip() + "\n"


def _properties(c: MetricCheck) -> dict[str, str]:
    return {
        "verdict": c.verdict, "test": c.test, "shift": repr(c.shift),
        "ci90_low": repr(c.ci_low), "ci90_high": repr(c.ci_high),
        "p_holm": repr(c.p_adjusted), "p_raw": repr(c.p_value), "margin": repr(c.margin),
        "power_at_margin": repr(c.power), "baseline_mean": repr(c.baseline_mean),
        "mean": repr(c.mean),
    }  # fmt: skip


def junit_xml(report: CheckReport) -> str:
    """The gate as JUnit XML: one testcase per scenario x headline metric."""
    suite = ET.Element(
        "testsuite", name="takedown check", tests=str(len(report.checks)),
        failures=str(len(report.failed)), errors="0", time=f"{report.wall_s:.3f}",
    )  # fmt: skip
    for c in report.checks:
        case = ET.SubElement(suite, "testcase", classname=f"check.{c.scenario}", name=c.metric)
        props = ET.SubElement(case, "properties")
        for name, value in _properties(c).items():
            ET.SubElement(props, "property", name=name, value=value)
        text = dict(zip(COLUMNS, cells(c), strict=True))
        line = (
            f"{c.verdict}: shift {text['shift [90% CI]']} (baseline mean {fmt(c.baseline_mean)}), "
            f"p {text['p (Holm)']} after Holm, margin {fmt(c.margin)}, {c.test} test"
        )
        if c.failed:
            failure = ET.SubElement(case, "failure", message=line, type="MetricShifted")
            failure.text = f"baseline mean {c.baseline_mean!r}, new mean {c.mean!r}"
        ET.SubElement(case, "system-out").text = line
    if report.notes:
        ET.SubElement(suite, "system-out").text = "\n".join(report.notes)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
