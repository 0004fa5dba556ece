"""Whether a listener runs: the health document against the listener's lock.

A listener writes ``running: true`` into its health document and holds the store's listener
lock while it runs; when it is killed the document still says it runs, the lock does not.
``seawatch feeds`` and ``GET /api/feeds`` read the document through ``read_health``, which
says so.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from seawatch import StoreError
from seawatch.api import create_app
from seawatch.cli import app
from seawatch.live import HEALTH, Listener, listener_running, read_health
from seawatch.live._listener import LOCK
from seawatch.store import open_store


def _health(root: Path, *, running: bool) -> None:
    (root / HEALTH).parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "schema": "seawatch.feeds/1",
        "updated": "2026-12-07T05:40:35.210+00:00",
        "listener": {"pid": 1, "running": running, "commits": 3},
        "feeds": [
            {
                "name": "ais",
                "kind": "tcp",
                "target": "127.0.0.1:1",
                "messages": 28758,
                "messages_per_s": 527.6,
                "rejects": 41,
                "last_message": "2026-12-07T05:40:35.195+00:00",
                "stale": False,
                "reconnects": 0,
                "error": None,
            }
        ],
    }
    (root / HEALTH).write_text(json.dumps(doc), encoding="utf-8")


@contextmanager
def _held(root: Path, mode: int) -> Iterator[None]:
    (root / LOCK).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@pytest.fixture
def store_root(tmp_path: Path) -> Path:
    return Path(open_store(tmp_path / "store", create=True).root)


def test_a_killed_listener_is_not_reported_running(store_root: Path) -> None:
    assert read_health(store_root) is None
    _health(store_root, running=True)
    assert not listener_running(store_root)
    doc = read_health(store_root)
    assert doc is not None
    assert doc["listener"]["running"] is False and "killed" in doc["listener"]["note"]

    result = CliRunner().invoke(app, ["feeds", "--store", str(store_root)], env={"COLUMNS": "150"})
    assert result.exit_code == 0, result.output
    assert "listener stopped" in result.stdout and "killed" in result.stdout
    assert "28,758" in result.stdout and "2026-12-07 05:40:35Z" in result.stdout
    status = CliRunner().invoke(app, ["status", "--store", str(store_root)], env={"COLUMNS": "150"})
    assert status.exit_code == 0 and status.stdout == result.stdout  # one view, two names

    with TestClient(create_app(store_root), base_url="http://127.0.0.1") as client:
        got = client.get("/api/feeds").json()
    assert got["listener"]["running"] is False and got["listener"]["note"]


def test_a_listener_holding_its_lock_is_reported_running(store_root: Path) -> None:
    _health(store_root, running=True)
    with _held(store_root, fcntl.LOCK_EX):
        assert listener_running(store_root)
        doc = read_health(store_root)
        assert doc is not None
        assert doc["listener"]["running"] is True and "note" not in doc["listener"]
    _health(store_root, running=False)  # a listener that stopped cleanly: no note
    doc = read_health(store_root)
    assert doc is not None and "note" not in doc["listener"]


def test_a_starting_listener_waits_out_a_readers_check(store_root: Path) -> None:
    store = open_store(store_root)
    released = threading.Event()

    def reader() -> None:
        with _held(store_root, fcntl.LOCK_SH):
            time.sleep(0.3)
        released.set()

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.05)
    listener = Listener(store, [])
    try:
        listener._lock()  # the reader's shared lock is let go within LOCK_WAIT_S
        assert released.is_set()
        assert listener_running(store_root)
    finally:
        listener._unlock()
        thread.join()
    # another listener: refused
    with _held(store_root, fcntl.LOCK_EX), pytest.raises(StoreError, match="another listener"):
        Listener(store, [])._lock()
