"""Read-only SQL views, the vessels view, and the events writer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from seawatch import schema
from seawatch._exceptions import ParameterError, StoreError
from seawatch.store import Store, open_store
from tests.store._storekit import T0, fleet_csv, track_rows, write_csv


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = open_store(tmp_path / "s", create=True)
    s.ingest(fleet_csv(tmp_path / "fleet.csv", vessels=3, reports=20))
    return s


@pytest.mark.parametrize(
    "sql",
    [
        "COPY (SELECT 1) TO '{tmp}/out.csv'",
        "COPY positions TO '{tmp}/out.parquet'",
        "INSERT INTO positions SELECT * FROM positions",
        "DELETE FROM positions",
        "ATTACH '{tmp}/x.duckdb' AS x",
        "CREATE TABLE t AS SELECT 1",
        "SET enable_external_access = true",
        "DROP VIEW positions",
        "SELECT 1; COPY (SELECT 1) TO '{tmp}/out2.csv'",
        "INSTALL spatial",
    ],
)
def test_query_rejects_writes(store: Store, tmp_path: Path, sql: str) -> None:
    with pytest.raises(StoreError, match="read-only"):
        store.query(sql.format(tmp=tmp_path))
    assert not list(tmp_path.glob("out*")) and not (tmp_path / "x.duckdb").exists()


def test_connection_cannot_reach_other_files(store: Store, tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("a\n1\n")
    with pytest.raises(StoreError, match="query failed"):
        store.query(f"SELECT * FROM read_csv('{other}')")
    with store.connect() as con:  # the Python API connection is locked down too
        with pytest.raises(Exception, match="disabled by configuration"):
            con.execute(f"COPY (SELECT 1) TO '{tmp_path}/out.csv'")
        with pytest.raises(Exception, match="configuration"):
            con.execute("SET enable_external_access = true")
    assert not (tmp_path / "out.csv").exists()


def test_views_have_the_schemas(store: Store) -> None:
    expected = {
        "positions": schema.POSITIONS,
        "statics": schema.STATICS,
        "others": schema.OTHERS,
        "rejects": schema.REJECTS,
        "events": schema.EVENTS,
    }
    for view, sch in expected.items():
        cols = [r["column_name"] for r in store.query(f"DESCRIBE {view}").to_pylist()]
        assert cols == sch.names, view
    assert store.query("SELECT count(*) AS n FROM events").to_pylist() == [{"n": 0}]
    assert store.query("SELECT count(*) AS n FROM positions").to_pylist() == [{"n": 60}]
    assert store.query("EXPLAIN SELECT * FROM positions").num_rows >= 1


def test_vessels_view(tmp_path: Path) -> None:
    s = open_store(tmp_path / "s", create=True)
    rows = track_rows(775_000_001, T0, 5, name="OLD NAME") + track_rows(
        775_000_001, T0 + timedelta(hours=1), 5, name="NEW NAME"
    )
    rows += track_rows(244_000_002, T0, 3)
    s.ingest(write_csv(tmp_path / "v.csv", rows))
    vessels = {r["mmsi"]: r for r in s.vessels().to_pylist()}
    ve = vessels[775_000_001]
    assert ve["name"] == "NEW NAME"
    assert ve["flag"] == "VE"
    assert ve["ship_type"] == 70 and ve["ship_group"] == "cargo"
    assert ve["n_positions"] == 10
    assert ve["first_seen"] == T0
    assert ve["last_seen"] == T0 + timedelta(hours=1, minutes=4)
    nl = vessels[244_000_002]
    assert nl["flag"] == "NL" and nl["name"] is None and nl["n_positions"] == 3


def _events(rows: list[dict[str, object]]) -> pa.Table:
    cols = {f.name: [r.get(f.name) for r in rows] for f in schema.EVENTS}
    return pa.table(
        {f.name: pa.array(cols[f.name], f.type) for f in schema.EVENTS}, schema=schema.EVENTS
    )


def _event(
    eid: str, type_: str, vessels: list[int], start: datetime, hours: float
) -> dict[str, object]:
    return {
        "event_id": eid,
        "type": type_,
        "start": start,
        "end": start + timedelta(hours=hours),
        "vessels": vessels,
        "duration_h": hours,
        "details": "{}",
    }


def test_replace_events_keeps_other_types(store: Store) -> None:
    t = datetime(2024, 3, 1, tzinfo=UTC)
    loiter = _events([_event("l1", "loitering", [200000000], t, 5.0)])
    gaps = _events(
        [
            _event("g1", "gap", [200000001], t, 13.0),
            _event("g2", "gap", [200000000], t + timedelta(days=1), 20.0),
        ]
    )
    store.replace_events(loiter, types=["loitering"], run={"preset": "default"})
    store.replace_events(gaps, types=["gap"], run={"preset": "gfw"})
    assert sorted(store.events().column("event_id").to_pylist()) == ["g1", "g2", "l1"]
    assert store.events(types=["gap"]).num_rows == 2
    assert store.events(vessels=200000000).column("event_id").to_pylist() == ["l1", "g2"]
    assert store.events(since=t + timedelta(hours=14)).column("event_id").to_pylist() == ["g2"]
    q = store.query("SELECT event_id FROM events WHERE list_contains(vessels, 200000001::UINTEGER)")
    assert q.to_pylist() == [{"event_id": "g1"}]
    # re-running loitering with no results removes the old loitering events only
    store.replace_events(_events([]), types=["loitering"], run={"preset": "default", "n": 2})
    assert sorted(store.events().column("event_id").to_pylist()) == ["g1", "g2"]
    manifest = store.manifest()
    assert manifest["events"]["runs"]["loitering"] == {"preset": "default", "n": 2}
    assert len(manifest["events"]["files"]) == 1
    # the old files are retired (kept for readers of the previous manifest), not listed
    on_disk = {p.relative_to(store.root).as_posix() for p in (store.root / "events").iterdir()}
    assert on_disk == set(manifest["events"]["files"]) | set(manifest["retired"])
    assert len(manifest["retired"]) == 2


def test_replace_events_validates(store: Store) -> None:
    t = datetime(2024, 3, 1, tzinfo=UTC)
    table = _events([_event("g1", "gap", [1], t, 1.0)])
    with pytest.raises(ParameterError, match="not in types"):
        store.replace_events(table, types=["loitering"], run={})
    with pytest.raises(ParameterError, match="schema"):
        store.replace_events(pa.table({"x": [1]}), types=["gap"], run={})
    assert store.events().num_rows == 0
