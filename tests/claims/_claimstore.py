"""A small hand-made store with known truth for the claim checks (December 2025)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from seawatch.detect._base import event_id
from seawatch.schema import EVENTS, POSITIONS, STATICS

T0 = datetime(2025, 12, 8, tzinfo=UTC)
STEP = timedelta(minutes=10)
N_STEPS = 2 * 24 * 6  # 2025-12-08 and 2025-12-09

# mmsi: (name, ship_type, lat, lon, dlat/step, dlon/step)
VESSELS: dict[int, tuple[str, int, float, float, float, float]] = {
    369000001: ("US WARSHIP ONE", 35, 12.5, -66.5, 0.0, 0.0005),
    369000002: ("US WARSHIP TWO", 35, 12.6, -67.0, 0.0005, 0.0),
    775000010: ("SANTA LUCIA", 80, 12.0, -66.2, 0.001, 0.0),  # starts in VE 12 nm
    636000020: ("LIBERTY TRADER", 70, 13.5, -69.0, 0.0, 0.001),
    367000030: ("GULF RUNNER", 30, 27.0, -90.0, 0.001, 0.001),
}


def _positions() -> pa.Table:
    cols: dict[str, list[object]] = {f.name: [] for f in POSITIONS}
    for mmsi, (_, _, lat0, lon0, dlat, dlon) in VESSELS.items():
        for i in range(N_STEPS):
            row = {
                "mmsi": mmsi,
                "ts": T0 + i * STEP,
                "lat": lat0 + dlat * i,
                "lon": lon0 + dlon * i,
                "sog_kn": 8.0,
                "cog_deg": 90.0,
                "heading_deg": 90,
                "nav_status": 0,
                "msg_type": 1,
                "source": "fixture",
                "station": None,
            }
            for k, v in row.items():
                cols[k].append(v)
    return pa.table(cols, schema=POSITIONS)


def _statics() -> pa.Table:
    cols: dict[str, list[object]] = {f.name: [] for f in STATICS}
    for mmsi, (name, ship_type, *_r) in VESSELS.items():
        row = {
            "mmsi": mmsi,
            "ts": T0,
            "imo": None,
            "name": name,
            "callsign": "C1",
            "ship_type": ship_type,
            "length_m": 100.0,
            "beam_m": 20.0,
            "draught_m": 8.0,
            "destination": "",
            "eta": None,
            "class": "A",
            "msg_type": 5,
            "source": "fixture",
            "station": None,
        }
        for k, v in row.items():
            cols[k].append(v)
    return pa.table(cols, schema=STATICS)


def _ev(
    type_: str,
    vessels: list[int],
    start_h: float,
    dur_h: float,
    lat: float,
    lon: float,
    region: str | None,
    zone: str | None = None,
) -> dict[str, object]:
    start = T0 + timedelta(hours=start_h)
    return {
        "event_id": event_id(type_, vessels, start),
        "type": type_,
        "start": start,
        "end": start + timedelta(hours=dur_h),
        "vessels": vessels,
        "lat": lat,
        "lon": lon,
        "duration_h": dur_h,
        "region": region,
        "zone": zone,
        "confidence": 0.9,
        "details": json.dumps({"note": type_}),
    }


EVENTS_ROWS = [
    # one incident: the interception and the encounter of the same pair overlap
    _ev("interception", [369000001, 775000010], 6.0, 3.0, 12.4, -66.3, "caribbean", "VE-eez"),
    _ev("encounter", [369000001, 775000010], 6.5, 2.5, 12.4, -66.3, "caribbean", "VE-eez"),
    # a second incident: a ship-to-ship meeting
    _ev("encounter", [636000020, 775000010], 20.0, 4.0, 12.8, -67.0, "caribbean", "VE-eez"),
    _ev("gap", [636000020], 26.0, 8.0, 13.5, -68.8, "caribbean"),
    _ev("zone_entry", [775000010], 1.0, 0.0, 12.006, -66.2, "caribbean", "VE-territorial"),
    _ev("port_visit", [367000030], 30.0, 6.0, 27.2, -89.8, "gulf-of-mexico"),
]


def build(root: Path) -> Path:
    from seawatch.store import open_store

    inputs = root.parent / (root.name + "-inputs")
    inputs.mkdir(parents=True, exist_ok=True)
    pq.write_table(_positions(), inputs / "positions.parquet")
    pq.write_table(_statics(), inputs / "statics.parquet")
    store = open_store(root, create=True)
    store.ingest([inputs / "positions.parquet", inputs / "statics.parquet"])
    ev = pa.Table.from_pylist(EVENTS_ROWS, schema=EVENTS)
    store.replace_events(ev, types=sorted(set(ev["type"].to_pylist())), run={"preset": "fixture"})
    return root
