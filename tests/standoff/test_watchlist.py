"""Watchlists: the bundled OFAC list (real data), user lists in the store, screen(), the
watchlist_hit detector and the CLI."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from seawatch._exceptions import NotFoundError, ParameterError, SourceError
from seawatch.cli import app
from seawatch.detect.watchlist_hits import WatchlistParams, watchlist_hits
from seawatch.schema import EVENTS
from seawatch.watchlist import (
    HITS,
    add_list,
    all_lists,
    bundled_lists,
    normalize_name,
    normalize_names,
    screen,
    store_lists,
    valid_imo,
)
from tests.standoff.conftest import legs, positions, statics

REPO = Path(__file__).resolve().parents[2]

# Venezuela-program vessels in OFAC's sdn.csv as of 2024-05-03 (checked by hand in
# ../shared/data/ofac-sdn/derived/sdn_vessels.csv)
URDANETA_IMO = 7912111  # ent 26623, PDVSA tug, VENEZUELA-EO13850, flag Venezuela
ARTAVIL_MMSI = 572469210  # ent 15036, IRAN, IMO 9187629


def test_bundled_list_is_the_ofac_list_of_2024_05_03() -> None:
    (ofac,) = bundled_lists()
    assert (ofac.name, ofac.date, ofac.bundled) == ("ofac_sdn", "2024-05-03", True)
    assert len(ofac) == 851
    assert ofac.label == "ofac_sdn (as of 2024-05-03)"
    assert ofac.entries.column("imo").null_count == 851 - 842
    assert ofac.entries.column("mmsi").null_count == 851 - 154
    venezuela = [p for p in ofac.entries.column("program").to_pylist() if "VENEZUELA" in p]
    assert len(venezuela) == 53


def test_bundled_list_is_reproducible(tmp_path: Path, shared_data: Path) -> None:
    src = shared_data / "ofac-sdn" / "derived" / "sdn_vessels.csv"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "build_watchlist.py"),
            "--src",
            str(src),
            "--out",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    bundled = REPO / "src" / "seawatch" / "data" / "watchlists"
    assert (tmp_path / "ofac_sdn.csv").read_bytes() == (bundled / "ofac_sdn.csv").read_bytes()
    meta = json.loads((bundled / "ofac_sdn.json").read_text())
    assert meta["date"] == "2024-05-03"
    assert meta["sha256"] == hashlib.sha256((bundled / "ofac_sdn.csv").read_bytes()).hexdigest()


def test_screen_real_list_by_imo_mmsi_and_name_flag() -> None:
    vessels = pa.table(
        {
            "mmsi": pa.array(
                [775_000_001, ARTAVIL_MMSI, 775_000_002, 352_000_003, 366_000_004], pa.uint32()
            ),
            "imo": pa.array([URDANETA_IMO, None, None, None, 9_187_629 + 1], pa.uint32()),
            "name": ["Urdaneta", "x", "urdaneta ", "SAND SWAN", "NOBODY"],
        }
    )
    hits = screen(vessels, bundled_lists())
    assert hits.schema == HITS
    got = {(r["row"], r["match"], r["entry_id"]) for r in hits.to_pylist()}
    assert got == {
        (0, "imo", "ofac-sdn-26623"),
        (0, "name_flag", "ofac-sdn-26623"),  # 775 = Venezuela
        (1, "mmsi", "ofac-sdn-15036"),
        (2, "name_flag", "ofac-sdn-26623"),
        (3, "alias_flag", "ofac-sdn-4243"),  # EBANO f.k.a. SAND SWAN, Panama (352)
    }
    first = hits.to_pylist()[0]
    assert first["match"] == "imo" and first["confidence"] == 1.0
    assert first["program"] == "VENEZUELA-EO13850" and first["list_date"] == "2024-05-03"


def test_a_namesake_with_another_imo_is_not_the_listed_vessel() -> None:
    # DILBAR (Cayman, OFAC RUSSIA-EO14024) is IMO 9661792; the AISHub sample of 2015 has a
    # Cayman DILBAR broadcasting IMO 9526758, the earlier yacht of that name: no hit. Without
    # an IMO, or with an invalid one, the name + flag match stands.
    vessels = pa.table(
        {
            "mmsi": pa.array([319_526_000, 319_526_001, 319_526_002], pa.uint32()),
            "imo": pa.array([9_526_758, None, 9_526_759], pa.uint32()),
            "name": ["DILBAR", "DILBAR", "DILBAR"],
        }
    )
    assert valid_imo(9_526_758) and not valid_imo(9_526_759)
    hits = screen(vessels, bundled_lists())
    assert {(r["row"], r["match"]) for r in hits.to_pylist()} == {
        (1, "name_flag"),
        (2, "name_flag"),
    }


def test_name_needs_the_flag() -> None:
    us_flag = pa.table({"mmsi": pa.array([366_000_001], pa.uint32()), "name": ["URDANETA"]})
    assert screen(us_flag, bundled_lists()).num_rows == 0


def test_normalize_name_and_imo_check_digit() -> None:
    assert normalize_name(" Doña  María@@") == "DONA MARIA"
    assert normalize_name("M/T OCEAN-GLORY") == "M T OCEAN GLORY"
    assert normalize_name(None) == ""
    # a column: each value as normalize_name gives it (distinct values normalised once)
    names = [" Doña  María@@", None, "M/T OCEAN-GLORY", " Doña  María@@", "", "sea@star"]
    for column in (
        pa.array(names, pa.string()),
        pa.chunked_array([names[:2], names[2:]], pa.large_string()),
        pa.array(names, pa.string()).dictionary_encode(),
    ):
        assert normalize_names(column) == [normalize_name(v) for v in names]
    assert normalize_names(pa.array([], pa.string())) == []
    assert normalize_names(pa.nulls(3, pa.string())) == ["", "", ""]
    assert valid_imo(9187629) and valid_imo(URDANETA_IMO)
    assert not valid_imo(9187620) and not valid_imo(0) and not valid_imo(123456)


def test_user_list_in_the_store(tmp_path: Path) -> None:
    src = tmp_path / "navy.csv"
    src.write_text("MMSI,Name,IMO,Flag\n244000001,Karel Doorman,,nl\n,,IMO9074729,\n\n")
    wl = add_list(tmp_path / "store", src, name="navy", date_="2024-06-01")
    assert len(wl) == 2 and wl.date == "2024-06-01"
    assert sorted(p.name for p in (tmp_path / "store" / "watchlists").iterdir()) == [
        "navy.csv",
        "navy.json",
    ]
    (again,) = store_lists(tmp_path / "store")
    assert again.entries.equals(wl.entries)
    assert again.date == "2024-06-01"
    assert [w.name for w in all_lists(tmp_path / "store")] == ["ofac_sdn", "navy"]
    with pytest.raises(NotFoundError):
        all_lists(tmp_path / "store", names=["nope"])
    hits = screen(
        pa.table(
            {
                "mmsi": pa.array([244000001, 1], pa.uint32()),
                "imo": pa.array([None, 9074729], pa.uint32()),
            }
        ),
        [again],
    )
    assert hits.column("match").to_pylist() == ["mmsi", "imo"]


@pytest.mark.parametrize(
    ("text", "name", "err"),
    [
        ("foo,bar\n1,2\n", "x", SourceError),
        ("mmsi\nabc\n", "x", SourceError),
        ("name,flag\nA,Venezuela\n", "x", SourceError),
        ("mmsi\n1\n", "ofac_sdn", ParameterError),
        ("mmsi\n1\n", "../evil", ParameterError),
        ("mmsi\n\n", "x", SourceError),
    ],
)
def test_bad_user_lists(tmp_path: Path, text: str, name: str, err: type[Exception]) -> None:
    src = tmp_path / "l.csv"
    src.write_text(text)
    with pytest.raises(err):
        add_list(tmp_path, src, name=name)
    assert not (tmp_path / "watchlists" / f"{name}.csv").exists()


def test_watchlist_hit_events() -> None:
    st = statics(
        [
            {"mmsi": 775_000_001, "h": 1, "imo": URDANETA_IMO, "name": "URDANETA"},
            {"mmsi": 775_000_001, "h": 5, "imo": URDANETA_IMO, "name": "URDANETA"},
            {"mmsi": 366_000_002, "h": 2, "imo": 9074729, "name": "CLEAN SHIP"},
        ]
    )
    pos = positions({775_000_001: (legs(11.0, -66.0, [(6.0, 90.0, 8.0)]), 0.0, 6.0)}, step_min=30)
    ev = watchlist_hits(st, positions=pos, geo=_geo())
    assert ev.schema == EVENTS
    assert ev.num_rows == 1
    row: dict[str, Any] = ev.to_pylist()[0]
    d = json.loads(row["details"])
    assert row["vessels"] == [775_000_001]
    assert (row["start"].hour, row["end"].hour) == (1, 5)
    assert row["confidence"] == 1.0
    assert d["list"] == "ofac_sdn" and d["list_date"] == "2024-05-03"
    assert d["entry_name"] == "URDANETA" and d["program"] == "VENEZUELA-EO13850"
    assert [m["match"] for m in d["matches"]] == ["imo", "name_flag"]
    assert d["params"]["imo_confidence"] == 1.0
    assert row["lat"] == pytest.approx(11.0, abs=0.01)
    # only weak matches, filtered out
    weak = watchlist_hits(
        statics([{"mmsi": 775_000_009, "h": 0, "name": "URDANETA"}]),
        params=WatchlistParams(min_confidence=0.7),
    )
    assert weak.num_rows == 0
    # positions alone match by MMSI
    only_pos = positions({ARTAVIL_MMSI: (legs(20.0, 60.0, []), 0.0, 1.0)}, step_min=30)
    hit = watchlist_hits(None, positions=only_pos, geo=_geo())
    assert json.loads(hit.column("details")[0].as_py())["best_match"] == "mmsi"


def _geo() -> Any:
    from seawatch.detect import FakeGeo

    return FakeGeo()


def test_cli_watchlist_add_and_list(tmp_path: Path) -> None:
    src = tmp_path / "mine.csv"
    with src.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["imo", "mmsi", "name", "flag"])
        w.writerow(["9074729", "", "OCEAN GLORY", "PA"])
        w.writerow(["", "244000001", "", ""])
    store = tmp_path / "store"
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "watchlist",
            "add",
            str(src),
            "--name",
            "mine",
            "--date",
            "2024-07-01",
            "--store",
            str(store),
        ],
    )
    assert res.exit_code == 0, res.output
    assert (store / "watchlists" / "mine.csv").is_file()
    res = runner.invoke(app, ["watchlist", "list", "--store", str(store), "--format", "json"])
    assert res.exit_code == 0
    rows = json.loads(res.stdout)
    assert [(r["name"], r["date"], r["entries"]) for r in rows] == [
        ("ofac_sdn", "2024-05-03", 851),
        ("mine", "2024-07-01", 2),
    ]
    bad = runner.invoke(
        app,
        ["watchlist", "add", str(src), "--name", "mine", "--date", "July", "--store", str(store)],
    )
    assert bad.exit_code == 1


def test_cli_watchlist_screen_a_store(tmp_path: Path) -> None:
    from seawatch.store import open_store

    csv_path = tmp_path / "noaa.csv"
    csv_path.write_text(
        "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
        "Length,Width,Draft,Cargo,TransceiverClass\n"
        f"775000001,2024-03-01T00:00:00,11.0,-66.0,0.0,0,511,URDANETA,IMO{URDANETA_IMO},,52,0,"
        "30,9,4,,A\n"
        "366000002,2024-03-01T00:00:00,25.0,-80.0,0.0,0,511,CLEAN,,,70,0,100,20,5,,A\n"
    )
    store = tmp_path / "store"
    open_store(store, create=True).ingest([csv_path])
    res = CliRunner().invoke(
        app, ["watchlist", "screen", "--store", str(store), "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert {(r["mmsi"], r["match"], r["list_date"]) for r in rows} == {
        (775000001, "imo", "2024-05-03"),
        (775000001, "name_flag", "2024-05-03"),
    }
    res = CliRunner().invoke(app, ["watchlist", "screen", "--store", str(store), "--list", "nope"])
    assert res.exit_code == 1
