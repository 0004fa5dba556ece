"""SIGKILL during ``python -m seawatch ingest`` at random moments.

After each kill the store must read consistently (views work; its content is exactly the
store before the ingest or exactly the store after it, never a part), and a re-run must
complete it with no duplicates and no loss (equal to a clean ingest), leaving no stray files.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seawatch.store import Store, open_store
from seawatch.store._manifest import kept_files, listed_files
from tests.store._storekit import content, fleet_csv, snapshot

Content = dict[str, list[tuple[object, ...]]]


def _inputs(tmp: Path, scale: int) -> tuple[Path, Path]:
    first = fleet_csv(tmp / "first.csv", vessels=5 * scale, reports=200, step_s=600)  # ~1.4 days
    second = fleet_csv(tmp / "second.csv", vessels=10 * scale, reports=1000, step_s=120)
    with open(second, "a") as f:
        f.write("garbage line\n200000001,not-a-time,1,2,,,,,\n")
    return first, second


def _ingest_cmd(store: Path, src: Path) -> list[str]:
    return [sys.executable, "-m", "seawatch", "ingest", "--store", str(store), str(src)]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["COLUMNS"] = "100"
    return env


def _check_consistent(store: Store, allowed: list[Content]) -> Content:
    manifest = store.manifest()
    for rel in listed_files(manifest):
        assert (store.root / rel).is_file(), rel
    got = content(store)
    assert got in allowed, "the store holds a partial ingest"
    n = store.query("SELECT count(*) AS n FROM positions").to_pylist()[0]["n"]
    assert n == len(got["positions"])
    store.vessels()
    return got


def _run_trials(tmp_path: Path, trials: int, seed: int, scale: int) -> None:
    first, second = _inputs(tmp_path, scale)
    base = open_store(tmp_path / "base", create=True)
    base.ingest(first)
    before = content(base)
    ref = open_store(tmp_path / "ref", create=True)
    ref.ingest(first)
    ref.ingest(second)
    after = content(ref)
    assert after != before

    # time one full run of the subprocess to spread the kills over it
    timing = tmp_path / "timing"
    shutil.copytree(base.root, timing)
    t0 = time.monotonic()
    subprocess.run(_ingest_cmd(timing, second), check=True, capture_output=True, env=_env())
    full_s = time.monotonic() - t0
    assert content(open_store(timing)) == after

    rng = random.Random(seed)
    outcomes = {"before": 0, "after": 0}
    for k in range(trials):
        trial = tmp_path / f"trial{k}"
        shutil.copytree(base.root, trial)
        proc = subprocess.Popen(
            _ingest_cmd(trial, second),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_env(),
        )
        time.sleep(rng.uniform(0.05, 1.1) * full_s)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        store = open_store(trial)
        got = _check_consistent(store, [before, after])
        outcomes["after" if got == after else "before"] += 1
        store.ingest(second)  # the re-run completes the ingest
        assert content(store) == after
        kept = kept_files(store.manifest())  # listed, or retired and in their grace period
        on_disk = {p for p in snapshot(store.root) if p != "manifest.json"}
        assert on_disk == kept, "stray files after the re-run"
        shutil.rmtree(trial)
    assert outcomes["before"] >= 1  # at least one kill landed mid-ingest


def test_kill_during_ingest_few_trials(tmp_path: Path) -> None:
    _run_trials(tmp_path, trials=2, seed=7, scale=1)


@pytest.mark.slow
def test_kill_during_ingest_20_trials(tmp_path: Path) -> None:
    _run_trials(tmp_path, trials=24, seed=2024, scale=4)
