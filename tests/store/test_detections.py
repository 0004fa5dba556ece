"""Non-AIS detections in the store: formats, scenes, idempotence, rejects (issue #11 §1)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from seawatch._exceptions import ParameterError
from seawatch.cli import app
from seawatch.sources import read_detections, scene_time
from seawatch.store import open_store


def _allenai(shared: Path) -> Path:
    return shared / "dark-detections-allenai"


def test_real_samples_ingest(shared_data: Path, tmp_path: Path) -> None:
    d = _allenai(shared_data)
    store = open_store(tmp_path / "s", create=True)
    files = sorted([*d.glob("*.csv"), *d.glob("*.json")])
    s = store.ingest_detections(files)
    assert [f.format for f in s.files] == ["allenai_csv", "allenai_csv", "viirs_json"]
    assert s.detections == 2 + 1 + 46 and s.scenes == 3 and s.rejects == 0
    dets = store.detections()
    rows = store.query("SELECT source, count(*) AS n FROM detections GROUP BY 1").to_pylist()
    by_source = {r["source"]: r["n"] for r in rows}
    assert by_source == {"sentinel1": 2, "sentinel2": 1, "viirs": 46}
    s1 = dets.filter(pa.compute.equal(dets.column("source"), "sentinel1")).to_pylist()
    assert s1[0]["ts"] == datetime(2021, 11, 30, 2, 52, 11, tzinfo=UTC)
    assert s1[0]["length_m"] == pytest.approx(234.34, abs=0.01)
    assert s1[0]["speed_kn"] == pytest.approx(15.02, abs=0.01)
    viirs = store.scenes().filter(pa.compute.equal(store.scenes().column("source"), "viirs"))
    assert viirs.num_rows == 1 and viirs.column("footprint")[0].as_py() is not None
    # idempotent: the same files again add nothing
    again = store.ingest_detections(files)
    assert again.detections == 0 and {f.status for f in again.files} == {"skipped"}
    assert store.detections().num_rows == 49


def test_scene_time_from_product_names() -> None:
    s1 = scene_time("S1B_IW_GRDH_1SDV_20211130T025211_20211130T025236_029811_038EEF_D350.SAFE")
    assert s1 == (
        datetime(2021, 11, 30, 2, 52, 11, tzinfo=UTC),
        datetime(2021, 11, 30, 2, 52, 36, tzinfo=UTC),
    )
    s2 = scene_time("S2B_MSIL1C_20211102T061019_N0301_R134_T42RUN_20211102T071305.SAFE")
    assert s2 is not None and s2[0] == datetime(2021, 11, 2, 6, 10, 19, tzinfo=UTC)
    assert scene_time("not-a-product") is None


def test_bad_rows_are_counted_rejects(tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text(
        "time,lat,lon,length_m,colour\n"
        "2024-01-01T00:00:00Z,10,20,100,red\n"  # kept (unknown column kept in raw)
        ",10,20,100,red\n"  # no time
        "2024-01-01T00:00:00Z,95,20,100,red\n"  # lat out of range
        "2024-01-01T00:00:00Z,10,181,100,red\n"  # lon out of range
        "2024-01-01T00:00:00Z,10,20,long,red\n"  # not a number
        "garbage,10,20,100,red\n"  # unreadable time
        "1900-01-01T00:00:00Z,10,20,100,red\n"  # outside the plausible time window
    )
    store = open_store(tmp_path / "s", create=True)
    s = store.ingest_detections([f])
    assert s.detections == 1
    assert s.rejects_by_reason == {"bad_value": 4, "no_timestamp": 2, "unknown_column": 1}
    kept = store.detections().to_pylist()[0]
    assert json.loads(kept["raw"])["colour"] == "red"
    rej = store.rejects()
    assert sorted(rej.column("reason").to_pylist()).count("bad_value") == 4


def test_generic_formats_and_footprints(tmp_path: Path) -> None:
    gj = tmp_path / "d.geojson"
    gj.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [-66.0, 11.0]},
                        "properties": {
                            "time": "2024-01-01T10:00:00Z",
                            "scene_id": "A",
                            "source": "sentinel1",
                            "length_m": 180,
                        },
                    },
                    {"type": "Feature", "geometry": None, "properties": {}},
                ],
            }
        )
    )
    fp = tmp_path / "fp.geojson"
    square = [[[-67, 10], [-65, 10], [-65, 12], [-67, 12], [-67, 10]]]
    feat = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": square}}
    fp.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {**feat, "properties": {"scene_id": "A"}},
                    {**feat, "properties": {"scene_id": "A"}},  # duplicate scene
                    {
                        **feat,
                        "properties": {
                            "scene_id": "B",
                            "ts_start": "2024-01-01T10:00:00Z",
                            "source": "sentinel1",
                        },
                    },
                ],
            }
        )
    )
    r = read_detections(gj, scene_footprint=fp)
    assert r.format == "geojson" and r.detections.num_rows == 1
    assert sorted(r.rejects.column("reason").to_pylist()) == ["bad_value", "duplicate_scene"]
    scenes = {s["scene_id"]: s for s in r.scenes.to_pylist()}
    assert set(scenes) == {"A", "B"} and scenes["B"]["footprint"] is not None
    pq = tmp_path / "d.parquet"
    import pyarrow.parquet as papq

    papq.write_table(pa.table({"ts": ["2024-01-01T10:00:00Z"], "lat": [1.0], "lon": [2.0]}), pq)
    assert read_detections(pq).format == "parquet"


def test_scene_stored_again_with_another_time_is_rejected(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s", create=True)
    a = tmp_path / "a.csv"
    a.write_text("time,lat,lon,scene_id\n2024-01-01T10:00:00Z,1,2,S\n")
    b = tmp_path / "b.csv"
    b.write_text("time,lat,lon,scene_id\n2024-01-01T11:00:00Z,1,3,S\n")
    store.ingest_detections([a])
    s = store.ingest_detections([b])
    assert s.rejects_by_reason == {"duplicate_scene": 1}
    assert store.scenes().num_rows == 1
    assert store.detections().num_rows == 2  # the detection itself is kept


def test_cli_ingest_detections(shared_data: Path, tmp_path: Path) -> None:
    f = _allenai(shared_data) / "viirs-2023-11-06-sample_response.json"
    res = CliRunner().invoke(
        app, ["ingest", "--store", str(tmp_path / "s"), "--kind", "detections", str(f)]
    )
    assert res.exit_code == 0, res.output
    assert "46 new detections" in res.output
    bad = CliRunner().invoke(
        app,
        ["ingest", "--store", str(tmp_path / "s"), "--kind", "detections", "--format", "x", str(f)],
    )
    assert bad.exit_code in (1, 2) and "unknown detections format" in bad.output


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ('{"hello": 1}', "x.json", "neither a VIIRS response nor a GeoJSON"),
        ("{not json", "x.json", "not valid JSON"),
        ("when,where\n1,2\n", "x.csv", "needs columns time (or ts), lat, lon"),
        ("PAR1garbage", "x.parquet", "not a readable Parquet file"),
    ],
)
def test_unreadable_detection_files_are_one_line_errors(
    tmp_path: Path, content: str, name: str, message: str
) -> None:
    f = tmp_path / name
    f.write_text(content)
    res = CliRunner().invoke(
        app, ["ingest", "--store", str(tmp_path / "s"), "--kind", "detections", str(f)]
    )
    assert res.exit_code == 1, res.output
    assert message in res.output and "Traceback" not in res.output
    # nothing was committed, and a failed first ingest leaves no empty store
    assert not (tmp_path / "s").exists()


def test_kind_and_footprint_usage_errors(tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text("time,lat,lon\n2024-01-01T00:00:00Z,1,2\n")
    fp = tmp_path / "fp.geojson"
    fp.write_text('{"type": "Polygon", "coordinates": [[[0,0],[3,0],[3,3],[0,3],[0,0]]]}')
    r = CliRunner().invoke(app, ["ingest", "--store", str(tmp_path / "s"), "--kind", "x", str(f)])
    assert r.exit_code == 2
    r = CliRunner().invoke(
        app, ["ingest", "--store", str(tmp_path / "s"), "--scene-footprint", str(fp), str(f)]
    )
    assert r.exit_code == 2 and "--kind detections" in r.output
    store = open_store(tmp_path / "s", create=True)
    with pytest.raises(ParameterError):
        store.ingest_detections("-")


def test_outside_footprint_is_rejected(tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text(
        "time,lat,lon,scene_id\n2024-01-01T00:00:00Z,1,1,S\n2024-01-01T00:00:00Z,10,10,S\n"
    )
    fp = tmp_path / "fp.geojson"
    fp.write_text(
        '{"type": "Feature", "properties": {"scene_id": "S"},'
        ' "geometry": {"type": "Polygon", "coordinates": [[[0,0],[3,0],[3,3],[0,3],[0,0]]]}}'
    )
    store = open_store(tmp_path / "s", create=True)
    s = store.ingest_detections([f], scene_footprint=fp)
    assert s.detections == 1 and s.rejects_by_reason == {"outside_footprint": 1}
    assert store.scenes().column("footprint")[0].as_py() is not None
