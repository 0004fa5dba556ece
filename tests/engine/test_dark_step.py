"""The engine's scene step: detections in the store matched against stored AIS (issue #11)."""

from __future__ import annotations

import json
from pathlib import Path

from seawatch.engine import run_detectors
from seawatch.store import open_store


def test_engine_runs_dark_over_the_store(tmp_path: Path) -> None:
    ais = tmp_path / "ais.csv"
    rows = ["mmsi,ts,lat,lon,sog,cog,length"]
    # vessel 1 broadcasts through the pass; vessel 2 goes silent 8 h before it
    for m in range(0, 181, 10):
        rows.append(
            f"311000001,2024-01-01T{10 + m // 60:02d}:{m % 60:02d}:00Z,12.0,-66.0,0.1,0,200"
        )
    for m in range(0, 121, 10):
        rows.append(f"311000002,2024-01-01T{2 + m // 60:02d}:{m % 60:02d}:00Z,12.5,-66.5,8,90,150")
    ais.write_text("\n".join(rows) + "\n")
    dets = tmp_path / "dets.csv"
    dets.write_text(
        "time,lat,lon,length_m,scene_id,source\n"
        "2024-01-01T11:30:00Z,12.0,-66.0,190,P1,sentinel1\n"
        "2024-01-01T11:30:00Z,12.5,-66.0,150,P1,sentinel1\n"
    )
    store = open_store(tmp_path / "s", create=True)
    store.ingest([ais])
    store.ingest_detections([dets])
    run_detectors(store, only="dark", workers=1)
    ev = store.events(types=["detected_by", "dark_detection", "ais_mismatch"]).to_pylist()
    by_type = {e["type"]: e for e in ev}
    assert by_type["detected_by"]["vessels"] == [311000001]
    dark = json.loads(by_type["dark_detection"]["details"])
    assert [g["mmsi"] for g in dark["gap_candidates"]] == [311000002]
    # re-running gives the same ids
    again = run_detectors(store, only="dark", workers=1, write=False)
    assert sorted(again.column("event_id").to_pylist()) == sorted(e["event_id"] for e in ev)
