"""Hypothesis profiles: the same verdict on every CI run, and a wider search on demand.

``make test`` runs the ``ci`` profile: derandomized (each test's examples come from a seed
fixed by the test itself), no example database, so the same code gives the same verdict
every run. ``make bench`` runs the ``explore`` profile (``TAKEDOWN_HYPOTHESIS_PROFILE=explore``):
fresh random examples, ten times as many. An example that ever failed is kept beside its
test as an explicit ``@example``, so both profiles try it first.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE_ENV = "TAKEDOWN_HYPOTHESIS_PROFILE"
EXPLORE_FACTOR = 10
"""How many more examples the exploring profile tries than the CI profile."""

CI_EXAMPLES = 100
"""Examples of a test that states no count of its own, under the CI profile."""

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    max_examples=CI_EXAMPLES,
)
settings.register_profile(
    "explore",
    derandomize=False,
    database=None,
    deadline=None,
    print_blob=True,
    max_examples=CI_EXAMPLES * EXPLORE_FACTOR,
    suppress_health_check=[HealthCheck.too_slow],
)


def load_profile() -> str:
    """Load the profile named by the environment (default ``ci``) and return its name."""
    name = os.environ.get(PROFILE_ENV, "ci")
    if name not in ("ci", "explore"):
        raise ValueError(f"{PROFILE_ENV}={name!r}: expected 'ci' or 'explore'")
    settings.load_profile(name)
    return name


def examples(n: int) -> int:
    """A test's example count under the loaded profile: ``n`` in CI, ten times that when
    exploring. Tests pass their count through this instead of a literal, since an explicit
    ``max_examples`` would override the profile."""
    return n * EXPLORE_FACTOR if settings.get_current_profile_name() == "explore" else n
