"""What the data cannot show is not a contradiction (tenth session, found on the real NOAA
sample): a vessel silent until the store's data ends, a named vessel the store never heard
in the period, a place the gazetteers cannot place."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seawatch.claims import check_claim, extract_claims, gazetteer
from seawatch.schema import EVENTS, POSITIONS, STATICS
from seawatch.store import Store, open_store

T0 = datetime(2025, 12, 8, tzinfo=UTC)
PUBLISHED = date(2025, 12, 11)
# mmsi: name, ship type, first and last hour heard, lat, lon (the Caribbean, far from ports)
VESSELS = {
    636000101: ("SILENT SPRING", 80, 0, 6, 14.5, -66.0),  # silent from 06:00 on the 8th on
    636000102: ("STEADY STAR", 80, 0, 48, 14.6, -66.1),  # heard throughout, near it
    636000103: ("LATE COMER", 80, 30, 48, 14.7, -66.2),  # heard on the 9th only
    636000104: ("LAST LIGHT", 80, 0, 44, 14.8, -66.3),  # silent for the data's last 4 h
    636000105: ("LONE WOLF", 80, 0, 10, 16.0, -75.0),  # silent where nobody else is heard
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("limits")
    pos: dict[str, list[Any]] = {f.name: [] for f in POSITIONS}
    sta: dict[str, list[Any]] = {f.name: [] for f in STATICS}
    for mmsi, (name, st, h0, h1, lat, lon) in VESSELS.items():
        for k in range(h0 * 6, h1 * 6):
            row = {"mmsi": mmsi, "ts": T0 + timedelta(minutes=10 * k), "lat": lat,
                   "lon": lon + 0.0005 * k, "sog_kn": 6.0, "cog_deg": 90.0, "msg_type": 1,
                   "source": "fixture"}  # fmt: skip
            for f in POSITIONS.names:
                pos[f].append(row.get(f))
        row = {"mmsi": mmsi, "ts": T0 + timedelta(hours=h0), "name": name, "ship_type": st,
               "class": "A", "msg_type": 5, "source": "fixture"}  # fmt: skip
        for f in STATICS.names:
            sta[f].append(row.get(f))
    pq.write_table(pa.table(pos, schema=POSITIONS), root / "positions.parquet")
    pq.write_table(pa.table(sta, schema=STATICS), root / "statics.parquet")
    s = open_store(root / "store", create=True)
    s.ingest([root / "positions.parquet", root / "statics.parquet"])
    s.replace_events(EVENTS.empty_table(), types=["gap", "interception"], run={"preset": "x"})
    return s


def _check(store: Store, sentence: str) -> dict[str, Any]:
    ex = extract_claims(sentence, published=PUBLISHED, gaz=gazetteer(vessels=store.vessels()))
    assert len(ex.claims) == 1, (sentence, ex.claims)
    return check_claim(ex.claims[0], store)


def test_a_vessel_silent_until_the_data_ends_is_not_a_contradiction(store: Store) -> None:
    check = _check(store, "The tanker SILENT SPRING went dark in the Caribbean on 8 December.")
    assert check["verdict"] == "partly_supported", check["explanation"]
    (s,) = check["evidence"]["open_silences"]
    assert s["mmsi"] == 636000101 and s["last_heard"] == "2025-12-08T05:50:00Z"
    assert s["hours_silent"] == 42.0
    assert check["evidence"]["vessels"] == [636000101]
    # a vessel heard throughout: the data could have shown a gap, and shows none
    check = _check(store, "The tanker STEADY STAR went dark in the Caribbean on 8 December.")
    assert check["verdict"] == "contradicted", check["explanation"]
    # "none went dark": none measured, but one was not heard again
    check = _check(store, "No vessels went dark in the Caribbean Sea on 8 December.")
    assert check["verdict"] == "partly_supported", check["explanation"]
    assert "not again" in check["explanation"]
    # on the 9th only LAST LIGHT fell silent, 4 h before the data ends: nobody can tell
    check = _check(store, "No vessels went dark in the Caribbean Sea on 9 December.")
    assert check["verdict"] == "unobservable", check["explanation"]
    assert "636000104" in check["explanation"]


def test_a_named_vessel_not_heard_in_the_period_is_unobservable(store: Store) -> None:
    check = _check(store, "The tanker LATE COMER was intercepted in the Caribbean on 8 December.")
    assert check["verdict"] == "unobservable", check["explanation"]
    assert "LATE COMER has no AIS position" in check["explanation"]
    # heard that day: no interception found is a contradiction
    check = _check(store, "The tanker STEADY STAR was intercepted in the Caribbean on 8 December.")
    assert check["verdict"] == "contradicted", check["explanation"]


def test_a_place_the_gazetteers_cannot_place_is_not_checked_everywhere(store: Store) -> None:
    check = _check(store, "Two tankers met in the Strait of Hormuz on 8 December.")
    assert check["kind"] == "engagement"
    assert check["verdict"] == "unobservable"
    assert "'Strait of Hormuz' is not in the bundled gazetteers" in check["explanation"]
    ex = extract_claims(
        "Dozens of cruise ships called at ports in the Bahamas on 8 December.",
        published=PUBLISHED,
    )
    (claim,) = ex.claims
    assert [(p.kind, p.ref) for p in claim.places] == [("waters", "BS")]
    # months, weekdays and acronyms after "in" or "at" are not places; nor is a requirement
    ex = extract_claims("Two tankers met in December at 0800 UTC in AIS data.", published=PUBLISHED)
    assert [p.kind for p in ex.claims[0].places] == []
    ex = extract_claims("All ships that met the requirements entered port.", published=PUBLISHED)
    assert all(c.kind != "engagement" for c in ex.claims)


def test_a_silence_the_data_cannot_measure_is_unobservable(store: Store) -> None:
    """Silent until the data ends, but for less than a gap's 12 h, or where the receivers
    heard nobody else after: the data cannot tell a vessel gone dark from its own limits."""
    check = _check(store, "The tanker LAST LIGHT went dark in the Caribbean on 9 December.")
    assert check["verdict"] == "unobservable", check["explanation"]
    (u,) = check["coverage"]["unmeasured_silences"]
    assert u["mmsi"] == 636000104 and u["hours_silent"] == 4.0
    check = _check(store, "The tanker LONE WOLF went dark in the Caribbean on 8 December.")
    assert check["verdict"] == "unobservable", check["explanation"]
    (u,) = check["coverage"]["unmeasured_silences"]
    assert u["mmsi"] == 636000105 and u["hours_silent"] == 38.0
    assert u["covered_fraction"] == 0.0


def test_a_sentence_of_a_thousand_places_keeps_eight() -> None:
    """Hostile text: the scan for unplaced names is bounded (it was quadratic)."""
    text = "A tanker went dark " + " ".join(f"in Place{i}x" for i in range(5000)) + "."
    (claim,) = extract_claims(text, published=PUBLISHED).claims
    assert len(claim.places) == 8 and {p.kind for p in claim.places} == {"place"}


@pytest.fixture(scope="module")
def sparse(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A day of data like the real NOAA sample: a burst of reports at 00:00 and at 23:00,
    nothing between (positions in 2 of the 24 hours spanned), tracks of minutes."""
    root = tmp_path_factory.mktemp("sparse")
    pos: dict[str, list[Any]] = {f.name: [] for f in POSITIONS}
    for mmsi, lat, lon, hour in [
        (775000201, 11.5, -66.0, 0),  # in VE waters
        (636000202, 14.5, -70.0, 0),
        (636000203, 14.6, -70.1, 23),
    ]:
        for k in range(4):
            row = {"mmsi": mmsi, "ts": T0 + timedelta(hours=hour, minutes=5 * k), "lat": lat,
                   "lon": lon, "sog_kn": 6.0, "msg_type": 1, "source": "fixture"}  # fmt: skip
            for f in POSITIONS.names:
                pos[f].append(row.get(f))
    pq.write_table(pa.table(pos, schema=POSITIONS), root / "positions.parquet")
    s = open_store(root / "store", create=True)
    s.ingest([root / "positions.parquet"])
    s.replace_events(EVENTS.empty_table(), types=["encounter", "zone_entry"], run={"preset": "x"})
    return s


def test_an_absence_in_thin_data_is_unobservable(sparse: Store) -> None:
    """A verdict resting on an absence ("none found", or "none, as claimed") needs data
    dense enough to show a presence, by the brief's own thresholds."""
    check = _check(sparse, "No vessel entered Venezuelan waters on 8 December.")
    assert check["verdict"] == "unobservable", check["explanation"]
    assert "only 1 of the 24 hours" in check["explanation"]
    assert check["coverage"]["hours_with_data"] == 1 and check["coverage"]["hours_spanned"] == 24
    check = _check(sparse, "At least two tankers met in the Caribbean on 8 December.")
    assert check["verdict"] == "unobservable", check["explanation"]
    assert "positions in caribbean in only 2 of the 24 hours" in check["explanation"]


def test_an_absence_in_dense_data_still_counts(store: Store) -> None:
    check = _check(store, "The tanker STEADY STAR was intercepted in the Caribbean on 8 December.")
    assert check["verdict"] == "contradicted"
    assert check["coverage"]["median_track_h"] >= 2.0
    assert check["coverage"]["hours_with_data"] == check["coverage"]["hours_spanned"] == 24
