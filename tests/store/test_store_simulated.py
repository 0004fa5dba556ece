"""Simulated input is marked (DESIGN.md §11): the simulator's files carry the mark, the
store records it on the source, events of simulated vessels say so; real files never."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seawatch._simulated import MARK, is_simulated, marker_line
from seawatch.engine import run_detectors
from seawatch.sim import load_scenario, simulate
from seawatch.store import open_store
from tests.store._storekit import T0, track_rows, write_csv


@pytest.fixture(scope="module")
def sim_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    res = simulate(load_scenario("gap-offshore"), tmp_path_factory.mktemp("sim"))
    return dict(res.paths)


def _sources(root: Path) -> dict[str, bool]:
    m = json.loads((root / "manifest.json").read_text())
    return {Path(v["path"]).name: v["simulated"] for v in m["sources"].values()}


def test_the_mark_is_exactly_the_first_line() -> None:
    line = marker_line(scenario="a b/ü", seed=3).encode()
    assert line.startswith(MARK) and line.isascii()
    assert is_simulated(line + b"\r\n!AIVDM...")
    assert is_simulated(b"\xef\xbb\xbf" + line)
    assert not is_simulated(b"!AIVDM,1,1,,A,x,0*00\r\n" + line)  # not on the first line
    assert not is_simulated(MARK + b"X: look-alike")
    assert not is_simulated(b"# a gpsd log comment")


def test_simulated_nmea_and_csv_are_recorded_as_simulated(
    tmp_path: Path, sim_files: dict[str, Path]
) -> None:
    assert sim_files["nmea"].read_bytes().startswith(MARK)
    assert sim_files["csv"].read_bytes().startswith(MARK)
    real = write_csv(tmp_path / "real.csv", track_rows(366000001, T0, 30))
    store = open_store(tmp_path / "s", create=True)
    summary = store.ingest([sim_files["nmea"], sim_files["csv"], real])
    assert summary.files_simulated == 2
    assert _sources(store.root) == {
        "gap-offshore.nmea": True,
        "gap-offshore.csv": True,
        "real.csv": False,
    }
    assert store.simulated_sources() == {str(sim_files["nmea"]), str(sim_files["csv"])}
    # the CSV after the mark reads as a NOAA CSV: all rows become positions, no rejects
    csv_only = open_store(tmp_path / "c", create=True)
    s2 = csv_only.ingest([sim_files["csv"]])
    assert s2.rejects == 0 and s2.files[0].format == "noaa_csv" and s2.positions > 1000
    # positions carry their source: every simulated vessel's positions come from a marked file
    sources = (
        store.query(
            "SELECT DISTINCT CAST(source AS VARCHAR) AS s FROM positions WHERE mmsi <> 366000001"
        )
        .column("s")
        .to_pylist()
    )
    assert set(sources) <= store.simulated_sources()


def test_events_of_simulated_vessels_are_marked(tmp_path: Path, sim_files: dict[str, Path]) -> None:
    store = open_store(tmp_path / "s", create=True)
    store.ingest(
        [sim_files["nmea"], write_csv(tmp_path / "real.csv", track_rows(366000001, T0, 30))]
    )
    events = run_detectors(store, workers=1)
    assert events.schema.field("simulated").type == pa.bool_()
    by = {
        (t, tuple(v)): s
        for t, v, s in zip(
            events.column("type").to_pylist(),
            events.column("vessels").to_pylist(),
            events.column("simulated").to_pylist(),
            strict=True,
        )
    }
    assert by[("gap", (511100482,))] is True
    real = [s for (t, v), s in by.items() if 366000001 in v]
    assert real and not any(real)
    stored = store.events()
    assert stored.column("simulated").to_pylist() == events.column("simulated").to_pylist()


def test_real_and_compressed_inputs(tmp_path: Path, sim_files: dict[str, Path]) -> None:
    """A gzip-compressed simulated file is recognised; a real file whose comment merely
    mentions the simulator is not."""
    gz = tmp_path / "sim.nmea.gz"
    gz.write_bytes(gzip.compress(sim_files["nmea"].read_bytes()))
    real = tmp_path / "real.nmea"
    real.write_bytes(
        b"# converted with seawatch-simulated tools? no: a real log\r\n"
        + b"\\s:r,c:1700000000*5A\\!AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,0*5C\r\n"
    )
    store = open_store(tmp_path / "s", create=True)
    store.ingest([gz, real])
    assert _sources(store.root) == {"sim.nmea.gz": True, "real.nmea": False}


def test_old_events_files_without_the_flag_still_read(tmp_path: Path) -> None:
    """A store written before events had ``simulated``: the views and readers give null."""
    store = open_store(tmp_path / "s", create=True)
    store.ingest([write_csv(tmp_path / "real.csv", track_rows(366000001, T0, 30))])
    run_detectors(store, workers=1, only="zone")
    (f,) = store.files("events")
    old = pq.read_table(f)
    assert old.num_rows > 0
    pq.write_table(old.drop_columns(["simulated"]), f)
    assert store.events().column("simulated").null_count == old.num_rows
    n = store.query("SELECT count(*) AS n FROM events WHERE simulated IS NULL").column("n")[0]
    assert n.as_py() == old.num_rows
