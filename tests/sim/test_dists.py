"""Distributions: sample means against analytic means, shapes, reprs and validation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from sim.dists import DIST_CLASSES, DIST_NAMES, AnyDist, coerce_dist

ADAPTER: TypeAdapter[Any] = TypeAdapter(AnyDist)
N = 200_000

# (table, analytic mean, analytic sd, expected repr)
CASES: list[tuple[dict[str, Any], float, float, str]] = [
    ({"dist": "constant", "value": 3.0}, 3.0, 0.0, "Constant(value=3.0)"),
    ({"dist": "exponential", "mean": 2.0}, 2.0, 2.0, "Exponential(mean=2.0)"),
    ({"dist": "lognormal", "mean": 12.0, "sd": 6.0}, 12.0, 6.0, "Lognormal(mean=12.0, sd=6.0)"),
    ({"dist": "gamma", "mean": 8.0, "sd": 4.0}, 8.0, 4.0, "Gamma(mean=8.0, sd=4.0)"),
    (
        {"dist": "uniform", "low": 1.0, "high": 5.0},
        3.0,
        4.0 / math.sqrt(12),
        "Uniform(low=1.0, high=5.0)",
    ),
    (
        {"dist": "empirical", "values": [1.0, 2.0, 10.0], "weights": [1.0, 1.0, 2.0]},
        5.75,
        math.sqrt((1 + 4 + 200) / 4 - 5.75**2),
        "Empirical(values=[1.0, 2.0, 10.0], weights=[1.0, 1.0, 2.0])",
    ),
    (
        {"dist": "empirical", "values": [1.0, 3.0]},
        2.0,
        1.0,
        "Empirical(values=[1.0, 3.0], weights=None)",
    ),
]


def test_every_kind_is_covered() -> None:
    assert {c[0]["dist"] for c in CASES} == set(DIST_NAMES) == set(DIST_CLASSES)


@pytest.mark.parametrize(("table", "mean", "sd", "text"), CASES, ids=[c[3] for c in CASES])
def test_sample_mean_matches_analytic_mean(
    table: dict[str, Any], mean: float, sd: float, text: str
) -> None:
    """200 000 draws: the sample mean is within 5 standard errors (sd / sqrt(n)) of the
    analytic mean, and the sample sd within 3% of the analytic sd (all these laws have
    finite fourth moments, so the sd estimate's relative error is well under 1%)."""
    dist = ADAPTER.validate_python(table)
    assert dist.mean == pytest.approx(mean)
    x = dist.sample(np.random.default_rng(42), N)
    assert x.shape == (N,) and np.all(x >= 0)
    assert abs(x.mean() - mean) <= 5 * sd / math.sqrt(N) + 1e-12
    assert x.std() == pytest.approx(sd, rel=0.03, abs=1e-12)
    assert repr(dist) == text == str(dist)


@pytest.mark.parametrize("table", [c[0] for c in CASES], ids=[c[3] for c in CASES])
def test_one_draw_is_a_scalar_and_the_generator_decides(table: dict[str, Any]) -> None:
    dist = ADAPTER.validate_python(table)
    one = dist.sample(np.random.default_rng(1))
    assert np.ndim(one) == 0 and float(one) >= 0
    a = dist.sample(np.random.default_rng(5), 50)
    b = dist.sample(np.random.default_rng(5), 50)
    assert np.array_equal(a, b)


def test_a_bare_number_is_a_constant() -> None:
    dist = ADAPTER.validate_python(coerce_dist(4))
    assert repr(dist) == "Constant(value=4.0)" and dist.mean == 4.0


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ({"dist": "constant", "value": -1.0}, "greater than or equal to 0"),
        ({"dist": "exponential", "mean": 0.0}, "greater than 0"),
        ({"dist": "exponential", "mean": math.inf}, "finite"),
        ({"dist": "lognormal", "mean": 1.0, "sd": -1.0}, "greater than 0"),
        ({"dist": "gamma", "mean": 1.0}, "Field required"),
        ({"dist": "uniform", "low": 3.0, "high": 1.0}, "must be >= low"),
        ({"dist": "empirical", "values": []}, "at least 1 item"),
        ({"dist": "empirical", "values": [1.0], "weights": [1.0, 2.0]}, "as many entries"),
        ({"dist": "empirical", "values": [1.0, 2.0], "weights": [0.0, 0.0]}, "not all be zero"),
        ({"dist": "exponential", "mean": 1.0, "sd": 1.0}, "Extra inputs"),
        ({"dist": "weibull", "scale": 1.0}, "does not match any of the expected tags"),
    ],
)
def test_bad_parameters_are_refused(table: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        ADAPTER.validate_python(table)


@pytest.mark.parametrize("value", ["fast", True, [1.0, 2.0], None])
def test_coerce_refuses_what_is_neither_a_number_nor_a_table(value: Any) -> None:
    with pytest.raises(ValueError, match="expected a number or a table"):
        coerce_dist(value)


def test_distributions_are_frozen() -> None:
    dist = ADAPTER.validate_python({"dist": "exponential", "mean": 2.0})
    with pytest.raises(ValidationError):
        dist.mean_ = 3.0
