"""Real data through the store: NOAA MarineCadastre CSV and the AISHub NMEA sample."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import seawatch.ais
from seawatch.store import open_store


def test_noaa_csv_ingests_fully(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "noaa-ais-20220103-vesselsummaryais/data/AISdata.csv"
    store = open_store(tmp_path / "s", create=True)
    summary = store.ingest(src)
    assert summary.lines == 99_999
    assert summary.messages == 99_999
    assert summary.rejects_by_reason == {}
    # two rows repeat an earlier row of the same vessel within 10 s: folded
    assert summary.positions == 99_997 and summary.duplicates_dropped == 2
    assert summary.vessels == 10_631
    assert store.days() == [datetime(2022, 1, 3, tzinfo=UTC).date()]
    assert store.vessels().num_rows == 10_631


@pytest.mark.skipif(not hasattr(seawatch.ais, "NmeaDecoder"), reason="decoder not present")
def test_aishub_nmea_needs_time(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "gpsd/contrib/ais-samples/ais-nmea-sample.log"
    store = open_store(tmp_path / "s", create=True)
    untimed = store.ingest(src)
    assert untimed.positions == 0
    assert untimed.rejects_by_reason["no_timestamp"] > 80_000
    timed = store.ingest(src, default_time=datetime(2015, 10, 6, 12, tzinfo=UTC))
    assert timed.files_ingested == 1  # --time makes it a different reading of the file
    assert timed.lines == 85_187
    assert timed.positions > 60_000 and timed.statics > 2_000
    assert "no_timestamp" not in timed.rejects_by_reason
    got = store.query("SELECT count(*) AS n, count(DISTINCT mmsi) AS v FROM positions")
    assert got.to_pylist()[0]["n"] == timed.positions
    again = store.ingest(src, default_time=datetime(2015, 10, 6, 12, tzinfo=UTC))
    assert again.files_skipped == 1
