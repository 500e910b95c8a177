"""The harness's arrival shapes as Locust ``LoadTestShape`` classes.

The harness is an open model: a shape varies the *arrival rate* (``loadtest.shapes``),
not the number of users, which stays the profile's pools (growing on demand up to
``max_pool``). A shape class in a locustfile sets the arrival shape of the run, is
picked in Locust's web UI like any shape, and ends the test when the arrivals and
their drain are done. Import one of the shipped classes into a locustfile::

    # my_locustfile.py:  locust -f my_locustfile.py --host URL
    from loadtest.locustfile import *  # noqa: F403 (the role users)
    from loadtest.locust_shapes import StepArrivals  # noqa: F401 (Locust finds it here)

or subclass ``ArrivalShape`` (abstract, so Locust does not pick it up) with any shape
of ``loadtest.shapes``::

    from loadtest import locust_shapes
    from loadtest.shapes import Ramp

    class Ramped(locust_shapes.ArrivalShape):
        arrivals = Ramp(start=0.2, end=1.0, ramp=0.5)

``ProfileArrivals`` keeps the profile's own ``[shape]``. ``tick`` returns the pools'
user count (all started in the first second) until the run is over, then None.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from locust import LoadTestShape

from loadtest.config import RunConfig
from loadtest.shapes import AnyShape, Constant, Ramp, Spike, Step


class ArrivalShape(LoadTestShape):
    """A Locust shape whose arrivals follow ``arrivals`` (None: the profile's shape)."""

    abstract = True
    arrivals: ClassVar[AnyShape | None] = None

    def tick(self) -> tuple[int, float] | None:
        from loadtest.users import USER_CLASSES

        runner = self.runner
        run = getattr(runner.environment, "td", None) if runner is not None else None
        if run is None or getattr(run, "finished", False) or getattr(run, "quitting", False):
            return None
        users = sum(int(cls.fixed_count) for cls in USER_CLASSES.values())
        return users, float(users)


class ProfileArrivals(ArrivalShape):
    """The profile's own ``[shape]``."""


class ConstantArrivals(ArrivalShape):
    """The target rate throughout."""

    arrivals = Constant()


class RampArrivals(ArrivalShape):
    """Linear from 10% of the rate to all of it over the first half, then held."""

    arrivals = Ramp()


class StepArrivals(ArrivalShape):
    """Four equal stages up to the full rate."""

    arrivals = Step()


class SpikeArrivals(ArrivalShape):
    """Three times the rate for a tenth of the run, at its middle."""

    arrivals = Spike()


def shaped_config(config: RunConfig, shape_class: Any) -> RunConfig:
    """``config`` with the arrival shape of Locust's chosen shape class, if it has one."""
    arrivals = getattr(shape_class, "arrivals", None)
    if not isinstance(shape_class, ArrivalShape) or arrivals is None:
        return config
    profile = {**config.profile, "shape": dataclasses.asdict(arrivals)}
    return dataclasses.replace(config, profile=profile)
