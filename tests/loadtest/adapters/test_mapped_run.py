"""The whole harness against the second service through its TOML mapping alone: the
e2e takedown latency, the gates and loadtest.json as with the reference API."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from loadtest.adapters.mapped import mapped_keys
from loadtest.adapters.mapping import load_mapping
from loadtest.client import LISTING_POLL, REMOVAL_STREAM
from loadtest.runner import TAKEDOWN
from tests.loadtest.adapters.conftest import MAPPING, REPO, STREAM_PATH
from tests.loadtest.conftest import takedown

pytestmark = pytest.mark.timeout(180)


def test_a_run_through_the_mapping_measures_e2e_takedowns(
    other_service: tuple[str, Path], tmp_path: Path
) -> None:
    url, keys = other_service
    spec = load_mapping(MAPPING).spec
    holders = mapped_keys(spec, keys).rights_holders  # the service's own words, translated
    assert [(r.key, r.brand_id) for r in holders] == [("n-1", 1), ("n-2", 2)]
    slo = tmp_path / "slo.toml"
    slo.write_text(
        '[thresholds]\n"POST /v1/notices" = ["fail_ratio == 0"]\n'
        '"e2e_takedown" = ["count >= 1", "unfinished == 0"]\n'
        '"POST /v1/review-queue/claim" = ["fail_ratio == 0"]\n'
    )
    out = tmp_path / "run"
    run = takedown("loadtest", "--mapping", str(MAPPING), "--host", url, "--keys", str(keys),
                   "--profile", "smoke", "--slo", str(slo), "--duration", "5s", "--seed", "3",
                   "--out", str(out))  # fmt: skip
    assert run.returncode == 0, run.stderr
    doc = json.loads((out / "loadtest.json").read_text())
    e2e = doc["e2e_takedown"]
    assert e2e["count"] >= 1 and e2e["unfinished"] == 0
    assert 0 < e2e["p50_s"] <= e2e["p95_s"] < 10.0  # within the profile's e2e timeout
    assert doc["passed"] is True
    assert {name: r["failures"] for name, r in doc["requests"].items() if r["failures"]} == {}
    gated = {(v["metric"], v["threshold"]): v["passed"] for v in doc["slo"]}
    assert gated[("e2e_takedown", "count >= 1")] and gated[("e2e_takedown", "unfinished == 0")]
    assert all(gated.values()), gated
    assert (out / "junit.xml").is_file()
    # no removal stream there: the one subscription's 404 is counted, not failed; polls
    assert doc["requests"][REMOVAL_STREAM]["count"] == 1
    assert e2e["seen_by_stream"] == 0 and e2e["seen_by_poll"] == e2e["count"]
    assert doc["requests"][LISTING_POLL]["count"] >= e2e["count"]


def test_a_mapped_run_reads_the_service_s_removal_stream(
    streaming_service: tuple[str, Path], tmp_path: Path
) -> None:
    """The mapping's ``[removals] path``: notices close by the service's events, no poll."""
    url, keys = streaming_service
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(f'{MAPPING.read_text()}\n[removals]\npath = "{STREAM_PATH}"\n')
    out = tmp_path / "run"
    run = takedown("loadtest", "--mapping", str(mapping), "--host", url, "--keys", str(keys),
                   "--profile", "smoke", "--duration", "5s", "--seed", "3",
                   "--out", str(out))  # fmt: skip
    assert run.returncode == 0, run.stderr
    doc = json.loads((out / "loadtest.json").read_text())
    e2e = doc["e2e_takedown"]
    assert e2e["count"] >= 1 and e2e["unfinished"] == 0
    assert e2e["seen_by_stream"] == e2e["count"] and e2e["seen_by_poll"] == 0
    assert e2e["stream_delay"]["count"] >= e2e["count"]
    assert doc["requests"][REMOVAL_STREAM] | {"failures": 0} == doc["requests"][REMOVAL_STREAM]
    assert LISTING_POLL not in doc["requests"] or doc["requests"][LISTING_POLL]["count"] == 0


def test_a_wrong_mapping_stops_the_run_before_any_load(
    other_service: tuple[str, Path], tmp_path: Path
) -> None:
    url, keys = other_service
    bad = tmp_path / "mapping.toml"
    bad.write_text(MAPPING.read_text().replace('"offer_refs"', '"offers"'))
    out = tmp_path / "run"
    run = takedown("loadtest", "--mapping", str(bad), "--host", url, "--keys", str(keys),
                   "--duration", "5s", "--out", str(out))  # fmt: skip
    assert run.returncode == 2
    line = load_mapping(bad).where("file_notice", "listings")
    assert run.stderr.startswith(f"error: {line}: file_notice: listings 'offers', ")
    assert "the service answered 422" in run.stderr
    assert len(run.stderr.splitlines()) == 1
    assert not (out / "loadtest.json").exists() and not (out / "run.json").exists()


@pytest.mark.parametrize(
    ("service", "adapter"),
    [("other_service", "OtherServiceClient"),
     ("streaming_service", "StreamingOtherServiceClient")],
)  # fmt: skip
def test_a_python_adapter_class_runs_the_same_harness(
    service: str, adapter: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """``--adapter package.module:Class``: importable by the load generators too (here
    through PYTHONPATH, as a project's own package would be installed). A class naming
    its service's ``removal_stream`` has notices closed by the stream, others poll."""
    url, keys = request.getfixturevalue(service)
    out = tmp_path / "run"
    args = ["loadtest", "--adapter", f"tests.loadtest.adapters.other_client:{adapter}",
            "--host", url, "--keys", str(keys), "--profile", "smoke", "--duration", "5s",
            "--seed", "4", "--out", str(out)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run([*TAKEDOWN, *args], capture_output=True, text=True, timeout=170,
                         cwd=tmp_path, env=env)  # fmt: skip
    assert run.returncode == 0, run.stderr
    doc = json.loads((out / "loadtest.json").read_text())
    e2e = doc["e2e_takedown"]
    assert e2e["count"] >= 1 and e2e["unfinished"] == 0
    assert {name: r["failures"] for name, r in doc["requests"].items() if r["failures"]} == {}
    by_stream = service == "streaming_service"
    assert e2e["seen_by_stream" if by_stream else "seen_by_poll"] == e2e["count"]


@pytest.mark.parametrize(
    ("adapter", "said"),
    [
        ("nope.mod:X", "adapter 'nope.mod:X': cannot import nope.mod: No module named 'nope'"),
        ("loadtest.client:Reply", "adapter 'loadtest.client:Reply': lacks file_notice, claim, "
         "decide, browse, sweep, listing, poll_listing"),
        ("loadtest.client", "adapter 'loadtest.client': expected package.module:Class"),
    ],
)  # fmt: skip
def test_an_unusable_adapter_class_exits_2_before_anything(
    adapter: str, said: str, tmp_path: Path
) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text("{}")
    run = takedown("loadtest", "--adapter", adapter, "--host", "http://127.0.0.1:9",
                   "--keys", str(keys), "--out", str(tmp_path / "o"))  # fmt: skip
    assert (run.returncode, run.stderr) == (2, f"error: {said}\n")
    assert not (tmp_path / "o").exists()
