"""The property: once the stream has ended, the live store's closed events equal
``seawatch detect`` on the same positions (type, vessels, start, end, ids), for messages
shuffled within the allowed lateness and duplicated across two feeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawatch.live import read_changes
from seawatch.sim import scenario_names
from seawatch.store import open_store
from tests.live._livekit import batch_events, closed_live_events, keys, live_run, scenario_nmea

DEFAULT_RUN = ("encounter-midnight", "interception-diverted", "watchlist-name-flag")


def _check(name: str, tmp_path: Path, *, batches: int, seed: int) -> None:
    nmea = scenario_nmea(name, tmp_path)
    batch = batch_events(nmea, tmp_path / "batch")
    listener = live_run(nmea, tmp_path / "live", batches=batches, seed=seed)
    live = closed_live_events(open_store(tmp_path / "live"))
    assert keys(live) == keys(batch), name
    # every announced event has a revision history; nothing vanished without a row
    changes = read_changes(tmp_path / "live")
    assert set(changes.column("event_id").to_pylist()) >= set(live.column("event_id").to_pylist())
    assert listener.result.commits >= 1


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", DEFAULT_RUN)
def test_live_closed_events_equal_batch(name: str, tmp_path: Path) -> None:
    _check(name, tmp_path, batches=4, seed=7)


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("name", scenario_names())
def test_live_equals_batch_on_every_scenario(name: str, tmp_path: Path) -> None:
    _check(name, tmp_path, batches=6, seed=11)
