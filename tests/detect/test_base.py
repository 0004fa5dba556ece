from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from seawatch import ParameterError
from seawatch.detect import (
    EVENT_TYPES,
    KERNELS,
    PRESETS,
    FakeGeo,
    build_events,
    details_json,
    event_id,
    params_dict,
)
from seawatch.detect._base import BundledGeo, GeoContext
from seawatch.schema import EVENTS


def test_event_id_is_stable_and_order_free() -> None:
    t = datetime(2024, 1, 1, 12, tzinfo=UTC)
    a = event_id("encounter", [5, 3], t)
    assert a == event_id("encounter", [3, 5], t)
    assert a == event_id("encounter", (3, 5), int(t.timestamp() * 1_000_000))
    assert a == event_id("encounter", [3, 5], t.astimezone(timezone(timedelta(hours=-5))))
    assert len(a) == 16 and int(a, 16) >= 0
    assert a != event_id("encounter", [3, 5], t + timedelta(microseconds=1))
    assert a != event_id("loitering", [3, 5], t)
    assert a != event_id("encounter", [3, 5], t, key="VE-eez")
    assert event_id("x", [1], t, key="") == event_id("x", [1], t)
    with pytest.raises(ParameterError):
        event_id("x", [1], datetime(2024, 1, 1))


def test_event_id_pinned() -> None:
    # the hash must never change between releases: stored events keep their ids
    assert event_id("gap", [244123456], 1_700_000_000_000_000) == event_id(
        "gap", [244123456], datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    )
    import hashlib

    expected = hashlib.blake2b(b"gap|244123456|1700000000000000", digest_size=8).hexdigest()
    assert event_id("gap", [244123456], 1_700_000_000_000_000) == expected


def test_details_json_records_every_parameter() -> None:
    for preset in PRESETS.values():
        for params in preset.values():
            d = json.loads(details_json(params, x=np.float32(1.5), y=float("nan")))
            names = {f.name for f in dataclasses.fields(params)}
            assert set(d["params"]) == names
            assert d["x"] == 1.5 and d["y"] is None
    with pytest.raises(ParameterError):
        params_dict(object())


def test_build_events_schema_and_ids() -> None:
    t = build_events(
        types=["zone_entry", "zone_entry"],
        start_us=[10, 10],
        end_us=[10, 20],
        vessels=np.array([7, 7]),
        lat=[1.0, 1.0],
        lon=[2.0, 2.0],
        zone=["a", "b"],
        details=["{}", "{}"],
    )
    assert t.schema.equals(EVENTS)
    ids = t.column("event_id").to_pylist()
    assert len(set(ids)) == 2
    assert t.column("duration_h").to_pylist()[1] == pytest.approx(10 / 3.6e9)
    with pytest.raises(ParameterError):
        build_events(
            types="x", start_us=[2], end_us=[1], vessels=[[1]], lat=[0], lon=[0], details=["{}"]
        )
    empty = build_events(types="x", start_us=[], end_us=[], vessels=[], lat=[], lon=[], details=[])
    assert empty.num_rows == 0 and empty.schema.equals(EVENTS)


def test_presets_cover_every_kernel() -> None:
    assert set(PRESETS) >= {"default", "gfw"}
    for preset in PRESETS.values():
        assert set(KERNELS) <= set(preset)
    assert set(KERNELS) <= set(EVENT_TYPES)
    assert set(EVENT_TYPES) == set(PRESETS["default"]) == set(PRESETS["gfw"])
    types = [t for ts in EVENT_TYPES.values() for t in ts]
    assert len(types) == len(set(types))
    assert {"encounter", "loitering", "gap", "port_visit", "zone_entry", "spoofing"} <= set(types)
    assert PRESETS["gfw"]["gap"].min_gap_h == 6.0
    assert PRESETS["default"]["gap"].min_gap_h == 12.0


def test_geo_contexts_satisfy_protocol() -> None:
    assert isinstance(FakeGeo(), GeoContext)
    assert isinstance(BundledGeo(), GeoContext)


def test_fake_geo_distances() -> None:
    g = FakeGeo(coast_lon=0.0)
    d = g.distance_to_shore_m(np.array([0.0, 10.0, 10.0]), np.array([1.0, 1.0, -1.0]))
    assert d[0] == pytest.approx(111_195, rel=1e-3)
    assert d[1] == pytest.approx(111_195 * np.cos(np.radians(10)), rel=1e-3)
    assert d[2] == 0.0
    dist, idx = g.nearest_port(np.array([1.0]), np.array([1.0]))
    assert np.isinf(dist[0]) and idx[0] == -1


def test_events_repeating_type_vessels_start_and_key_get_distinct_ids() -> None:
    t0 = 1_700_000_000_000_000
    ev = build_events(
        types="zone_visit",
        start_us=[t0, t0, t0, t0],
        end_us=[t0 + 10, t0 + 20, t0 + 30, t0 + 10],
        vessels=[[7], [7], [7], [8]],
        lat=[1.0, 2.0, 3.0, 1.0],
        lon=[1.0, 2.0, 3.0, 1.0],
        zone=["Z", "Z", "Z", "Z"],
        details=["{}"] * 4,
    ).to_pylist()
    ids = {(e["vessels"][0], e["end"].timestamp()): e["event_id"] for e in ev}
    assert len(set(ids.values())) == 4
    # the first of a repeated event keeps the plain id; the others number their key
    first = next(e for e in ev if e["lat"] == 1.0 and e["vessels"] == [7])
    assert first["event_id"] == event_id("zone_visit", [7], t0, key="Z")
    second = next(e for e in ev if e["lat"] == 2.0)
    assert second["event_id"] == event_id("zone_visit", [7], t0, key="Z|2")
    assert all(e["incident_id"] == e["event_id"] for e in ev)
