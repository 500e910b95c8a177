"""Search-space and target files: which scenario values the decision tools may vary, and
which published figures a calibration must reproduce.

A space file names parameters by the same dotted paths as ``--set``::

    [parameters]
    "account_managers.pool_size" = {low = 1, high = 6}             # integers
    "platform.upload_recall" = {low = 0.5, high = 0.95, step = 0.05}
    "rights_holders.detection_prob" = {low = 0.01, high = 0.5, log = true}
    "account_managers.always_on" = {choices = [false, true]}
    "account_managers.working_days" = {choices = [[0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5, 6]]}

A target file gives each metric a value with a tolerance (or an interval, inside which
every value fits equally well) and a weight::

    [targets.proactive_to_notice_ratio]
    value = 8.0
    tolerance = 0.8        # the fit counts as within when |mean - value| <= tolerance
    [targets.notices_within_24h_share]
    low = 0.70
    high = 0.80

Every problem is one line naming the file and the line, and unknown paths, keys and
metrics get a "did you mean".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from sim import config
from sim.decide.files import SpaceError, _is_number, _line_of
from sim.decide.targets import TARGET_KEYS, Target, load_targets
from sim.scenario import Scenario, ScenarioError, apply_overrides, from_dict

Scalar = bool | int | float | str
Value = Scalar | tuple[Scalar, ...]
"""One parameter's value: a number, true/false, a string, or a list of them (a choice)."""
Kind = Literal["int", "float", "categorical"]

__all__ = [
    "TARGET_KEYS",
    "Parameter",
    "Space",
    "SpaceError",
    "Target",
    "Value",
    "load_space",
    "load_targets",
]

PARAM_KEYS = ("low", "high", "step", "log", "choices")


# --------------------------------------------------------------------------- scenario paths


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is not None and get_origin(annotation).__name__ == "Annotated":
        annotation = get_args(annotation)[0]
    return annotation


def _model_child(model: type[BaseModel], part: str) -> tuple[Any, list[str]]:
    keys = {info.alias or name: name for name, info in model.model_fields.items()}
    if part not in keys:
        return None, list(keys)
    return model.model_fields[keys[part]].annotation, list(keys)


def check_path(path: str) -> str | None:
    """None when ``path`` names one value of a scenario, else the problem (with a hint)."""
    current: Any = Scenario
    parts = path.split(".")
    if any(not p for p in parts):
        return "expected a dotted path like platform.upload_recall"
    for i, part in enumerate(parts):
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            child, keys = _model_child(current, part)
            if child is None:
                where = ".".join(parts[:i]) or "a scenario"
                return f"unknown key {part!r} in {where}; {config.suggestion(part, keys)}"
            current = child
        elif get_origin(current) is dict:
            allowed = [str(a) for a in get_args(_unwrap(get_args(current)[0]))]
            if allowed and part not in allowed:
                return f"unknown key {part!r}; {config.suggestion(part, allowed)}"
            current = get_args(current)[1]
        else:
            return f"{'.'.join(parts[:i])} is a single value; nothing inside it to vary"
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        keys = [info.alias or n for n, info in current.model_fields.items()]
        return f"{path} is a section; name one of its values: {', '.join(keys)}"
    return None


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class Parameter:
    """One varied scenario value: a range (integer or real, optionally stepped or on a
    log scale) or a list of choices."""

    path: str
    kind: Kind
    low: float = 0.0
    high: float = 0.0
    step: float | None = None
    log: bool = False
    choices: tuple[Value, ...] = ()
    line: int = 0

    @property
    def labels(self) -> list[Scalar]:
        """The choices as Optuna records them: lists by their TOML text, as Optuna's
        categorical values must be single values."""
        return [toml_value(c) if isinstance(c, tuple) else c for c in self.choices]

    def decode(self, recorded: Any) -> Value:
        """The value for what an Optuna trial recorded (a list choice from its label)."""
        if self.kind == "categorical" and isinstance(recorded, str):
            return dict(zip(self.labels, self.choices, strict=True)).get(recorded, recorded)
        return recorded

    def suggest(self, trial: Any) -> Value:
        """The value an Optuna trial proposes for this parameter."""
        if self.kind == "categorical":
            return self.decode(trial.suggest_categorical(self.path, self.labels))
        if self.kind == "int":
            step = int(self.step or 1)
            return int(
                trial.suggest_int(self.path, int(self.low), int(self.high), step=step, log=self.log)
            )
        return float(
            trial.suggest_float(self.path, self.low, self.high, step=self.step, log=self.log)
        )

    def from_unit(self, u: float) -> Value:
        """The value at position ``u`` in [0, 1] of the range (for SALib designs): equal
        shares of [0, 1] for each choice or each integer, log-uniform when ``log``."""
        u = min(max(float(u), 0.0), 1.0)
        if self.kind == "categorical":
            return self.choices[min(int(u * len(self.choices)), len(self.choices) - 1)]
        if self.kind == "int":
            step = int(self.step or 1)
            count = (int(self.high) - int(self.low)) // step + 1
            if self.log:
                raw = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
                return int(min(max(round(raw), int(self.low)), int(self.high)))
            return int(self.low) + step * min(int(u * count), count - 1)
        if self.log:
            return math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        value = self.low + u * (self.high - self.low)
        if self.step:
            value = self.low + self.step * round((value - self.low) / self.step)
            value = min(value, self.high)
        return float(f"{value:.12g}")

    def extremes(self) -> list[Value]:
        """The values whose validity stands for the whole range: both ends, every choice."""
        if self.kind == "categorical":
            return list(self.choices)
        if self.kind == "int":
            return [int(self.low), int(self.high)]
        return [self.low, self.high]


