"""Decision tools over the simulator: optimise a policy under constraints on confidence
bounds, rank which parameters matter (Morris, Sobol), and calibrate parameters to
published figures. Each replicates candidates with common random numbers on the
experiment backends (local processes or Dask) and returns an object with ``to_pandas()``.

    >>> from sim.decide import optimize, sensitivity, calibrate
"""

from __future__ import annotations

from sim.decide.calibrate import CalibrationInterrupted, CalibrationResult, calibrate
from sim.decide.common import Constraint, DecisionError, parse_constraint
from sim.decide.optimize import OptimizeInterrupted, OptimizeResult, optimize
from sim.decide.sensitivity import SensitivityInterrupted, SensitivityResult, sensitivity
from sim.decide.space import Parameter, Space, SpaceError, Target, load_space, load_targets

__all__ = [
    "CalibrationInterrupted",
    "CalibrationResult",
    "Constraint",
    "DecisionError",
    "OptimizeInterrupted",
    "OptimizeResult",
    "Parameter",
    "SensitivityInterrupted",
    "SensitivityResult",
    "Space",
    "SpaceError",
    "Target",
    "calibrate",
    "load_space",
    "load_targets",
    "optimize",
    "parse_constraint",
    "sensitivity",
]
