"""``seawatch listen`` as a process: stdin streaming ingest, SIGTERM, SIGKILL and restart
during a replay (nothing committed lost or duplicated), ``feeds`` and ``events --history``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest

from seawatch.store import open_store
from tests.live._livekit import keys, scenario_nmea

REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _seawatch(*args: str) -> list[str]:
    return [sys.executable, "-m", "seawatch", *args]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, "the listener stopped"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the listener did not open its port")


def _rows(store_dir: Path) -> list[tuple[object, ...]]:
    t = open_store(store_dir).positions(columns=["mmsi", "ts", "lat", "lon", "msg_type"])
    return sorted(zip(*(t.column(c).to_pylist() for c in t.column_names), strict=True))


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_stdin_is_a_streaming_ingest_and_detect(tmp_path: Path) -> None:
    nmea = scenario_nmea("encounter-midnight", tmp_path)
    store = tmp_path / "live"
    with open(nmea, "rb") as f:
        done = subprocess.run(
            _seawatch("listen", "--store", str(store), "--stdin", "--commit-every", "0.2"),
            stdin=f,
            capture_output=True,
            env=_env(),
            timeout=170,
            check=False,
        )
    assert done.returncode == 0, done.stderr.decode()
    batch = tmp_path / "batch"
    subprocess.run(
        _seawatch("ingest", str(nmea), "--store", str(batch)),
        env=_env(),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        _seawatch("detect", "--store", str(batch)), env=_env(), check=True, capture_output=True
    )
    assert keys(open_store(store).events()) == keys(open_store(batch).events())
    assert _rows(store) == _rows(batch)
    # every event has its history, and the feed its health
    eid = open_store(store).events().column("event_id")[0].as_py()
    hist = subprocess.run(
        _seawatch("events", "--store", str(store), "--history", eid, "--format", "jsonl"),
        capture_output=True,
        env=_env(),
        check=True,
    )
    revs = [json.loads(x) for x in hist.stdout.decode().splitlines()]
    assert revs[0]["change"] == "created" and revs[-1]["status"] == "closed"
    feeds = subprocess.run(
        _seawatch("feeds", "--store", str(store), "--format", "json"),
        capture_output=True,
        env=_env(),
        check=True,
    )
    doc = json.loads(feeds.stdout)
    assert doc["feeds"][0]["name"] == "stdin" and doc["feeds"][0]["messages"] > 0
    assert doc["listener"]["events_closed"] == open_store(store).events().num_rows


@pytest.mark.timeout(240)
def test_sigkill_and_restart_during_a_replay_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    nmea = scenario_nmea("dark-pass-shadow-fleet", tmp_path)
    store = tmp_path / "live"
    port = _free_port()
    listen = _seawatch(
        "listen",
        "--store",
        str(store),
        "--tcp",
        f"127.0.0.1:{port}",
        "--name",
        "rx",
        "--commit-every",
        "0.2",
        "--no-detect",
    )
    log = open(tmp_path / "listen.log", "ab")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(listen, env=_env(), stderr=log)
    _wait_port(port, proc)
    replay = subprocess.Popen(
        _seawatch("replay", str(nmea), "--to", f"tcp://127.0.0.1:{port}", "--speed", "20000"),
        env=_env(),
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill once some commits have happened
        time.sleep(0.2)
        if len(list(store.glob("positions/day=*"))) > 0:
            break
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    replay.wait(timeout=60)
    before = _rows(store)
    assert len(before) == len(set(before))
    # restart: the spools left behind are committed, the whole file is replayed again
    proc = subprocess.Popen(listen, env=_env(), stderr=log)
    _wait_port(port, proc)
    subprocess.run(
        _seawatch("replay", str(nmea), "--to", f"tcp://127.0.0.1:{port}", "--speed", "0"),
        env=_env(),
        check=True,
        capture_output=True,
        timeout=60,
    )
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 0, (tmp_path / "listen.log").read_text()
    log.close()
    after = _rows(store)
    assert set(before) <= set(after)  # nothing committed was lost
    batch = tmp_path / "batch"
    open_store(batch, create=True).ingest(nmea)
    assert after == _rows(batch)  # nor duplicated: the same rows as one ingest of the file
    assert isinstance(open_store(store).positions(), pa.Table)


@pytest.mark.timeout(120)
def test_demo_live_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """``seawatch demo --live`` serves the map (uvicorn, which raises SIGTERM again once it
    has shut down) beside the listener: SIGTERM commits, writes the final health, exits 0."""
    from seawatch.live import read_health

    store = tmp_path / "store"
    port = _free_port()
    proc = subprocess.Popen(
        _seawatch("demo", "--live", "--store", str(store), "--port", str(port)),
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_port(port, proc)
        end = time.monotonic() + 60
        while time.monotonic() < end:  # a few commits
            doc = read_health(store) if (store / "live").exists() else None
            if doc is not None and doc["listener"]["commits"] >= 3:
                break
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    doc = read_health(store)
    assert doc is not None
    assert doc["listener"]["running"] is False and "note" not in doc["listener"]
    assert open_store(store).positions(columns=["mmsi"]).num_rows > 0


@pytest.mark.timeout(60)
def test_sigterm_stops_the_listener_while_a_feed_is_still_connected(tmp_path: Path) -> None:
    """A TCP feed client that never hangs up (AIS-catcher pushing to us) must not keep
    SIGTERM from stopping the listener (from Python 3.12 on, cancelling a server's
    ``serve_forever`` waits for every client to hang up)."""
    store = tmp_path / "store"
    port = _free_port()
    proc = subprocess.Popen(
        _seawatch("listen", "--store", str(store), "--tcp", f"127.0.0.1:{port}"),
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_port(port, proc)
        with socket.create_connection(("127.0.0.1", port)) as feed:
            feed.sendall(b"!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24\n")
            time.sleep(1.0)
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)  # the client is still connected
        assert proc.returncode == 0, err.decode(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
