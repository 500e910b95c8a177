"""``takedown serve`` as a user runs it: seeding, refusals, restarts, one-line errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from tests.loadtest.service.conftest import TAKEDOWN, LiveServer, auth, keys_json, notice_body

REPO = Path(__file__).resolve().parents[3]
SMOKE = REPO / "scenarios" / "smoke.toml"


def takedown(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TAKEDOWN, *args], capture_output=True, text=True, timeout=120)


def test_serve_help_names_every_flag() -> None:
    out = takedown("serve", "--help")
    assert out.returncode == 0
    for flag in ("--db", "--host", "--port", "--workers", "--rate-limit", "--seed-scenario",
                 "--keys-out", "--reset"):  # fmt: skip
        assert flag in out.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--db", "mysql://x/y"], "unsupported database"),
        (["--db", "sqlite://"], "SQLite needs a file path"),
        (["--seed-scenario", "nope.toml", "--keys-out", "k.json"], "file not found"),
        (["--seed-scenario", str(SMOKE)], "go together"),
        (["--port", "70000"], "--port"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(args: list[str], words: str, tmp_path: Path) -> None:
    full = (
        ["serve", *args]
        if "--db" in args
        else ["serve", "--db", f"sqlite:///{tmp_path}/d.db", *args]
    )
    out = takedown(*full)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in out.stderr


def test_smoke_seed_keys_refusal_and_restart(tmp_path: Path) -> None:
    db, keys_file = f"sqlite:///{tmp_path / 'svc.db'}", tmp_path / "keys.json"
    server = LiveServer(db, tmp_path / "log", "--seed-scenario", str(SMOKE), "--keys-out",
                        str(keys_file))  # fmt: skip
    try:
        keys = keys_json(keys_file)
        assert set(keys) >= {"admin", "rights_holders", "account_managers", "sellers"}
        assert {r["program"] for r in keys["rights_holders"]} == {
            "standard", "good_faith", "joint_force"
        }  # fmt: skip
        assert len(keys["rights_holders"]) == 12 and len(keys["sellers"]) == 100
        assert oct(keys_file.stat().st_mode & 0o777) == "0o600"
        rh = keys["rights_holders"][0]
        with httpx.Client(base_url=server.base) as c:
            ids = [
                i["id"]
                for i in c.get("/v1/listings", params={"brand_id": rh["brand_id"]}).json()["items"][
                    :2
                ]
            ]
            nid = c.post("/v1/notices", json=notice_body(ids),
                         headers=auth(rh["key"])).json()["id"]  # fmt: skip
    finally:
        server.stop()
    refused = takedown("serve", "--db", db, "--seed-scenario", str(SMOKE), "--keys-out",
                       str(tmp_path / "k2.json"))  # fmt: skip
    assert refused.returncode == 2 and "--reset" in refused.stderr
    again = LiveServer(db, tmp_path / "log")  # a restart without seeding serves the data
    try:
        with httpx.Client(base_url=again.base) as c:
            assert c.get(f"/v1/notices/{nid}", headers=auth(rh["key"])).status_code == 200
    finally:
        again.stop()


def test_seeding_is_deterministic_but_keys_are_fresh(tmp_path: Path, scenario_file: Path) -> None:
    from tests.loadtest.service.conftest import make_client, seed_db

    a = seed_db(f"sqlite:///{tmp_path / 'a.db'}", scenario_file, seed=3)
    b = seed_db(f"sqlite:///{tmp_path / 'b.db'}", scenario_file, seed=3)
    assert a.keys["admin"]["key"] != b.keys["admin"]["key"]
    pages = []
    for seeded in (a, b):
        with make_client(seeded.url, rate_limit=0) as c:
            items = c.get("/v1/listings", params={"limit": 100}).json()["items"]
            pages.append([(i["brand_id"], i["title"], i["is_fake"]) for i in items])
    assert pages[0] == pages[1]
    assert [r["program"] for r in a.keys["rights_holders"]] == [
        r["program"] for r in b.keys["rights_holders"]
    ]


def test_programme_counts_give_every_positive_share_a_brand() -> None:
    from loadtest.service.seed import programme_counts

    assert programme_counts({"standard": 0.98, "good_faith": 0.01, "joint_force": 0.01}, 10) == {
        "standard": 8, "good_faith": 1, "joint_force": 1
    }  # fmt: skip
    assert programme_counts({"standard": 0.7, "good_faith": 0.3, "joint_force": 0.0}, 40) == {
        "standard": 28, "good_faith": 12
    }  # fmt: skip


def test_every_problem_of_the_seed_scenario_is_reported(tmp_path: Path) -> None:
    """serve reports all its problems like the sim commands, not the first one only."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[market]\nbrands = -1\n\n[platform]\nsweep_recall = 2\n")
    db = f"sqlite:///{tmp_path}/d.db"
    out = takedown("serve", "--db", db, "--seed-scenario", str(bad), "--keys-out", "k.json")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith(f"error: {bad}: ") for line in lines)
    assert "market.brands" in lines[0] and "platform.sweep_recall" in lines[1]
