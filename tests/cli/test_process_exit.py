"""The console entry point ends the process cleanly.

``seawatch.cli.main`` freezes the process's objects for the collector before the interpreter
shuts down (a 0.15-0.25 s saving on every command that loads the detectors). What must still
hold when the process ends: the exit code, every byte printed, the events written, and no
temporary directory left behind (``weakref.finalize`` and ``atexit`` still run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.store._storekit import fleet_csv


def _seawatch(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TMPDIR=str(tmp), COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "seawatch", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_command_ends_with_its_output_its_files_and_no_leftovers(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    store = tmp_path / "store"
    src = fleet_csv(tmp_path / "fleet.csv", vessels=6, reports=300, step_s=300)

    assert _seawatch(scratch, "ingest", "--store", str(store), str(src)).returncode == 0
    detect = _seawatch(scratch, "detect", "--store", str(store))
    assert detect.returncode == 0, detect.stderr
    assert "positions in" in detect.stderr
    assert (store / "events").exists()

    listed = _seawatch(scratch, "events", "--store", str(store), "--format", "jsonl")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    counted = _seawatch(
        scratch,
        "query",
        "--store",
        str(store),
        "SELECT count(*) AS n FROM events",
        "--format",
        "json",
    )
    assert counted.returncode == 0, counted.stderr
    assert json.loads(counted.stdout)[0]["n"] == len(rows)

    # an error keeps its exit code and its message
    missing = _seawatch(scratch, "events", "--store", str(tmp_path / "nowhere"))
    assert missing.returncode == 1
    assert "error:" in missing.stderr

    assert list(scratch.iterdir()) == []
