"""Spoofing and identity checks on real AIS (NOAA MarineCadastre 2022-01-03, first 99,999
rows; public domain), on the vessels checked by hand (see the rows quoted below)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from seawatch.detect.identity_changes import identity_changes
from seawatch.detect.spoofing import spoofing
from seawatch.detect.watchlist_hits import watchlist_hits

HAND_CHECKED = [
    338415278,  # AMORE MIA: moored at 40.040,-74.059 (NJ), two fixes 70-110 km inland
    366764730,  # off San Diego: one stale report at 00:00:01 where it arrives at 00:20
    338411000,  # JOHN P LAB, Jacksonville FL: IMO 9212424 ...
    671087100,  # ... WATER SPIRIT 2, San Juan PR (Togo flag): same IMO, same minutes
    377039000,  # GRAN FINALE class B ...
    377039001,  # ... and class A transponder of the same yacht (IMO 9022180)
    636015565,  # VIKTOR BAKAEV: on the OFAC list by IMO 9610810 and MMSI
]


@pytest.fixture(scope="module")
def noaa(shared_data: Path) -> tuple[pa.Table, pa.Table]:
    from seawatch.sources import read_source

    path = shared_data / "noaa-ais-20220103-vesselsummaryais" / "data" / "AISdata.csv"
    pos, sta = [], []
    for d in read_source(path):
        keep = pa.array(HAND_CHECKED, pa.uint32())
        pos.append(d.positions.filter(pc.is_in(d.positions.column("mmsi"), keep)))
        sta.append(d.statics.filter(pc.is_in(d.statics.column("mmsi"), keep)))
    return pa.concat_tables(pos), pa.concat_tables(sta)


def test_spoofing_on_noaa(noaa: tuple[pa.Table, pa.Table]) -> None:
    positions, _ = noaa
    ev = spoofing(positions)
    got = [(r["vessels"][0], json.loads(r["details"])["kind"]) for r in ev.to_pylist()]
    assert got == [(338415278, "on_land")]
    d = json.loads(ev.column("details")[0].as_py())
    assert d["n_land_positions"] == 2 and d["n_positions"] == 10


def test_identity_on_noaa(noaa: tuple[pa.Table, pa.Table]) -> None:
    positions, statics = noaa
    ev = identity_changes(statics, positions=positions)
    shared = {r["vessels"][0]: json.loads(r["details"]) for r in ev.to_pylist()}
    assert sorted(shared) == [338411000, 377039000]
    john = shared[338411000]
    assert john["imo"] == 9212424 and john["flags"] == ["TG", "US"]
    assert john["flag_changed"] is True and john["overlapping"] is True
    yacht = shared[377039000]
    assert yacht["imo"] == 9022180 and yacht["overlapping"] is True


def test_watchlist_on_noaa(noaa: tuple[pa.Table, pa.Table]) -> None:
    positions, statics = noaa
    ev = watchlist_hits(statics, positions=positions)
    (row,) = ev.to_pylist()
    d = json.loads(row["details"])
    assert row["vessels"] == [636015565]
    assert d["entry_name"] == "VIKTOR BAKAEV" and d["list_date"] == "2024-05-03"
    assert {m["match"] for m in d["matches"]} == {"imo", "mmsi", "name_flag"}  # LR, 636
