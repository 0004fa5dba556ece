"""Readers during writes (issue #14 §2): the API serves while ingests and detects run in
other processes (each waiting for the writer lock with ``--wait``). Every request must
succeed on one consistent store version; replaced files are removed (after a short grace
period here) without breaking a reader."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn

from seawatch.api import create_app
from seawatch.store import open_store
from seawatch.store._manifest import kept_files

T0 = datetime(2024, 3, 1, 22, 0, tzinfo=UTC)
BASE_VESSELS = 10
PER_INGEST = 3
REPORTS = 150  # every 2 minutes from 22:00: two UTC days, so ingests replace day files


def _csv(path: Path, first: int, vessels: int) -> Path:
    lines = ["mmsi,ts,lat,lon,sog,cog,heading,name,ship_type"]
    for v in range(first, first + vessels):
        for i in range(REPORTS):
            ts = (T0 + timedelta(minutes=2 * i)).strftime("%Y-%m-%dT%H:%M:%S")
            lines.append(f"{200000000 + v},{ts},10.0,{-60 + i * 0.01:.5f},5.0,90.0,90,V{v},70")
    path.write_text("\n".join(lines) + "\n")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class _Tally:
    ok: int = 0
    errors: list[str] = field(default_factory=list)
    vessel_counts: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def _client_loop(base: str, stop: threading.Event, tally: _Tally, k: int) -> None:
    with httpx.Client(base_url=base, timeout=30.0) as client:
        i = 0
        while not stop.is_set():
            i += 1
            mmsi = 200000000 + (k + i) % BASE_VESSELS
            which = (k + i) % 6
            try:
                if which == 0:
                    r = client.get("/api/vessels", params={"q": "V", "limit": 500})
                elif which == 1:
                    r = client.get("/api/events", params={"limit": 5000})
                elif which == 2:
                    r = client.get(f"/api/vessels/{mmsi}")
                elif which == 3:
                    r = client.get(f"/api/vessels/{mmsi}/track")
                elif which == 4:
                    r = client.get("/api/facets")
                else:
                    r = client.get("/api/report", params={"by": "type"})
            except httpx.HTTPError as exc:  # a dropped or refused connection
                tally.error(f"{type(exc).__name__}: {exc}")
                continue
            if r.status_code != 200:
                tally.error(f"{r.status_code} {r.url.path}: {r.text[:300]}")
                continue
            body = r.json()
            if which == 0:
                # one store version: the vessels of the base and of 0..n whole ingests
                n = len(body)
                if n < BASE_VESSELS or (n - BASE_VESSELS) % PER_INGEST:
                    tally.error(f"vessel count {n} is no store version")
                with tally.lock:
                    tally.vessel_counts[n] += 1
            elif which == 1:
                # page and total come from the same version
                if body["numberMatched"] != len(body["features"]):
                    tally.error(f"events: {body['numberMatched']} != {len(body['features'])}")
            elif which == 2 and body["n_positions"] != REPORTS:
                tally.error(f"vessel {mmsi}: {body['n_positions']} positions")
            with tally.lock:
                tally.ok += 1


def _writer(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "seawatch", *cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _run(
    tmp_path: Path, *, clients: int, seconds: float, ingests: int, detects: int, grace_s: float
) -> None:
    store = open_store(tmp_path / "store", create=True)
    store.ingest(_csv(tmp_path / "base.csv", 0, BASE_VESSELS))
    inputs = [
        _csv(tmp_path / f"in{j}.csv", BASE_VESSELS + j * PER_INGEST, PER_INGEST)
        for j in range(ingests)
    ]
    env = dict(os.environ, SEAWATCH_RETIRED_GRACE_S=str(grace_s), COLUMNS="120")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(store.root), host="127.0.0.1", port=port, log_level="warning")
    )
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    tally = _Tally()
    stop = threading.Event()
    threads = [
        threading.Thread(target=_client_loop, args=(f"http://127.0.0.1:{port}", stop, tally, k))
        for k in range(clients)
    ]
    t_start = time.monotonic()
    for t in threads:
        t.start()
    # writers start spread over the first half of the run; each waits for the lock
    procs: list[tuple[str, subprocess.Popen[str]]] = []
    plan = [("ingest", str(p)) for p in inputs] + [("detect", "")] * detects
    plan = sorted(plan, key=lambda w: (w[0] == "detect", w[1]))
    if detects:  # a detect among the ingests, not only after them
        plan.insert(len(plan) // 3, plan.pop())
    gap = seconds / 2 / max(1, len(plan))
    for what, arg in plan:
        cmd = [what, "--store", str(store.root), "--wait", "inf"]
        cmd += [arg] if what == "ingest" else ["--workers", "1", "--only", "gap,loitering"]
        procs.append((what, _writer(cmd, env)))
        time.sleep(gap)
    for what, proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, f"{what} failed: {err[-2000:]}"
    left = seconds - (time.monotonic() - t_start)
    if left > 0:
        time.sleep(left)
    stop.set()
    for t in threads:
        t.join(60)
    server.should_exit = True
    serving.join(30)

    assert tally.errors == [], f"{len(tally.errors)} errors, e.g. {tally.errors[:5]}"
    assert tally.ok > clients * 5
    final = BASE_VESSELS + ingests * PER_INGEST
    assert set(tally.vessel_counts) <= {BASE_VESSELS + j * PER_INGEST for j in range(ingests + 1)}
    assert max(tally.vessel_counts) == final  # the clients saw the end state
    assert len(tally.vessel_counts) >= 2  # ... and at least one change on the way
    # nothing on disk but listed files and retired ones within their grace period
    kept = kept_files(store.manifest())
    on_disk = {
        p.relative_to(store.root).as_posix()
        for table in ("positions", "statics", "others", "rejects", "events")
        if (store.root / table).is_dir()
        for p in (store.root / table).rglob("*.parquet")
    }
    assert on_disk == kept


def test_api_serves_while_ingest_and_detect_write(tmp_path: Path) -> None:
    _run(tmp_path, clients=6, seconds=8.0, ingests=2, detects=1, grace_s=1.0)


@pytest.mark.slow
def test_api_serves_while_ingest_and_detect_write_full(tmp_path: Path) -> None:
    """The issue's size: 20 clients for 60 s while 8 ingests and 2 detects run."""
    _run(tmp_path, clients=20, seconds=60.0, ingests=8, detects=2, grace_s=2.0)
