"""Hypothesis example counts, scaled by profile."""


def examples(n: int) -> int:
    """How many examples a property test runs (``n`` on the default profile)."""
    return n
