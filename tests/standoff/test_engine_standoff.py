"""The engine runs the standoff detectors over a store: user watchlists in the store are
screened, identity changes are found, interceptions come out once."""

from __future__ import annotations

import json
from pathlib import Path

from seawatch.detect import FakeGeo
from seawatch.engine import run_detectors
from seawatch.store import open_store
from seawatch.watchlist import add_list

HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass"
)


def test_statics_detectors_through_the_engine(tmp_path: Path) -> None:
    csv = tmp_path / "noaa.csv"
    rows = [HEADER]
    for k in range(6):  # renamed half way; on the user's list by MMSI
        name = "SEA STAR" if k < 3 else "OCEAN GLORY"
        rows.append(
            f"366000001,2024-03-01T0{k}:00:00,25.0,-80.0,0.0,0,511,{name},IMO9187629,WXY1,80,0,"
            "200,30,10,,A"
        )
    csv.write_text("\n".join(rows) + "\n")
    store = open_store(tmp_path / "store", create=True)
    store.ingest([csv])
    mine = tmp_path / "mine.csv"
    mine.write_text("mmsi,name\n366000001,\n")
    add_list(tmp_path / "store", mine, name="mine", date_="2024-02-01")
    ev = run_detectors(
        store, only=["identity_change", "watchlist_hit"], workers=1, geo=FakeGeo(), write=False
    )
    by_type: dict[str, list[dict[str, object]]] = {}
    for r in ev.to_pylist():
        by_type.setdefault(str(r["type"]), []).append(json.loads(str(r["details"])))
    assert [(d["field"], d["old"], d["new"]) for d in by_type["identity_change"]] == [
        ("name", "SEA STAR", "OCEAN GLORY")
    ]
    hits = {(d["list"], d["list_date"], d["best_match"]) for d in by_type["watchlist_hit"]}
    # ARTAVIL's IMO 9187629 is on the bundled OFAC list; the MMSI on the user's list
    assert hits == {("ofac_sdn", "2024-05-03", "imo"), ("mine", "2024-02-01", "mmsi")}
