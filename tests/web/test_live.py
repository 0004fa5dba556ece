"""The map receives a new event over server-sent events during a replay (issue #10).

``seawatch listen`` (TCP) and ``seawatch serve`` run on one store; the page is opened
before any event exists; ``seawatch replay`` plays a scenario into the listener, and the
event the listener detects appears on the map's live layer without a reload.
Run with ``SEAWATCH_REQUIRE_BROWSER=1 python -m pytest -m browser tests/web/test_live.py``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.live._livekit import scenario_nmea
from tests.web.conftest import ARTIFACTS, serve

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_map_receives_a_new_event_over_sse_during_a_replay(page: Any, tmp_path: Path) -> None:
    nmea = scenario_nmea("interception-diverted", tmp_path)
    store = tmp_path / "store"
    port = _free_port()
    env = dict(os.environ)
    log = open(tmp_path / "listen.log", "wb")  # noqa: SIM115 (closed below)
    listener = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seawatch",
            "listen",
            "--store",
            str(store),
            "--tcp",
            f"127.0.0.1:{port}",
            "--commit-every",
            "0.5",
        ],
        env=env,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert listener.poll() is None, (tmp_path / "listen.log").read_text()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        with serve(store) as url:
            page.goto(url + "/#lon=-70&lat=12&z=5")
            page.wait_for_function(
                "() => window.seawatchLive && window.seawatchLive.connected", timeout=30_000
            )
            assert page.evaluate("() => window.seawatchLive.features.size") == 0
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "seawatch",
                    "replay",
                    str(nmea),
                    "--to",
                    f"tcp://127.0.0.1:{port}",
                    "--speed",
                    "0",
                ],
                env=env,
                check=True,
                capture_output=True,
                timeout=60,
            )
            page.wait_for_function("() => window.seawatchLive.features.size > 0", timeout=120_000)
            types = page.evaluate(
                "() => Array.from(window.seawatchLive.features.values())"
                ".map(f => f.properties.type)"
            )
            assert types
            page.wait_for_function(
                "() => window.seawatch.map.queryRenderedFeatures({layers: ['live-events']})"
                ".length > 0",
                timeout=30_000,
            )
            # paused: changes are held back, not drawn
            page.click("#live-toggle input")
            assert page.inner_text("#live-toggle").strip().startswith("paused")
            page.click("#live-toggle input")
            assert page.inner_text("#live-toggle").strip().startswith("live")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "map-live.png"))
            assert page.errors == []
    finally:
        listener.send_signal(signal.SIGTERM)
        try:
            listener.wait(timeout=60)
        except subprocess.TimeoutExpired:
            listener.kill()
            listener.wait()
        log.close()
    assert listener.returncode == 0
