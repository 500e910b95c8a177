"""The locustfile's own command-line options (``--td-*``) and their environment twins.

For Locust started by hand, without the run config ``takedown loadtest`` writes:
each ``--td-*`` option also reads ``LOCUST_TD_*`` (``--td-config`` is
``LOCUST_TD_CONFIG``, ...), and ``plain_config`` makes a run config of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loadtest.config import RunConfig, parse_duration_s
from loadtest.slo import Threshold


def add_arguments(parser: Any) -> None:
    """The ``--td-*`` options (the locustfile registers this on ``init_command_line_parser``)."""
    group = parser.add_argument_group("takedown harness")
    group.add_argument(
        "--td-config", default="", env_var="LOCUST_TD_CONFIG",
        help="Run config JSON written by takedown loadtest (overrides the other --td-* options).",
    )  # fmt: skip
    group.add_argument(
        "--td-profile", default="default", env_var="LOCUST_TD_PROFILE",
        help="Shipped load profile name or TOML path.",
    )  # fmt: skip
    group.add_argument(
        "--td-keys", default="keys.json", env_var="LOCUST_TD_KEYS",
        help="Keys JSON the service wrote (takedown serve --keys-out).",
    )  # fmt: skip
    group.add_argument("--td-slo", default="", env_var="LOCUST_TD_SLO", help="SLO thresholds TOML.")
    group.add_argument(
        "--td-out", default=".", env_var="LOCUST_TD_OUT", help="Folder for harness results."
    )
    group.add_argument(
        "--td-duration", default="", env_var="LOCUST_TD_DURATION",
        help="How long arrivals run (default: -t, else 60s).",
    )  # fmt: skip
    group.add_argument(
        "--td-seed", default="", env_var="LOCUST_TD_SEED", help="Root seed of the load."
    )


def plain_config(options: Any) -> RunConfig:
    """A run config from the ``--td-*`` options, for Locust started by hand.

    Raises ValueError naming the option for a mistake (the caller exits 2 with it).
    """
    from loadtest.profile import ProfileError, load_profile
    from loadtest.results import KNOWN_METRICS
    from loadtest.slo import SloError, load_spec
    from sim.rng import draw_seed

    try:
        profile = load_profile(options.td_profile)
        spec = load_spec(options.td_slo, KNOWN_METRICS) if options.td_slo else None
    except (ProfileError, SloError) as exc:
        raise ValueError(exc.problems[0]) from None
    keys = Path(options.td_keys)
    if not keys.is_file():
        raise ValueError(
            f"--td-keys {options.td_keys}: file not found (start the service with "
            "'takedown serve --keys-out keys.json', or point --td-keys / LOCUST_TD_KEYS at it)"
        )
    if options.td_duration:
        duration_s = parse_duration_s(options.td_duration)
    else:
        duration_s = float(getattr(options, "run_time", None) or 60.0)
    seed_text = str(options.td_seed).strip()
    if seed_text and not seed_text.isdigit():
        raise ValueError(f"--td-seed {seed_text!r}: expected a whole number >= 0")
    seed = int(seed_text) if seed_text else (profile.profile.seed or draw_seed())
    out = Path(options.td_out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "harness.json").unlink(missing_ok=True)  # a previous run's, written at the end
    return RunConfig(
        profile=profile.model_dump(mode="json"), keys_file=str(keys.resolve()),
        duration_s=duration_s, workers=int(getattr(options, "expect_workers", 0) or 0)
        if getattr(options, "master", False) else 0,
        out_dir=str(out.resolve()), seed=seed, warmup_s=spec.warmup_s if spec else 0.0,
        slo_text=Path(options.td_slo).read_text() if options.td_slo else None,
        worker_wait_s=float(getattr(options, "expect_workers_max_wait", 0) or 0),  # 0: forever
    )  # fmt: skip


def abort_thresholds(config: RunConfig) -> list[Threshold]:
    """The run's abort_on_fail thresholds (none without an SLO file)."""
    from loadtest.results import KNOWN_METRICS
    from loadtest.slo import parse_spec

    return parse_spec(config.slo_text, KNOWN_METRICS).aborting if config.slo_text else []
