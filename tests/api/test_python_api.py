"""The Python API (issue #9 §1): ``seawatch.open_store(...).events(**filter)`` returns
Arrow with the validated filter of the CLI and the HTTP API, and the data-frame
conversions are one call each, on the hand-made store of ``_apistore``."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from typer.testing import CliRunner

import seawatch
import seawatch.store
from seawatch.cli import app
from seawatch.report import report
from tests.api._apistore import VESSELS, event_rows

runner = CliRunner()


@pytest.fixture(scope="module")
def store(store_dir: Path) -> seawatch.Store:
    return seawatch.open_store(store_dir)


def _cli_ids(store_dir: Path, *args: str) -> list[str]:
    r = runner.invoke(app, ["events", "--store", str(store_dir), "--format", "jsonl", *args])
    assert r.exit_code == 0, r.output
    return [json.loads(line)["event_id"] for line in r.stdout.splitlines() if line.strip()]


def test_open_store_returns_the_public_store(store: seawatch.Store) -> None:
    assert type(store) is seawatch.Store
    assert isinstance(store, seawatch.store.Store)  # ingest, run_detectors, brief take it
    with pytest.raises(seawatch.StoreError, match="no seawatch store"):
        seawatch.open_store(store.root / "nothing-here")


@pytest.mark.parametrize(
    ("kwargs", "cli"),
    [
        ({}, []),
        ({"type": "loitering"}, ["--type", "loitering"]),
        (
            {"type": ["encounter", "gap"], "region": "Caribbean"},
            ["--type", "encounter,gap", "--region", "Caribbean"],
        ),
        ({"region": "gulf-of-mexico"}, ["--region", "gulf-of-mexico"]),
        ({"zone": "ve-EEZ"}, ["--zone", "VE-eez"]),
        ({"vessel": 636000003}, ["--vessel", "636000003"]),
        ({"flag": "BS"}, ["--flag", "BS"]),
        ({"group": "law_enforcement"}, ["--group", "law_enforcement"]),
        (
            {"since": "2022-01-03T12:00:00Z", "until": datetime(2022, 1, 4, 12, tzinfo=UTC)},
            ["--since", "2022-01-03T12:00:00Z", "--until", "2022-01-04T12:00:00Z"],
        ),
    ],
)
def test_events_are_what_the_cli_lists(
    store: seawatch.Store, store_dir: Path, kwargs: dict[str, Any], cli: list[str]
) -> None:
    table = store.events(**kwargs)
    assert isinstance(table, pa.Table)
    assert table.schema.equals(seawatch.store.Store.events(store).schema)
    assert table.column("event_id").to_pylist() == _cli_ids(store_dir, *cli)


def test_filters_select_what_they_say(store: seawatch.Store) -> None:
    rows = event_rows()
    assert store.events().num_rows == len(rows)
    gulf = store.events(region="gulf-of-mexico")
    assert set(gulf.column("type").to_pylist()) == {"port_visit", "loitering"}
    both = store.events(vessel="311000001,636000003")
    assert {v for vs in both.column("vessels").to_pylist() for v in vs} >= {
        311000001,
        636000003,
    }
    assert both.num_rows == 4
    # the engine's spelling (seawatch.store.Store.events) still works
    assert store.events(types=["loitering"]).num_rows == 2
    # bbox around the Gulf of Mexico events only
    assert store.events(bbox=(-91.0, 26.0, -89.0, 28.0)).num_rows == 2
    # min_confidence compares in the column's type: 0.9 keeps the float32 0.9 events
    assert store.events(min_confidence=0.9).num_rows == len(rows)
    assert store.events(min_confidence=0.95).num_rows == 0
    assert store.events(type="gap", min_confidence=0.5).num_rows == 1


@pytest.mark.parametrize(
    ("kwargs", "needle", "listed"),
    [
        ({"region": "carribean"}, "did you mean 'caribbean'", "gulf-of-mexico"),
        ({"type": "encounters"}, "unknown type 'encounters'", "interception"),
        ({"flag": "US,XX"}, "unknown flag 'XX'", "VE"),
        ({"group": "warship"}, "unknown group 'warship'", "government"),
        ({"zone": "atlantis"}, "unknown zone 'atlantis'", "VE-eez"),
    ],
)
def test_a_typo_is_an_error_listing_the_valid_values(
    store: seawatch.Store, kwargs: dict[str, Any], needle: str, listed: str
) -> None:
    with pytest.raises(seawatch.FilterError) as info:
        store.events(**kwargs)
    assert needle in str(info.value)
    assert listed in str(info.value)
    assert isinstance(info.value, seawatch.ParameterError)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"type": "gap", "types": ["gap"]}, "type or types"),
        ({"vessel": "abc"}, "not an MMSI"),
        ({"since": "yesterday"}, "not an ISO"),
        ({"since": "2022-01-04", "until": "2022-01-03"}, "until must not be before since"),
        ({"bbox": (-91.0, 28.0, -89.0, 26.0)}, "min_lat <= max_lat"),
        ({"bbox": (-191.0, 26.0, -89.0, 28.0)}, "longitudes"),
        ({"bbox": (1.0, 2.0, 3.0)}, "four numbers"),
        ({"min_confidence": 1.5}, "min_confidence"),
    ],
)
def test_malformed_values_are_parameter_errors(
    store: seawatch.Store, kwargs: dict[str, Any], needle: str
) -> None:
    with pytest.raises(seawatch.ParameterError, match=needle):
        store.events(**kwargs)


def test_vessel_positions_counts_and_engagements(store: seawatch.Store) -> None:
    row = store.vessel(311000001)
    assert row.num_rows == 1
    assert row.column("name")[0].as_py() == VESSELS[311000001][0][0][0]
    assert row.column("role")[0].as_py() == "tanker"
    with pytest.raises(seawatch.NotFoundError):
        store.vessel(123456789)
    with pytest.raises(seawatch.ParameterError):
        store.vessel(-1)

    track = store.positions(mmsi=311000001, since="2022-01-04", until="2022-01-05")
    assert track.num_rows == 24 * 6
    assert str(track.schema.field("ts").type) == "timestamp[us, tz=UTC]"

    assert store.counts().equals(report(store, by="type"))
    by_flag = store.counts(by="flag", region="caribbean")
    assert by_flag.equals(report(store, by="flag", regions=["caribbean"]))
    assert store.engagements(region="caribbean") == {
        "engagements": 1,
        "encounters": 1,
        "interceptions": 0,
    }
    assert store.engagements(region="gulf-of-mexico")["engagements"] == 0


# ------------------------------------------------------------------------------------------
# conversions


def test_to_pandas_keeps_utc(store: seawatch.Store) -> None:
    pytest.importorskip("pandas")
    df = seawatch.to_pandas(store.events(type="encounter"))
    assert len(df) == 1
    assert str(df["start"].dtype) == "datetime64[us, UTC]"
    assert list(df["vessels"][0]) == [311000001, 775000002]
    assert df["start"][0].isoformat() == "2022-01-03T05:00:00+00:00"


def test_to_polars_keeps_utc(store: seawatch.Store) -> None:
    pl = pytest.importorskip("polars")
    frame = seawatch.to_polars(store.events())
    assert isinstance(frame, pl.DataFrame)
    assert frame.height == len(event_rows())
    assert frame.schema["start"] == pl.Datetime("us", "UTC")
    one = seawatch.to_polars(store.events().select(["event_id"]))
    assert isinstance(one, pl.DataFrame) and one.columns == ["event_id"]


def test_to_geopandas_points_in_wgs84(store: seawatch.Store) -> None:
    pytest.importorskip("geopandas")
    events = store.events()
    gdf = seawatch.to_geopandas(events)
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf.geometry.x) == events.column("lon").to_pylist()
    assert list(gdf.geometry.y) == events.column("lat").to_pylist()
    assert str(gdf["end"].dtype) == "datetime64[us, UTC]"
    # a row without a position has no geometry
    nulled = events.set_column(
        events.schema.get_field_index("lat"), "lat", pa.nulls(events.num_rows, pa.float64())
    )
    assert seawatch.to_geopandas(nulled).geometry.isna().all()
    # positions convert the same way
    assert len(seawatch.to_geopandas(store.positions(mmsi=367000004))) == 2 * 24 * 6


def test_to_geopandas_takes_a_wkb_geometry_column() -> None:
    pytest.importorskip("geopandas")
    import shapely

    poly = shapely.box(-70.0, 11.0, -69.0, 12.0)
    table = pa.table({"scene_id": ["s1", "s2"], "footprint": [shapely.to_wkb(poly), None]})
    gdf = seawatch.to_geopandas(table)
    assert gdf.geometry[0].equals(poly)
    assert gdf.geometry[1] is None
    assert list(gdf.columns) == ["scene_id", "geometry"]
    with pytest.raises(seawatch.ParameterError, match="lat and lon"):
        seawatch.to_geopandas(pa.table({"mmsi": [1]}))


@pytest.mark.parametrize(
    ("module", "convert", "extra"),
    [
        ("pandas", "to_pandas", "pandas"),
        ("polars", "to_polars", "polars"),
        ("geopandas", "to_geopandas", "geo"),
    ],
)
def test_a_missing_library_names_its_extra(
    monkeypatch: pytest.MonkeyPatch, module: str, convert: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    table = pa.table({"lat": [1.0], "lon": [2.0]})
    with pytest.raises(ImportError) as info:
        getattr(seawatch, convert)(table)
    assert f'pip install "seawatch[{extra}]"' in str(info.value)


def test_run_detectors_reads_the_handle_as_it_reads_the_store(tmp_path: Path) -> None:
    """The engine reads events back through ``events(types=...)`` (finishing steps): the
    handle's validated ``events`` gives it what the store's own gives."""
    from tests.api._apistore import build_store

    handle = seawatch.open_store(build_store(tmp_path / "handle"))
    plain = seawatch.store.open_store(build_store(tmp_path / "plain"))
    by_handle = seawatch.run_detectors(handle, workers=1)
    by_plain = seawatch.run_detectors(plain, workers=1)
    assert by_handle.num_rows > 0
    assert by_handle.column("event_id").to_pylist() == by_plain.column("event_id").to_pylist()
    kept = plain.events()
    assert (
        handle.events()
        .select(["event_id", "incident_id"])
        .equals(kept.select(["event_id", "incident_id"]))
    )