@dataclass(frozen=True)
class Space:
    """The parameters of a space file, in file order."""

    parameters: tuple[Parameter, ...]
    source: str = "<space>"

    @property
    def names(self) -> tuple[str, ...]:
        """The dotted paths, in order."""
        return tuple(p.path for p in self.parameters)

    def from_unit(self, row: Sequence[float]) -> dict[str, Value]:
        """A point of the unit hypercube as parameter values."""
        return {p.path: p.from_unit(u) for p, u in zip(self.parameters, row, strict=True)}


def _choices_problem(choices: list[Any]) -> str | None:
    """What is wrong with a list of choices: all single values, or all lists of them."""
    lists = [c for c in choices if isinstance(c, list)]
    if lists and len(lists) != len(choices):
        return "either every choice is a list or none is"
    atoms = [a for c in lists for a in c] if lists else choices
    if any(not isinstance(a, bool | int | float | str) for a in atoms):
        return "only numbers, true/false and strings, or lists of them"
    labels = [toml_value(c) for c in choices]
    if len(set(labels)) != len(labels):
        return "a value is repeated"
    return None


def _parameter(path: str, spec: Any, line: int, where: str) -> tuple[Parameter | None, list[str]]:
    if not isinstance(spec, Mapping):
        return None, [
            f"{where}: expected a table like {{low = 0.1, high = 0.9}} or {{choices = [...]}}"
        ]
    problems = [
        f"{where}: unknown key {k!r}; {config.suggestion(k, PARAM_KEYS)}"
        for k in spec
        if k not in PARAM_KEYS
    ]
    if problems:
        return None, problems
    if "choices" in spec:
        choices = spec["choices"]
        extra = [k for k in ("low", "high", "step", "log") if k in spec]
        if extra:
            return None, [f"{where}: choices cannot be combined with {', '.join(extra)}"]
        if not isinstance(choices, list) or not choices:
            return None, [f"{where}: choices: expected a non-empty list"]
        problem = _choices_problem(choices)
        if problem:
            return None, [f"{where}: choices: {problem}"]
        values = tuple(tuple(c) if isinstance(c, list) else c for c in choices)
        return Parameter(path, "categorical", choices=values, line=line), []
    low, high, step, log = spec.get("low"), spec.get("high"), spec.get("step"), spec.get("log")
    for key, value in (("low", low), ("high", high)):
        if value is None:
            return None, [f"{where}: {key} is missing (or give choices = [...])"]
        if not _is_number(value):
            return None, [f"{where}: {key}: bad value {value!r}: expected a number"]
    assert low is not None and high is not None
    if not low < high:
        return None, [f"{where}: low ({low}) must be less than high ({high})"]
    if step is not None and (not _is_number(step) or step <= 0):
        return None, [f"{where}: step: bad value {step!r}: expected a number > 0"]
    if log is not None and not isinstance(log, bool):
        return None, [f"{where}: log: bad value {log!r}: expected true or false"]
    if log and low <= 0:
        return None, [f"{where}: log = true needs low > 0 (got {low})"]
    is_int = (
        isinstance(low, int) and isinstance(high, int) and (step is None or isinstance(step, int))
    )
    if log and step is not None and not is_int:
        return None, [f"{where}: step and log = true cannot be combined for real values"]
    if is_int and step is not None and (high - low) % step:
        return None, [f"{where}: step ({step}) must divide high - low ({high - low})"]
    kind: Kind = "int" if is_int else "float"
    return Parameter(path, kind, float(low), float(high), step, bool(log), line=line), []


