"""``--detect-days``: a pass over the last days only recomputes the events that start after
its first day exactly as a pass over the whole store does (the four-day standoff)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from seawatch import schema
from seawatch.engine import detector_types, resolve_only, run_detectors
from seawatch.live import FeedSpec, Listener, ListenOptions
from seawatch.store import open_store
from tests.live._livekit import keys


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("days", [2])
def test_windowed_pass_equals_the_whole_pass(tmp_path: Path, days: int) -> None:
    from seawatch.cli._demo import standoff_path
    from seawatch.sim import load_scenario, simulate

    simulate(load_scenario(standoff_path()), tmp_path / "sc", write_csv=False)
    store = open_store(tmp_path / "s", create=True)
    store.ingest(next((tmp_path / "sc").glob("*.nmea")))
    assert len(store.days()) > days + 1  # the window leaves days out
    whole = run_detectors(store, workers=1, write=False)
    first = store.days()[-1] - timedelta(days=days)
    cut = pa.scalar(
        datetime.combine(first + timedelta(days=1), datetime.min.time(), UTC), schema.TS
    )
    # what an earlier pass left: the events before the cut, and a stale one after it
    before = whole.filter(pc.less(whole.column("start"), cut))
    after = whole.filter(pc.greater_equal(whole.column("start"), cut))
    assert before.num_rows and after.num_rows
    stale = after.slice(0, 1).set_column(0, "event_id", pa.array(["stale"], pa.string()))
    stale = stale.cast(whole.schema)
    store.replace_events(
        pa.concat_tables([before, stale]),
        types=detector_types(resolve_only(None)),
        run={"test": "an earlier pass"},
    )
    listener = Listener(store, [FeedSpec("tcp", "1", name="x")], ListenOptions(detect_days=days))
    assert keys(listener._run_engine(whole=False)) == keys(whole)
