"""``make demo``: the project's question end to end on this machine.

Replicates the Good Faith Takedown era (gft_2015) against Joint-Force (joint_force_2017)
with common random numbers, renders the comparison report and ends by printing its path.
"""

from __future__ import annotations

import sys
from pathlib import Path

SCENARIOS = ("gft_2015", "joint_force_2017")  # shipped names: found from any folder
OUT_DIR = Path("out/demo")
REPS = 5
SEED = 2017


def compare_strategies(out_dir: Path = OUT_DIR) -> Path:
    """Run the comparison into ``out_dir`` and return the path of its report."""
    from reports.render import render_report
    from sim.experiment import compare

    result = compare(
        list(SCENARIOS),
        REPS,
        seed=SEED,
        out_dir=out_dir,
        command=["make", "demo"],
    )
    print(f"compared {', '.join(result.labels)}: {len(result.rows)} runs in {result.wall_s:.1f} s")
    return render_report(out_dir)


def main() -> None:
    """Entry point of ``python -m sim.cli.demo``; the last line printed is the report's path."""
    report = compare_strategies()
    print(f"report: {report.resolve()}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