def _base_data(scenario: str | Path | Mapping[str, Any], overrides: Sequence[str]) -> Any:
    from sim.scenario import read_toml

    data = dict(scenario) if isinstance(scenario, Mapping) else read_toml(Path(scenario))
    return apply_overrides(data, overrides)


def set_values(data: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of scenario ``data`` with each dotted path set to its value."""
    return apply_overrides(dict(data), [f"{k}={toml_value(v)}" for k, v in values.items()])


def toml_value(value: Any) -> str:
    """``value`` written as a TOML value (numbers, booleans, strings, lists, tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "nan"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def toml_cells(frame: Any) -> Any:
    """A copy of a DataFrame with list choices written as TOML ([0, 1], not (0, 1)), for
    CSV files."""
    return frame.map(lambda v: toml_value(v) if isinstance(v, tuple) else v)


def load_space(
    path: str | Path,
    scenario: str | Path | Mapping[str, Any] | None = None,
    overrides: Sequence[str] = (),
) -> Space:
    """Read and check a space file; with ``scenario`` every range end and choice is also
    checked to give a valid scenario. Raises SpaceError (one line per problem)."""
    path = Path(path)
    source = str(path)
    text = config.read_text(path, SpaceError)
    data = config.parse_toml(text, source, SpaceError)
    problems = [
        f"{source}:{_line_of(text, k)}: unknown table {k!r}; {config.suggestion(k, ['parameters'])}"
        for k in data
        if k != "parameters"
    ]
    table = data.get("parameters")
    if not isinstance(table, Mapping) or not table:
        problems.append(
            f"{source}:1: parameters: expected a [parameters] table naming at least one dotted path"
        )
        raise SpaceError(problems)
    params: list[Parameter] = []
    for key, spec in table.items():
        line = _line_of(text, key)
        where = f"{source}:{line}: {key}"
        bad_path = check_path(key)
        if bad_path:
            problems.append(f"{where}: {bad_path}")
            continue
        param, found = _parameter(key, spec, line, where)
        if found:
            # point at the line of the offending key when it is on its own line
            first = found[0]
            for k in spec if isinstance(spec, Mapping) else ():
                if f"{k!r}" in first or first.startswith(f"{where}: {k}"):
                    sub = _line_of(text, k, after=line)
                    found = [p.replace(f"{source}:{line}:", f"{source}:{sub}:", 1) for p in found]
                    break
            problems.extend(found)
        elif param is not None:
            params.append(param)
    if not problems and scenario is not None:
        base = _base_data(scenario, overrides)
        for p in params:
            for value in p.extremes():
                try:
                    from_dict(set_values(base, {p.path: value}), source)
                except ScenarioError as exc:
                    reason = exc.problems[0].split(": ", 2)[-1]
                    shown = toml_value(value) if isinstance(value, tuple) else repr(value)
                    problems.append(f"{source}:{p.line}: {p.path} = {shown}: {reason}")
    if problems:
        raise SpaceError(list(dict.fromkeys(problems)))
    return Space(tuple(params), source)
