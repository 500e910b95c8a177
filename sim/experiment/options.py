"""How an experiment runs: one frozen options type for compare, sweep, the command line
and the Python API."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.experiment.design import DesignError

DEFAULT_MAX_REPS = 50


@dataclass(frozen=True)
class ExperimentOptions:
    """Every setting of ``compare`` and ``sweep`` beyond what is compared.

    ``reps`` is a number or ``"auto"`` (add replications until every headline CI
    half-width is within ``precision`` of its mean, at most ``max_reps``). ``seed`` is
    the base seed (drawn when None); ``jobs`` defaults to all cores; ``dask`` is
    ``"local"`` or a scheduler address; ``overrides`` are ``dotted.path=value`` lines
    applied to every scenario; with ``out_dir`` the outputs are written there, and
    ``command`` is the invocation kept in their provenance.
    """

    reps: int | str = 10
    precision: float = 0.05
    max_reps: int = DEFAULT_MAX_REPS
    seed: int | None = None
    jobs: int | None = None
    dask: str | None = None
    overrides: tuple[str, ...] = ()
    out_dir: Path | None = None
    command: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        # accept any sequence or path-like from callers; store the canonical types
        object.__setattr__(self, "overrides", tuple(self.overrides))
        if self.out_dir is not None:
            object.__setattr__(self, "out_dir", Path(self.out_dir))
        if self.command is not None:
            object.__setattr__(self, "command", tuple(self.command))

    def with_(self, **changes: Any) -> ExperimentOptions:
        """A copy with ``changes`` (the fields' names, as keywords)."""
        return dataclasses.replace(self, **changes)

    @property
    def auto(self) -> bool:
        """Whether the replication count is chosen by precision."""
        return self.reps == "auto"

    def problems(self) -> list[str]:
        """Every problem with the replication settings, one line each naming the field."""
        if self.auto:
            out = []
            if not 0.0 < self.precision < 1.0:
                out.append(f"precision {self.precision}: must be between 0 and 1")
            if self.max_reps < 2:
                out.append(f"max_reps {self.max_reps}: must be at least 2")
            return out
        reps = self.reps
        if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
            return [f"reps {reps}: must be a whole number >= 1, or 'auto'"]
        return []

    def check(self) -> None:
        """Raise DesignError with every problem, if there is any."""
        if found := self.problems():
            raise DesignError(found)

    def requested(self) -> dict[str, Any]:
        """What was asked for, as kept in experiment.json."""
        if self.auto:
            return {"reps": self.reps, "precision": self.precision, "max_reps": self.max_reps}
        return {"reps": self.reps}


def resolve(
    options: ExperimentOptions | None, default_reps: int, reps: int | str | None, fields: Any
) -> ExperimentOptions:
    """``options`` (or the defaults with ``default_reps``), with ``reps`` and keyword
    ``fields`` of the Python API applied on top."""
    base = options if options is not None else ExperimentOptions(reps=default_reps)
    changes = dict(fields)
    if reps is not None:
        changes["reps"] = reps
    return base.with_(**changes) if changes else base
