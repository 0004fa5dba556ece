"""Versioned events: created, updated, closed, retracted with a reason; nothing deleted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from seawatch import schema
from seawatch.live import ChangeLog, current_status, read_changes

T0 = datetime(2025, 12, 8, tzinfo=UTC)


def _us(hours: float) -> int:
    return int(T0.timestamp() * 1e6 + hours * 3600e6)


def _events(*rows: dict[str, Any]) -> pa.Table:
    full = []
    for r in rows:
        base: dict[str, Any] = {k: None for k in schema.EVENTS.names}
        base.update(
            {
                "type": "gap",
                "vessels": [1],
                "lat": 10.0,
                "lon": -66.0,
                "details": "{}",
            }
        )
        base.update(r)
        base["start"] = datetime.fromtimestamp(_us(base["start"]) / 1e6, UTC)
        base["end"] = datetime.fromtimestamp(_us(base["end"]) / 1e6, UTC)
        full.append(base)
    return pa.Table.from_pylist(full, schema=schema.EVENTS)


def test_created_updated_closed_retracted(tmp_path: Path) -> None:
    log = ChangeLog(tmp_path)
    first = log.diff(_events({"event_id": "a", "start": 0, "end": 2}), watermark_us=_us(1))
    assert [(c["change"], c["status"], c["revision"]) for c in first] == [("created", "open", 1)]
    log.write(first)
    # the same event again: nothing to record
    assert log.diff(_events({"event_id": "a", "start": 0, "end": 2}), watermark_us=_us(1)) == []
    # new positions extend it
    upd = log.diff(_events({"event_id": "a", "start": 0, "end": 3}), watermark_us=_us(1))
    assert [(c["change"], c["revision"]) for c in upd] == [("updated", 2)]
    assert "extended" in upd[0]["reason"]
    log.write(upd)
    # the lateness passes: closed
    closed = log.diff(_events({"event_id": "a", "start": 0, "end": 3}), watermark_us=_us(4))
    assert [(c["change"], c["status"], c["revision"]) for c in closed] == [("updated", "closed", 3)]
    assert "lateness" in closed[0]["reason"]
    log.write(closed)
    # late data changes its start: a new id, the old one retracted with a reason
    moved = log.diff(_events({"event_id": "b", "start": 0.5, "end": 3}), watermark_us=_us(4))
    kinds = {c["event_id"]: c for c in moved}
    assert kinds["b"]["change"] == "created"
    assert kinds["a"]["change"] == "retracted"
    assert "superseded by b" in kinds["a"]["reason"]
    log.write(moved)
    gone = log.diff(_events(), watermark_us=_us(4))
    assert gone[0]["change"] == "retracted" and "no longer detected" in gone[0]["reason"]
    log.write(gone)
    history = read_changes(tmp_path, event_id="a").to_pylist()
    assert [h["revision"] for h in history] == [1, 2, 3, 4]
    assert current_status(tmp_path) == {}
    # a restart reads the state back from the log
    again = ChangeLog(tmp_path)
    assert again.state["a"].retracted and again.seq == log.seq


def test_final_closes_everything(tmp_path: Path) -> None:
    log = ChangeLog(tmp_path)
    changes = log.diff(_events({"event_id": "a", "start": 0, "end": 2}), watermark_us=None)
    assert changes[0]["status"] == "open"
    final = ChangeLog(tmp_path).diff(
        _events({"event_id": "a", "start": 0, "end": 2}), watermark_us=None, final=True
    )
    assert final[0]["status"] == "closed"
