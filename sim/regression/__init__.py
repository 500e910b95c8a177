"""The regression gate: seeded replications of the smoke scenarios tested against the
baselines committed under reports/baselines/.

``check`` reruns each baseline's seeds. When the draws are reproduced, replication i is
compared with replication i (paired); otherwise the new replications are a second
sample (Welch). Holm's correction holds the false-alarm rate across every metric and
scenario at the baselines' alpha (5%), and a metric fails only when its shift is
significant and not shown to lie within its margin. Each baseline states, per metric,
the margin and the probability of failing a shift of that size.

    >>> from sim.regression import check
    >>> report = check()
    >>> report.passed, [c.metric for c in report.failed]
"""

from sim.regression.baseline import (
    BASE_SEED,
    BASELINES_DIR,
    DEFAULT_REPS,
    BaselineError,
    GateSettings,
    load_baseline,
    make_baseline,
)
from sim.regression.gate import CheckReport, MetricCheck, check, compare_values, judge, update
from sim.regression.render import junit_xml, markdown

__all__ = [
    "BASELINES_DIR",
    "BASE_SEED",
    "DEFAULT_REPS",
    "BaselineError",
    "CheckReport",
    "GateSettings",
    "MetricCheck",
    "check",
    "compare_values",
    "judge",
    "junit_xml",
    "load_baseline",
    "make_baseline",
    "markdown",
    "update",
]
