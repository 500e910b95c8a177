"""Suite-wide set-up: the hypothesis profile, and a ``property`` mark on every property test
so ``make bench`` can rerun just those with the exploring profile."""

from __future__ import annotations

import pytest

from tests.hypo import load_profile

load_profile()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.property)
