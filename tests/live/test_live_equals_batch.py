"""The property: once the stream has ended, the live store's closed events equal
``seawatch detect`` on the same positions (type, vessels, start, end, ids), for messages
shuffled within the allowed lateness and duplicated across two feeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawatch.live import Listener, read_changes
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


@pytest.mark.timeout(300)
def test_a_pool_kept_between_passes_and_started_again_when_a_worker_dies(tmp_path: Path) -> None:
    """``--workers 2``: the passes share one pool of workers (they keep their kernels and
    geography loaded); a worker killed between passes breaks the pool, and the next pass
    starts a new one and gives the same events. Live still equals batch."""
    import os
    import signal

    name = "encounter-midnight"
    nmea = scenario_nmea(name, tmp_path)
    batch = batch_events(nmea, tmp_path / "batch")
    seen: list[frozenset[int]] = []

    def between(listener: Listener, k: int) -> None:
        pool = listener._pool
        assert pool is not None
        pids = frozenset(pool._processes or {})  # the workers of this pool
        assert pids, "the pass ran on the pool"
        seen.append(pids)
        if k == 1:  # kill one worker: the pool is broken for the next pass
            os.kill(min(pids), signal.SIGKILL)

    listener = live_run(nmea, tmp_path / "live", batches=4, seed=7, workers=2, between=between)
    assert seen[0] == seen[1]  # the same workers in the first two passes
    assert seen[2].isdisjoint(seen[1])  # a new pool after the kill
    assert seen[3] == seen[2]
    assert listener._pool is None  # stopped with the stream
    live = closed_live_events(open_store(tmp_path / "live"))
    assert keys(live) == keys(batch)
