"""``takedown init``: a working folder for a project that uses takedown-lab as a package.

It holds a scenario extending a shipped one, a load profile, an SLO file, the regression
gate's baselines and a CI job, each runnable as written. The files come from the
templates in ``sim/init_templates`` (package data), filled with Jinja2 using ``[[ ]]``
so that the CI job's own ``${{ }}`` expressions pass through untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sim import config, shipped
from sim.errors import UserError
from sim.version import package_version

TEMPLATES = Path(__file__).with_name("init_templates")
# template -> file written, relative to the new folder
FILES = (
    ("scenario.toml.j2", "scenario.toml"),
    ("profile.toml.j2", "loadtest/profile.toml"),
    ("slo.toml.j2", "loadtest/slo.toml"),
    ("ci.yml.j2", "ci/takedown.yml"),
    ("README.md.j2", "README.md"),
)
SCENARIO = "scenario.toml"
BASELINES = Path("reports") / "baselines"
DEFAULT_EXTENDS = "smoke"


@dataclass(frozen=True)
class Scaffold:
    """What ``scaffold`` wrote: every file, and the baseline when one was made."""

    folder: Path
    files: tuple[Path, ...]
    baseline: Path | None


def project_name(folder: Path) -> str:
    """A scenario name from the folder's name: lower case, words joined by ``_``."""
    words = re.findall(r"[a-z0-9]+", folder.resolve().name.lower())
    return "_".join(words) or "project"


def check_target(folder: Path, extends: str) -> None:
    """UserError naming each problem: a folder that holds files, a parent not shipped."""
    problems = []
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        problems.append(f"{folder}: exists and is not an empty folder")
    if shipped.path_of(extends) is None:
        hint = config.suggestion(extends, shipped.names(), "shipped scenarios")
        problems.append(f"extends {extends!r}: not a shipped scenario; {hint}")
    if problems:
        raise UserError(problems)


def render(template: str, values: dict[str, str]) -> str:
    """One template filled in; a missing value is an error, never an empty string."""
    import jinja2

    env = jinja2.Environment(
        variable_start_string="[[",
        variable_end_string="]]",
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    return env.from_string((TEMPLATES / template).read_text(encoding="utf-8")).render(values)


def scaffold(folder: Path, extends: str = DEFAULT_EXTENDS, baseline: bool = True) -> Scaffold:
    """Write the working folder; with ``baseline``, also run the gate's replications of
    its scenario into ``reports/baselines`` so ``takedown check`` passes as written."""
    check_target(folder, extends)
    version = package_version()
    values = {
        "name": project_name(folder),
        "extends": Path(extends).stem,  # a name, with or without .toml
        "version": version,
        "requirement": f"takedown-lab=={version}",
    }
    written = []
    for template, target in FILES:
        path = folder / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(template, values), encoding="utf-8")
        written.append(path)
    (folder / BASELINES).mkdir(parents=True, exist_ok=True)
    made = _baseline(folder) if baseline else None
    return Scaffold(folder, tuple(written), made)


def _baseline(folder: Path) -> Path:
    from sim.regression import update

    # the files were written a moment ago: no commit can hold them yet
    report = update([folder / SCENARIO], baselines_dir=folder / BASELINES, force=True)
    return report.updated[0]
