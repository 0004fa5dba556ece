"""Builders of a small hand-made store: positions, statics (ingested as Parquet) and events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from seawatch.detect._base import event_id
from seawatch.schema import EVENTS, POSITIONS, STATICS

T0 = datetime(2022, 1, 3, tzinfo=UTC)

# mmsi: (name history, ship_type, start lat, start lon, dlat/step, dlon/step)
VesselSpec = tuple[list[tuple[str, int | None]], int, float, float, float, float]
VESSELS: dict[int, VesselSpec] = {
    311000001: ([("NORDIC STAR", 9300001)], 80, 12.0, -67.5, 0.0, 0.004),
    775000002: ([("GUARDACOSTAS 1", None)], 55, 11.5, -67.0, 0.003, 0.0),
    636000003: (
        [("LIBERIA TRADER", 9400002), ("LIB TRADER", 9400002)],
        70,
        14.0,
        -70.0,
        -0.002,
        0.003,
    ),
    367000004: ([("GULF RUNNER", None)], 30, 27.0, -90.0, 0.001, 0.001),
}
STEP = timedelta(minutes=10)
N_STEPS = 2 * 24 * 6  # two days


def positions_table() -> pa.Table:
    cols: dict[str, list[object]] = {f.name: [] for f in POSITIONS}
    for mmsi, (_, _, lat0, lon0, dlat, dlon) in VESSELS.items():
        for i in range(N_STEPS):
            if mmsi == 636000003 and 100 <= i < 190:  # a 15 h silence
                continue
            cols["mmsi"].append(mmsi)
            cols["ts"].append(T0 + i * STEP)
            cols["lat"].append(lat0 + dlat * i + 0.001 * np.sin(i))
            cols["lon"].append(lon0 + dlon * i)
            cols["sog_kn"].append(8.0)
            cols["cog_deg"].append(90.0)
            cols["heading_deg"].append(90)
            cols["nav_status"].append(0)
            cols["msg_type"].append(1)
            cols["source"].append("fixture")
            cols["station"].append(None)
    return pa.table(cols, schema=POSITIONS)


def statics_table() -> pa.Table:
    cols: dict[str, list[object]] = {f.name: [] for f in STATICS}
    for mmsi, (names, ship_type, *_rest) in VESSELS.items():
        for k, (name, imo) in enumerate(names):
            for rep in range(3):
                row = {
                    "mmsi": mmsi,
                    "ts": T0 + timedelta(hours=20 * k + rep),
                    "imo": imo,
                    "name": name,
                    "callsign": f"C{mmsi % 10000}",
                    "ship_type": ship_type,
                    "length_m": 100.0,
                    "beam_m": 20.0,
                    "draught_m": 8.0,
                    "destination": "CURACAO",
                    "eta": None,
                    "class": "A",
                    "msg_type": 5,
                    "source": "fixture",
                    "station": None,
                }
                for key, value in row.items():
                    cols[key].append(value)
    return pa.table(cols, schema=STATICS)


def event_rows() -> list[dict[str, object]]:
    def ev(
        type_: str,
        vessels: list[int],
        start_h: float,
        dur_h: float,
        lat: float,
        lon: float,
        region: str | None,
        zone: str | None,
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
            "details": json.dumps({"params": {"max_dist_m": 500.0}, "note": type_}),
        }

    return [
        ev("encounter", [311000001, 775000002], 5.0, 3.0, 12.0, -67.3, "caribbean", "VE-eez"),
        ev("loitering", [311000001], 30.0, 5.0, 12.0, -66.9, "caribbean", "VE-eez"),
        ev("gap", [636000003], 16.5, 15.0, 13.8, -69.5, "caribbean", None),
        ev("zone_entry", [636000003], 2.0, 0.0, 13.9, -69.9, "caribbean", "CW-territorial"),
        ev("port_visit", [367000004], 40.0, 6.0, 27.2, -89.8, "gulf-of-mexico", None),
        ev("loitering", [367000004], 10.0, 4.0, 27.05, -89.95, "gulf-of-mexico", None),
    ]


def events_table() -> pa.Table:
    return pa.Table.from_pylist(event_rows(), schema=EVENTS)


def build_store(root: Path, *, events: pa.Table | None = None) -> Path:
    """Ingest the fixture positions and statics (as Parquet) into a new store at ``root``,
    store the fixture events, and return ``root``."""
    from seawatch.store import open_store

    inputs = root.parent / (root.name + "-inputs")
    inputs.mkdir(parents=True, exist_ok=True)
    pq.write_table(positions_table(), inputs / "positions.parquet")
    pq.write_table(statics_table(), inputs / "statics.parquet")
    store = open_store(root, create=True)
    store.ingest([inputs / "positions.parquet", inputs / "statics.parquet"])
    ev = events if events is not None else events_table()
    store.replace_events(ev, types=sorted(set(ev["type"].to_pylist())), run={"preset": "fixture"})
    return root
