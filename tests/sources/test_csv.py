"""CSV readers: NOAA (old and 2025 headers), DMA, generic with --columns; rejects; chunking."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seawatch import schema
from seawatch._exceptions import SourceError
from seawatch.sources import parse_column_map, read_source

DATA = Path(__file__).parent / "data"

NOAA_HEADER = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass"
NOAA_ROWS = [
    "367379190,2022-01-03T00:00:00,30.3706,-88.56408,0.0,336.2,511,EAGLE,IMO8207721,WTD4583,31,0,28,11,3.3,52,A",
    "367379190,2022-01-03T00:01:00,30.3710,-88.56400,102.3,360.0,12,EAGLE,IMO8207721,WTD4583,31,0,28,11,3.3,52,A",
    "367379190,2022-01-03T00:02:00,30.3720,-88.56300,5.0,10.0,12,EAGLE II,IMO8207721,WTD4583,31,0,28,11,3.3,52,A",
    "338148873,2022-01-03T00:00:00,33.60716,-117.91483,0.0,280.0,511,CAZADOR,IMO0000000,,37,,14,,,,B",
]


def _collect(path: Path | str, **kw: Any) -> dict[str, Any]:
    batches = list(read_source(path, **kw))
    out: dict[str, Any] = {
        name: pa.concat_tables([getattr(b, name) for b in batches])
        for name in ("positions", "statics", "others", "rejects")
    }
    out["lines"] = sum(b.lines for b in batches)
    return out


def _write(tmp_path: Path, header: str, rows: list[str], name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def test_noaa_values_and_sentinels(tmp_path: Path) -> None:
    got = _collect(_write(tmp_path, NOAA_HEADER, NOAA_ROWS))
    pos = got["positions"]
    assert pos.schema == schema.POSITIONS
    assert pos.num_rows == 4
    rows = pos.to_pylist()
    assert rows[0]["mmsi"] == 367379190
    assert rows[0]["ts"] == datetime(2022, 1, 3, tzinfo=UTC)
    assert rows[0]["heading_deg"] is None  # 511
    assert rows[0]["nav_status"] == 0
    assert rows[1]["sog_kn"] is None  # 102.3
    assert rows[1]["cog_deg"] is None  # 360
    assert rows[1]["heading_deg"] == 12
    assert rows[0]["source"] == str(tmp_path / "f.csv")
    assert got["rejects"].num_rows == 0


def test_noaa_statics_deduplicated_per_identity(tmp_path: Path) -> None:
    got = _collect(_write(tmp_path, NOAA_HEADER, NOAA_ROWS))
    sta = got["statics"]
    assert sta.schema == schema.STATICS
    eagle = [r for r in sta.to_pylist() if r["mmsi"] == 367379190]
    # three rows, two identities (EAGLE, then EAGLE II): two statics rows
    assert [r["name"] for r in eagle] == ["EAGLE", "EAGLE II"]
    assert eagle[0]["imo"] == 8207721
    assert eagle[0]["ship_type"] == 31
    assert eagle[0]["length_m"] == 28 and eagle[0]["beam_m"] == 11
    assert eagle[0]["draught_m"] == pytest.approx(3.3)
    assert eagle[0]["class"] == "A"
    cazador = [r for r in sta.to_pylist() if r["mmsi"] == 338148873]
    assert cazador[0]["imo"] is None  # IMO0000000
    assert cazador[0]["class"] == "B"


def test_statics_dedup_across_chunks(tmp_path: Path) -> None:
    rows = [
        f"367379190,2022-01-03T00:{m:02d}:00,30.37,-88.56,1.0,10.0,12,EAGLE,,WTD4583,31,0,28,11,,,A"
        for m in range(60)
    ]
    rows[40] = rows[40].replace("EAGLE", "RENAMED")
    got = _collect(_write(tmp_path, NOAA_HEADER, rows), chunk_bytes=1024)
    names = [r["name"] for r in got["statics"].to_pylist()]
    assert names == ["EAGLE", "RENAMED", "EAGLE"]
    assert got["positions"].num_rows == 60


NOAA_2025_HEADER = "mmsi,base_date_time,longitude,latitude,sog,cog,heading,vessel_name,imo,call_sign,vessel_type,status,length,width,draft,cargo,transceiver"


def test_noaa_2025_header(tmp_path: Path) -> None:
    row = "477220100,2025-02-01 20:05:07,-71.04182,42.35137,5.6,47.5,45,OOCL Malaysia,IMO9627980,VRME7,70,3,71,12,3.5,70,A"
    got = _collect(_write(tmp_path, NOAA_2025_HEADER, [row]))
    p = got["positions"].to_pylist()[0]
    assert p["lon"] == pytest.approx(-71.04182) and p["lat"] == pytest.approx(42.35137)
    assert p["ts"] == datetime(2025, 2, 1, 20, 5, 7, tzinfo=UTC)
    s = got["statics"].to_pylist()[0]
    assert (s["name"], s["imo"], s["callsign"], s["ship_type"]) == (
        "OOCL Malaysia",
        9627980,
        "VRME7",
        70,
    )


def test_dma_fixture() -> None:
    got = _collect(DATA / "dma_sample.csv", chunk_bytes=1024)
    pos = got["positions"].to_pylist()
    assert len(pos) == 7
    first = pos[0]
    assert first["mmsi"] == 219000001
    assert first["ts"] == datetime(2023, 6, 1, tzinfo=UTC)
    assert first["nav_status"] == 0
    assert first["heading_deg"] == 44
    by_mmsi = {(r["mmsi"], r["ts"].second): r for r in pos}
    bad_pos = by_mmsi[(219000003, 30)]
    assert bad_pos["lat"] is None and bad_pos["lon"] is None  # 91/181
    assert bad_pos["cog_deg"] is None and bad_pos["heading_deg"] is None
    assert bad_pos["nav_status"] == 1  # At anchor
    fishing = [r for r in pos if r["nav_status"] == 7]
    assert len(fishing) == 1
    # rejects: the row with a bad timestamp, with its line number (header is line 1)
    rej = got["rejects"].to_pylist()
    assert [(r["line_no"], r["reason"]) for r in rej] == [(8, "csv_row")]
    assert rej[0]["raw"].startswith("not a date,")
    sta = got["statics"].to_pylist()
    star = [s for s in sta if s["mmsi"] == 219000001]
    assert [s["ship_type"] for s in star] == [70, 30]  # Cargo, then Fishing
    assert star[0]["eta"] == "06-02T14:30"
    assert star[0]["class"] == "A" and star[0]["imo"] == 9123456
    assert star[0]["destination"] == "COPENHAGEN"
    breeze = next(s for s in sta if s["mmsi"] == 219000002)
    assert breeze["ship_type"] == 37 and breeze["class"] == "B" and breeze["imo"] is None
    tanker = [s for s in sta if s["mmsi"] == 219000003]
    assert [s["destination"] for s in tanker] == ["AARHUS", "FREDERICIA"]
    assert all(s["ship_type"] == 80 for s in tanker)
    base = [s for s in sta if s["mmsi"] == 2190047]
    assert base == []  # a base station with no identity fields yields no statics row


def test_generic_csv_with_column_map(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "ship_id,time,y,x,speed,shipname",
        [
            "123456789,2024-05-01T10:00:00Z,10.5,-60.25,7.5,ALPHA",
            "123456789,1714557660,10.6,-60.3,7.0,ALPHA",
        ],
    )
    got = _collect(path, column_map="mmsi=ship_id,ts=time,lat=y,lon=x")
    rows = got["positions"].to_pylist()
    assert [r["ts"] for r in rows] == [
        datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
        datetime(2024, 5, 1, 10, 1, tzinfo=UTC),
    ]
    assert rows[0]["sog_kn"] == 7.5  # "speed" is a known alias
    assert got["statics"].column("name").to_pylist() == ["ALPHA"]


def test_generic_csv_aliases_without_map(tmp_path: Path) -> None:
    path = _write(tmp_path, "MMSI,Timestamp,Latitude,Longitude", ["1,2024-05-01 10:00:00,1.5,2.5"])
    got = _collect(path)
    assert got["positions"].num_rows == 1
    assert got["statics"].num_rows == 0


def test_generic_csv_missing_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "id,when,north,east", ["1,2024-05-01,1,2"])
    with pytest.raises(SourceError, match="cannot recognise"):
        _collect(path)
    with pytest.raises(SourceError, match="cannot find column"):
        _collect(path, fmt="csv")
    with pytest.raises(SourceError, match="not in the header"):
        _collect(path, column_map="mmsi=nope")
    got = _collect(path, column_map="mmsi=id,ts=when,lat=north,lon=east")
    assert got["positions"].num_rows == 1


def test_parse_column_map_errors() -> None:
    assert parse_column_map("mmsi=a, ts=b ,sog=c") == {"mmsi": "a", "ts": "b", "sog_kn": "c"}
    with pytest.raises(SourceError, match="FIELD=COLUMN"):
        parse_column_map("mmsi")
    with pytest.raises(SourceError, match="unknown field"):
        parse_column_map("colour=red")


def test_bad_rows_are_counted_with_line_numbers(tmp_path: Path) -> None:
    good = NOAA_ROWS[0]
    rows = [
        good,  # line 2
        "x67379190,2022-01-03T00:00:00,30.37,-88.56,,,,,,,,,,,,,A",  # 3: bad mmsi
        "367379190,2022-01-03T00:05:00,30.37,-88.56",  # 4: too few columns
        "",  # 5: blank, skipped silently
        "367379190,yesterday,30.37,-88.56,,,,,,,,,,,,,A",  # 6: bad time
        "367379190,2022-01-03T00:06:00,,-88.56,,,,,,,,,,,,,A",  # 7: no lat
        "367379190,2022-01-03T00:07:00,30.4,-88.6,,,,,,,,,,,,,A,extra",  # 8: too many
        "0,2022-01-03T00:07:00,30.4,-88.6,,,,,,,,,,,,,A",  # 9: MMSI 0
        good.replace("00:00:00", "00:09:00"),  # 10
    ]
    path = _write(tmp_path, NOAA_HEADER, rows)
    for chunk in (1024, 1 << 20):
        got = _collect(path, chunk_bytes=chunk)
        assert got["positions"].num_rows == 2
        rej = got["rejects"]
        assert rej.schema == schema.REJECTS
        assert rej.column("line_no").to_pylist() == [3, 4, 6, 7, 8, 9]
        assert set(rej.column("reason").to_pylist()) == {"csv_row"}
        assert rej.column("raw").to_pylist()[1] == rows[2]


def test_chunk_size_does_not_change_results(tmp_path: Path) -> None:
    rows = [
        f"{300000000 + i % 7},2022-01-03T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d},"
        f"{10 + i * 1e-4:.5f},{-60 - i * 1e-4:.5f},1.0,10.0,12,V{i % 7},,,70,0,100,20,5.0,,A"
        for i in range(3000)
    ]
    rows[1500] = "garbage"
    path = _write(tmp_path, NOAA_HEADER, rows)
    small = _collect(path, chunk_bytes=2048)
    big = _collect(path)
    for name in ("positions", "statics", "rejects"):
        assert small[name].equals(big[name]), name
    assert small["rejects"].column("line_no").to_pylist() == [1502]
    assert small["lines"] == big["lines"] == 3000


def test_real_noaa_file(shared_data: Path) -> None:
    path = shared_data / "noaa-ais-20220103-vesselsummaryais/data/AISdata.csv"
    got = _collect(path)
    assert got["positions"].num_rows == 99_999
    assert got["rejects"].num_rows == 0
    assert got["lines"] == 99_999
    assert len(set(got["positions"].column("mmsi").to_pylist())) == 10_631
    # 11 vessels never send any identity field; the rest get one row per identity change
    assert len(set(got["statics"].column("mmsi").to_pylist())) == 10_620
    assert got["statics"].num_rows < 10_620 * 1.01


def test_parquet_own_schema_and_mapped(tmp_path: Path) -> None:
    own = pa.table(
        {
            "mmsi": pa.array([1, 2], pa.uint32()),
            "ts": pa.array([datetime(2022, 1, 1, tzinfo=UTC)] * 2, schema.TS),
            "lat": [1.0, 2.0],
            "lon": [3.0, 4.0],
            "sog_kn": pa.array([None, 1.0], pa.float32()),
            "cog_deg": pa.array([None, None], pa.float32()),
            "heading_deg": pa.array([None, None], pa.uint16()),
            "nav_status": pa.array([None, None], pa.uint8()),
            "msg_type": pa.array([1, 18], pa.uint8()),
            "source": pa.array(["a", "b"]).dictionary_encode(),
            "station": pa.array([None, None], pa.string()).dictionary_encode(),
        }
    )
    pq.write_table(own, tmp_path / "own.parquet")
    got = _collect(tmp_path / "own.parquet")
    assert got["positions"].equals(own.cast(schema.POSITIONS))
    foreign = pa.table(
        {
            "vessel": [5, 6, 0],
            "when": pa.array(
                [datetime(2022, 1, 1, 1, tzinfo=UTC)] * 3, pa.timestamp("ms", tz="UTC")
            ),
            "y": [1.0, 2.0, 3.0],
            "x": [3.0, 4.0, 5.0],
        }
    )
    pq.write_table(foreign, tmp_path / "foreign.parquet")
    got = _collect(tmp_path / "foreign.parquet", column_map="mmsi=vessel,ts=when,lat=y,lon=x")
    assert got["positions"].column("mmsi").to_pylist() == [5, 6]
    assert got["positions"].column("ts").to_pylist()[0] == datetime(2022, 1, 1, 1, tzinfo=UTC)
    assert got["rejects"].column("line_no").to_pylist() == [3]


TIME_TEXTS = [
    "2024-01-01T00:00:00",
    "2024-01-01 00:00:00",
    "2024-01-01T00:00:00Z",
    "2024-01-01T00:00:00.123Z",
    "2024-01-01 00:00:00.5Z",
    "2024-01-01T05:30:00+05:30",
    "2024-01-01T05:30:00+0530",
    "2024-01-01T05:30:00-03",
    "2024-01-01T00:00:00.123456Z",
    "2024-01-01T00:00:00.1234567Z",  # 7 digits: not Arrow's, the slow parse
    "1704067200",
    "1704067200.5",
    "not a time",
    "",
    None,
]


@pytest.mark.parametrize("bad", [None, "2024-02-30T00:00:00Z", "2024-13-01T00:00:00+01:00"])
def test_zoned_iso_times_parse_as_the_slow_parser_does(bad: str | None) -> None:
    # times ending in Z (GeoPackage DATETIME, most APIs) went through a per-row Python
    # parse: 13 s of 26 s reading a 1M-point GeoPackage. Arrow's cast takes them now,
    # and must give what the slow parse gives; an impossible date in the chunk sends the
    # chunk's zoned times back to the slow parse.
    from seawatch.sources._csv import _parse_time_slow, _times
    from seawatch.sources._dialects import Dialect

    texts = [*TIME_TEXTS, bad]
    got = _times(pa.array(texts, pa.string()), Dialect(name="csv", columns={})).to_pylist()
    expected = [None if t is None or not t.strip() else _parse_time_slow(t) for t in texts]
    assert got == expected
    assert got[2] == datetime(2024, 1, 1, tzinfo=UTC)
    assert got[6] == datetime(2024, 1, 1, tzinfo=UTC)


def test_an_mmsi_written_as_a_whole_float_is_read(tmp_path: Path) -> None:
    # pandas writes an integer column with a missing value as floats (311000001.0), and a
    # GIS file may hold MMSIs in a REAL column: those rows were csv_row rejects
    rows = [
        "311000001.0,2024-05-01T10:00:00Z,1.5,2.5",
        "311000002.000,2024-05-01T10:00:00Z,1.5,2.5",
        "311000003,2024-05-01T10:00:00Z,1.5,2.5",
        "311000004.5,2024-05-01T10:00:00Z,1.5,2.5",
        "3.11e8,2024-05-01T10:00:00Z,1.5,2.5",
        ",2024-05-01T10:00:00Z,1.5,2.5",
    ]
    got = _collect(_write(tmp_path, "mmsi,ts,lat,lon", rows))
    assert got["positions"].column("mmsi").to_pylist() == [311000001, 311000002, 311000003]
    assert got["rejects"].column("line_no").to_pylist() == [5, 6, 7]
