"""Local refinement of a calibration: trust-region Gauss-Newton on local linear models.

TPE alone finds the region of a fit but not its narrow part: when two targets pull on
two correlated parameters, the set of values that meets both is a thin tilted ridge (on
smoke, about 1% of the box), and TPE's proposals after its random start rarely land
closer than the best random point. Refinement instead models each target metric as
linear in the numeric parameters around the best candidate so far (a weighted least
squares fit over its nearest trials, which also smooths the replication noise), moves to
where that model puts the smallest distance, within a trust region of the unit box, and
evaluates that point with a few neighbours that keep the next model well conditioned.
The trust region grows after a round that improves the best distance and shrinks after
one that does not. Every step is a pure function of the finished trials, so trials stay
deterministic for a seed and independent of the number of workers. Categorical
parameters are held at the best candidate's values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from sim.decide.common import ProgressFn
from sim.decide.evaluate import Candidate, Evaluator
from sim.decide.space import Parameter, Space, Value
from sim.decide.targets import Target

START_RADIUS = 0.25  # trust region half-width, in units of each parameter's range
MAX_RADIUS = 0.5
MIN_RADIUS = 1e-3


def to_unit(p: Parameter, value: Value) -> float:
    """The position of a numeric value in [0, 1] of its range (the inverse of
    ``Parameter.from_unit``; an integer maps to the middle of its share)."""
    v = float(value)  # type: ignore[arg-type]
    if p.log:
        u = (math.log(v) - math.log(p.low)) / (math.log(p.high) - math.log(p.low))
    elif p.kind == "int":
        step = int(p.step or 1)
        count = (int(p.high) - int(p.low)) // step + 1
        u = ((v - p.low) / step + 0.5) / count
    else:
        u = (v - p.low) / (p.high - p.low) if p.high > p.low else 0.5
    return min(max(u, 0.0), 1.0)


def numeric(sp: Space) -> tuple[Parameter, ...]:
    """The parameters refinement moves (all but the categorical ones)."""
    return tuple(p for p in sp.parameters if p.kind != "categorical")


def _local_fit(
    rows: Sequence[dict[str, Any]],
    nums: Sequence[Parameter],
    tgts: Sequence[Target],
    centre: Any,
    radius: float,
) -> Any | None:
    """Per-target [intercept, gradient...] of the metric, linear in (u - centre), fitted by
    weighted least squares over the nearest trials; None when they do not span the space."""
    import numpy as np

    n = len(nums)
    pts = []
    for r in rows:
        ys = [r.get(t.metric, math.nan) for t in tgts]
        if all(math.isfinite(y) for y in ys):
            u = np.array([to_unit(p, r[p.path]) for p in nums]) - np.array(centre)
            pts.append((float(np.linalg.norm(u)), tuple(u), ys))
    pts.sort(key=lambda x: x[0])
    pts = pts[: max(4 * (n + 1), 8)]
    if len(pts) < n + 1:
        return None
    w = np.sqrt(np.array([1.0 / (1.0 + (d / radius) ** 2) for d, _, _ in pts]))
    x = np.array([[1.0, *u] for _, u, _ in pts]) * w[:, None]
    y = np.array([ys for _, _, ys in pts]) * w[:, None]
    coef, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
    return coef if rank == n + 1 else None


def _model_step(coef: Any, tgts: Sequence[Target], centre: Any, radius: float) -> Any:
    """The step within the trust region and the unit box where the linear model of the
    metrics gives the smallest distance."""
    import numpy as np
    from scipy.optimize import minimize

    def predicted(step: Any) -> float:
        means = coef[0] + step @ coef[1:]
        return float(sum(t.distance(float(m)) for t, m in zip(tgts, means, strict=True)))

    bounds = [(max(-radius, -c), min(radius, 1.0 - c)) for c in centre]
    found = minimize(predicted, np.zeros(len(centre)), method="L-BFGS-B", bounds=bounds)
    return np.clip(found.x, [b[0] for b in bounds], [b[1] for b in bounds])


def propose(
    rows: Sequence[dict[str, Any]],
    sp: Space,
    tgts: Sequence[Target],
    radius: float,
    count: int,
) -> list[dict[str, Value]]:
    """``count`` candidates around the best trial so far: the model's best point first,
    then that point moved by half the trust radius along each axis in turn (both ways),
    then by a quarter, and so on (so no two are the same)."""
    import numpy as np

    nums = numeric(sp)
    best = min(rows, key=lambda r: r["distance"])
    held = {p.path: best[p.path] for p in sp.parameters if p.kind == "categorical"}
    same = [r for r in rows if all(r[k] == v for k, v in held.items())]
    centre = np.array([to_unit(p, best[p.path]) for p in nums])
    coef = _local_fit(same, nums, tgts, centre, radius)
    aim = centre + (_model_step(coef, tgts, centre, radius) if coef is not None else 0.0)
    points, n = [aim], len(nums)
    for k in range(count - 1):  # +axis 1, +axis 2, ..., -axis 1, ..., then half as far
        offset = np.zeros(n)
        offset[k % n] = radius / 2 ** (1 + k // (2 * n)) * (1 if (k // n) % 2 == 0 else -1)
        points.append(np.clip(aim + offset, 0.0, 1.0))
    return [
        {**held, **{p.path: p.from_unit(float(u)) for p, u in zip(nums, pt, strict=True)}}
        for pt in points
    ]


def next_radius(radius: float, improved: bool) -> float:
    """The trust radius after a round: doubled when it improved the best distance (up to
    MAX_RADIUS), else halved (down to MIN_RADIUS)."""
    return min(radius * 2, MAX_RADIUS) if improved else max(radius / 2, MIN_RADIUS)


def refine(
    ev: Evaluator,
    sp: Space,
    tgts: Sequence[Target],
    rows: list[dict[str, Any]],
    record: Callable[[Candidate], object],
    trials: int,
    batch: int,
    reps: int,
    progress: ProgressFn | None,
) -> None:
    """Refine the best trial of ``rows`` by rounds of ``batch`` candidates, each
    replicated ``reps`` times and passed to ``record`` (which appends it to ``rows``),
    until ``rows`` holds ``trials``."""
    radius = START_RADIUS
    while len(rows) < trials:
        if progress is not None:
            progress("trials", len(rows), trials)
        best = min(r["distance"] for r in rows)
        params = propose(rows, sp, tgts, radius, min(batch, trials - len(rows)))
        for cand in ev.evaluate(params, reps):
            record(cand)
        radius = next_radius(radius, min(r["distance"] for r in rows) < best)
    if progress is not None:
        progress("trials", len(rows), trials)
