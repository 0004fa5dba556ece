"""Store ingest: idempotence, partitions, de-duplication, merges, rejects, stray files."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from seawatch import schema
from seawatch._exceptions import ParameterError, StoreError
from seawatch.store import IngestOptions, open_store
from seawatch.store._manifest import write_lock
from tests.store._storekit import (
    T0,
    content,
    fleet_csv,
    positions_parquet,
    snapshot,
    track_rows,
    write_csv,
)


def test_open_store_requires_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no seawatch store"):
        open_store(tmp_path / "none")
    store = open_store(tmp_path / "new", create=True)
    assert store.days() == []
    assert store.positions().schema == schema.POSITIONS
    assert store.positions().num_rows == 0
    assert store.vessels().num_rows == 0


def test_ingest_twice_leaves_identical_store(tmp_path: Path) -> None:
    src = fleet_csv(tmp_path / "fleet.csv", vessels=5, reports=200)  # crosses midnight
    store = open_store(tmp_path / "s", create=True)
    first = store.ingest([src])
    assert first.files_ingested == 1
    assert first.positions == 1000
    before = snapshot(store.root)
    again = store.ingest([src])
    assert again.files_skipped == 1 and again.files_ingested == 0
    assert again.positions == 0
    assert snapshot(store.root) == before
    # the same bytes under another name are skipped as well
    copy = tmp_path / "renamed.csv"
    shutil.copy(src, copy)
    assert store.ingest([copy]).files_skipped == 1
    assert snapshot(store.root) == before


def test_multi_day_partitions_sorted(tmp_path: Path) -> None:
    rows = track_rows(300_000_002, T0, 300, step_s=600) + track_rows(
        300_000_001, T0, 300, step_s=600
    )
    src = write_csv(tmp_path / "days.csv", rows)  # 50 h from 22:00 on day 1: 3 UTC days
    store = open_store(tmp_path / "s", create=True)
    summary = store.ingest(src)
    assert summary.days == tuple(date(2024, 3, d) for d in (1, 2, 3))
    assert store.days() == list(summary.days)
    for d in store.days():
        folder = store.root / "positions" / f"day={d.isoformat()}"
        files = list(folder.glob("*.parquet"))
        assert len(files) == 1
        table = pq.read_table(files[0])
        keys = list(
            zip(table.column("mmsi").to_pylist(), table.column("ts").to_pylist(), strict=True)
        )
        assert keys == sorted(keys)
        assert {t.date() for t in table.column("ts").to_pylist()} == {d}
    per_day = {d: t.num_rows for d, t in store.iter_position_days()}
    assert sum(per_day.values()) == 600
    window = store.positions(since="2024-03-02T00:00:00Z", until=datetime(2024, 3, 3, tzinfo=UTC))
    assert window.num_rows == per_day[date(2024, 3, 2)] == 2 * 144
    one = store.positions(mmsi=300_000_001, columns=["mmsi", "ts"])
    assert one.num_rows == 300 and one.column_names == ["mmsi", "ts"]


def test_dedup_across_receivers(tmp_path: Path) -> None:
    base = dict(mmsi=366_000_001, lat=25.0, lon=-80.0, sog_kn=3.0, msg_type=1)
    t = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    rx_a = positions_parquet(
        tmp_path / "a.parquet",
        [
            {**base, "ts": t, "station": "rx-a"},
            {**base, "ts": t + timedelta(seconds=30), "station": "rx-a"},  # > 10 s later: kept
            {**base, "ts": t + timedelta(seconds=1), "lat": 25.001, "station": "rx-a"},  # moved
        ],
    )
    rx_b = positions_parquet(
        tmp_path / "b.parquet",
        [
            {**base, "ts": t + timedelta(seconds=3), "station": "rx-b"},  # heard again 3 s later
            {**base, "ts": t, "station": "rx-b"},  # same instant, other receiver
            {**base, "ts": t + timedelta(seconds=34), "station": "rx-b"},
        ],
    )
    store = open_store(tmp_path / "s", create=True)
    s1 = store.ingest(rx_a)
    s2 = store.ingest(rx_b)  # a separate ingest that overlaps the first
    assert (s1.positions, s1.duplicates_dropped) == (3, 0)
    assert (s2.positions, s2.duplicates_dropped) == (0, 3)
    rows = store.positions().to_pylist()
    assert [(r["ts"] - t).seconds for r in rows] == [0, 1, 30]
    assert rows[0]["station"] == "rx-a"  # the first receiver (alphabetically) at the same instant
    # a wider window also folds the repeat 30 s later
    wide = open_store(tmp_path / "w", create=True)
    wide.ingest([rx_a, rx_b], dedup_window_s=60)
    assert wide.positions().num_rows == 2


def test_overlapping_ingests_equal_one_ingest(tmp_path: Path) -> None:
    rows = track_rows(211_000_001, T0, 150) + track_rows(211_000_002, T0, 150, name="B")
    part1 = write_csv(tmp_path / "p1.csv", rows[:100] + rows[150:250])
    part2 = write_csv(tmp_path / "p2.csv", rows[50:150] + rows[200:300])
    whole = write_csv(tmp_path / "whole.csv", rows)
    merged = open_store(tmp_path / "m", create=True)
    merged.ingest(part1)
    summary = merged.ingest(part2)
    assert summary.duplicates_dropped >= 100
    single = open_store(tmp_path / "one", create=True)
    single.ingest(whole)
    assert merged.positions().num_rows == 300
    assert content(merged)["positions"] == content(single)["positions"]
    assert merged.vessels().column("name").to_pylist() == [None, "B"]


def test_rejects_counted_and_queryable(tmp_path: Path) -> None:
    rows = track_rows(311_000_001, T0, 5)
    rows.insert(2, "not,a,row")
    rows.insert(4, "311000001,2024-13-45T00:00:00,1,2,,,,,")
    src = write_csv(tmp_path / "bad.csv", rows)
    store = open_store(tmp_path / "s", create=True)
    summary = store.ingest(src)
    assert summary.rejects_by_reason == {"csv_row": 2}
    assert summary.positions == 5
    rej = store.query("SELECT line_no, reason FROM rejects ORDER BY line_no").to_pylist()
    assert rej == [{"line_no": 4, "reason": "csv_row"}, {"line_no": 6, "reason": "csv_row"}]


def test_untimed_rows_become_no_timestamp_rejects(tmp_path: Path) -> None:
    src = positions_parquet(
        tmp_path / "untimed.parquet",
        [
            {"mmsi": 1, "ts": None, "lat": 1.0, "lon": 1.0, "msg_type": 1},
            {"mmsi": 2, "ts": T0, "lat": 1.0, "lon": 1.0, "msg_type": 18},
        ],
    )
    store = open_store(tmp_path / "s", create=True)
    summary = store.ingest(src)
    assert summary.rejects_by_reason == {"no_timestamp": 1}
    assert summary.positions == 1
    assert store.rejects().column("raw").to_pylist() == ["mmsi=1 msg_type=1"]


def test_strays_are_invisible_and_cleaned(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s", create=True)
    store.ingest(fleet_csv(tmp_path / "a.csv", vessels=2, reports=10))
    day_dir = next((store.root / "positions").iterdir())
    stray = day_dir / "part-stray.parquet"
    shutil.copy(next(day_dir.iterdir()), stray)
    staging = store.root / ".staging-deadbeef"
    (staging / "rows").mkdir(parents=True)
    tmp_manifest = store.root / "manifest.json.tmp-abc"
    tmp_manifest.write_text("{")
    assert store.positions().num_rows == 20  # readers use the manifest, not a glob
    assert store.query("SELECT count(*) AS n FROM positions").to_pylist() == [{"n": 20}]
    store.ingest(fleet_csv(tmp_path / "b.csv", vessels=1, reports=10, start=T0 + timedelta(days=5)))
    assert not stray.exists() and not staging.exists() and not tmp_manifest.exists()
    assert store.positions().num_rows == 30


@contextmanager
def _held_by_another_thread(root: Path) -> Iterator[None]:
    """The writer lock held by another thread (the lock is re-entrant in one thread)."""
    started, release = threading.Event(), threading.Event()

    def hold() -> None:
        with write_lock(root):
            started.set()
            release.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    assert started.wait(10)
    try:
        yield
    finally:
        release.set()
        t.join()


def test_concurrent_writer_is_refused(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s", create=True)
    with _held_by_another_thread(store.root), pytest.raises(StoreError, match="another process"):
        store.ingest(fleet_csv(tmp_path / "a.csv", vessels=1, reports=3))


def test_writer_waits_for_the_lock(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s", create=True)
    src = fleet_csv(tmp_path / "a.csv", vessels=1, reports=3)
    with _held_by_another_thread(store.root), pytest.raises(StoreError, match=r"waited 0\.2 s"):
        store.ingest(src, wait_s=0.2)
    started, done = threading.Event(), threading.Event()

    def hold_briefly() -> None:
        with write_lock(store.root):
            started.set()
            time.sleep(0.5)
        done.set()

    t = threading.Thread(target=hold_briefly)
    t.start()
    assert started.wait(10)
    summary = store.ingest(src, wait_s=30)  # waits for the other writer, then ingests
    assert done.is_set() and summary.positions == 3
    t.join()


def test_options_validation(tmp_path: Path) -> None:
    with pytest.raises(ParameterError):
        IngestOptions(dedup_window_s=-1)
    with pytest.raises(ParameterError):
        IngestOptions(default_time=datetime(2024, 1, 1))


def test_manifest_records_sources(tmp_path: Path) -> None:
    src = fleet_csv(tmp_path / "a.csv", vessels=2, reports=3)
    store = open_store(tmp_path / "s", create=True)
    store.ingest(src)
    manifest = json.loads((store.root / "manifest.json").read_text())
    (entry,) = manifest["sources"].values()
    assert entry["path"] == str(src) and entry["positions"] == 6 and entry["format"] == "csv"
    assert entry["sha256"] in manifest["sources"]


def test_bucketed_merge_equals_single_merge(tmp_path: Path) -> None:
    rows: list[str] = []
    for v in range(30):
        rows += track_rows(100_000_000 + v * 7_919_000, T0, 40, step_s=5)
        rows += track_rows(100_000_000 + v * 7_919_000, T0 + timedelta(seconds=2), 40, step_s=5)
    src = write_csv(tmp_path / "many.csv", rows)
    single = open_store(tmp_path / "one", create=True)
    one = single.ingest(src)
    bucketed = open_store(tmp_path / "buckets", create=True)
    many = bucketed.ingest(src, merge_rows_per_bucket=100)  # ~24 MMSI ranges
    assert (many.positions, many.duplicates_dropped) == (one.positions, one.duplicates_dropped)
    a = single.positions()
    b = bucketed.positions()
    assert a.equals(b)  # same rows, same (mmsi, ts) order
    assert a.num_rows == one.positions > 0
